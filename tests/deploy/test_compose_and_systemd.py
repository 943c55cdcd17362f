"""The compose file and the systemd unit (issue 12, item 7). Neither Docker nor systemd can run
them here: the compose file is checked against what the nginx test runs (same template, same
settings), the unit with `systemd-analyze verify`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import IN_CI
from tests.deploy.nginx import DEPLOY, PROXY_HEADERS, TEMPLATE, render_template

COMPOSE = DEPLOY / "compose.yaml"
UNIT = DEPLOY / "systemd" / "hvac-agent.service"


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # type: ignore[no-any-return]


def test_compose_runs_two_instances_of_the_image_on_postgres_and_redis_behind_nginx() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "redis", "app1", "app2", "nginx"}
    app1, app2 = services["app1"], services["app2"]
    assert app1 == app2  # two instances of one definition
    assert app1["build"] == {"context": "..", "dockerfile": "Dockerfile"}
    assert (COMPOSE.parent / app1["build"]["context"] / app1["build"]["dockerfile"]).resolve().is_file()
    assert "ports" not in app1  # reached through nginx only
    env = app1["environment"]
    assert env["HVAC_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["HVAC_DATABASE_URL"]
    assert env["HVAC_REDIS_URL"] == "redis://redis:6379/0"  # any instance serves any turn
    for secret in ("TWILIO_AUTH_TOKEN", "HVAC_API_TOKEN"):
        assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", env[secret]), secret  # compose refuses to start without them
    assert env["HVAC_PUBLIC_URL"].startswith("https://")
    nginx = services["nginx"]
    nginx_address = nginx["networks"]["hvac"]["ipv4_address"]
    assert env["HVAC_TRUSTED_PROXIES"] == nginx_address  # nginx's forwarded client address, nobody else's
    assert {name: c["condition"] for name, c in app1["depends_on"].items()} == {
        "postgres": "service_healthy",
        "redis": "service_healthy",
    }
    assert {name: c["condition"] for name, c in nginx["depends_on"].items()} == {
        "app1": "service_healthy",
        "app2": "service_healthy",
    }  # the image's HEALTHCHECK
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]


def test_compose_nginx_serves_the_tested_template_with_every_value_set() -> None:
    nginx = _compose()["services"]["nginx"]
    mounts = {v.split(":")[1]: (COMPOSE.parent / v.split(":")[0]).resolve() for v in nginx["volumes"]}
    assert mounts["/etc/nginx/templates/hvac-agent.conf.template"] == TEMPLATE  # what test_behind_nginx runs
    assert mounts["/etc/nginx/hvac-agent-proxy.conf"] == PROXY_HEADERS
    env = {k: str(v) for k, v in nginx["environment"].items()}
    rendered = render_template(env)  # fails on a placeholder compose leaves unset
    assert f"server {env['HVAC_UPSTREAM_1']} " in rendered and env["HVAC_UPSTREAM_1"] == "app1:8000"
    assert env["NGINX_CERT"].startswith("/etc/nginx/certs/") and "/etc/nginx/certs" in mounts
    assert nginx["ports"] == ["443:443"] and env["NGINX_LISTEN"] == "443"


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        if IN_CI:
            pytest.fail("systemd-analyze is missing (Debian's systemd package); CI=true: required")
        pytest.skip("systemd-analyze is missing")
    return found


def test_the_systemd_unit_verifies_clean_and_serves_on_loopback(tmp_path: Path) -> None:
    unit = UNIT.read_text()
    exec_start = re.search(r"^ExecStart=(\S+) (.*)$", unit, re.M)
    assert exec_start is not None
    binary, arguments = exec_start.groups()
    assert binary == "/opt/hvac-agent/bin/hvac-agent"
    assert arguments.split()[:3] == ["serve", "--host", "127.0.0.1"]  # nginx on the host is the way in
    assert re.search(r"^User=hvac-agent$", unit, re.M) and re.search(r"^NoNewPrivileges=yes$", unit, re.M)
    # verify with the binary where this test's virtualenv has it (systemd checks it exists)
    here = Path(sys.executable).parent / "hvac-agent"
    copy = tmp_path / "hvac-agent.service"
    copy.write_text(unit.replace(binary, str(here)))
    verified = subprocess.run([_systemd_analyze(), "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
