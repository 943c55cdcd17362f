"""A real nginx (Debian's) in front of test instances, configured from the shipped template."""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.support.server import stop_process_group

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TEMPLATE = DEPLOY / "nginx" / "hvac-agent.conf.template"
PROXY_HEADERS = DEPLOY / "nginx" / "hvac-agent-proxy.conf"
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def nginx_binary() -> str:
    """Debian's nginx (`apt-get install nginx`; `.ci/run` installs it). Missing: a failure in CI."""
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        message = "nginx is not installed (apt-get install -y nginx)"
        if IN_CI:
            pytest.fail(message + " (CI=true: required)")
        pytest.skip(message)
    return found


def render_template(values: dict[str, str], template: Path = TEMPLATE) -> str:
    """The template with every `${NAME}` filled, as the nginx image's envsubst step does."""
    text = template.read_text()
    missing = sorted({name for name in _PLACEHOLDER.findall(text)} - set(values))
    assert not missing, f"template placeholders without a value: {missing}"
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


class Nginx:
    """nginx in the foreground, in a folder of its own, serving the hvac-agent template on `port`."""

    def __init__(self, folder: Path, *, port: int, upstreams: list[str], cert: Path, key: Path) -> None:
        self.folder = folder
        self.port = port
        folder.mkdir(parents=True, exist_ok=True)
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / temp).mkdir(exist_ok=True)
            (folder / temp).chmod(0o777)  # workers run as nobody when the master is root
        (folder / "hvac-agent.conf").write_text(
            render_template(
                {
                    "HVAC_UPSTREAM_1": upstreams[0],
                    "HVAC_UPSTREAM_2": upstreams[1],
                    "NGINX_SERVER_NAME": "127.0.0.1",
                    "NGINX_LISTEN": f"127.0.0.1:{port}",
                    "NGINX_CERT": str(cert),
                    "NGINX_KEY": str(key),
                }
            )
        )
        shutil.copy(PROXY_HEADERS, folder / "hvac-agent-proxy.conf")
        user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include hvac-agent.conf;
}}
""")
        self.command = [nginx_binary(), "-p", str(folder), "-c", str(folder / "nginx.conf")]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ssl_context: ssl.SSLContext) -> None:
        checked = subprocess.run([*self.command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        with open(self.folder / "nginx.out", "ab") as out:
            self.process = subprocess.Popen(
                [*self.command, "-g", "daemon off;"], stdout=out, stderr=out, start_new_session=True
            )
        deadline = time.monotonic() + 20
        while True:
            try:
                with (
                    socket.create_connection(("127.0.0.1", self.port), timeout=2) as raw,
                    ssl_context.wrap_socket(raw, server_hostname="127.0.0.1"),
                ):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: " + self.log()) from None
                time.sleep(0.05)

    def log(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-2000:]
            for p in (self.folder / "error.log", self.folder / "nginx.out")
            if p.exists()
        )

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
