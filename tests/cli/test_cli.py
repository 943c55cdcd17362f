"""The command line, run as a user would: real processes, stdin piped in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = "\n".join(
    [
        "my furnace stopped working",
        "dana kim",
        "yes",
        "4410 duval street 78751",
        "no",
        "no",
        "the first one",
        "yes",
    ]
)


def _run(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HVAC_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "HVAC_SESSION_DB": str(tmp_path / "sessions.db"),
    }
    env.pop("HVAC_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "hvac_agent.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )


def test_help_documents_every_command_and_option(tmp_path: Path) -> None:
    top = _run(["--help"], tmp_path)
    assert top.returncode == 0
    for command in ("serve", "worker", "chat", "appointments", "healthcheck"):
        assert command in top.stdout
    assert "--url" in _run(["healthcheck", "--help"], tmp_path).stdout
    serve = _run(["serve", "--help"], tmp_path).stdout
    assert "--host" in serve and "--port" in serve
    assert "--date" in _run(["appointments", "--help"], tmp_path).stdout


def test_worker_without_a_job_queue_says_what_to_configure(tmp_path: Path) -> None:
    worker = _run(["worker"], tmp_path)
    assert worker.returncode == 2
    assert "HVAC_REDIS_URL" in worker.stderr and "serve" in worker.stderr


@pytest.mark.slow
def test_piped_chat_books_and_appointments_lists_it(tmp_path: Path) -> None:
    chat = _run(["chat"], tmp_path, stdin=SCRIPT + "\n")
    assert chat.returncode == 0, chat.stderr
    assert "virtual assistant" in chat.stdout
    assert "Shall I book it?" in chat.stdout
    booked = [line for line in chat.stdout.splitlines() if line.startswith("Booked: ")]
    assert len(booked) == 1, chat.stdout
    assert "Dana Kim" in booked[0] and "+15125550123" in booked[0] and "4410 Duval Street" in booked[0]
    assert "no_heat" in booked[0]

    listing = _run(["appointments"], tmp_path)
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "date", "window", "status"]
    assert any("Dana Kim" in line and "booked" in line for line in lines[2:])
    date = booked[0].split(" on ")[1].split()[0]
    assert "Dana Kim" in _run(["appointments", "--date", date], tmp_path).stdout
    assert "No appointments." in _run(["appointments", "--date", "2001-01-01"], tmp_path).stdout


def test_piped_chat_emergency_is_never_booked(tmp_path: Path) -> None:
    chat = _run(["chat"], tmp_path, stdin="there's a carbon monoxide alarm going off\n")
    assert chat.returncode == 0, chat.stderr
    assert "911" in chat.stdout and "+15125550111" in chat.stdout
    assert "No booking made (outcome: emergency)" in chat.stdout


@pytest.mark.slow
def test_serve_with_no_configuration_answers_a_call(tmp_path: Path) -> None:
    """The README's first command: no variables at all → SQLite file + embedded store in the cwd."""
    import httpx

    from tests.support.server import free_port, wait_healthy

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HVAC_", "TWILIO_", "OPENAI_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "hvac_agent.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process=process)
        call = {"CallSid": "CAnoconfig", "From": "+15125550123"}
        answer = httpx.post(f"http://127.0.0.1:{port}/twilio/voice", data=call)
        assert answer.status_code == 200 and "virtual assistant" in answer.text and "<Gather" in answer.text
        assert f'action="http://127.0.0.1:{port}/twilio/gather?turn=0"' in answer.text
        assert httpx.get(f"http://127.0.0.1:{port}/health").json()["status"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (tmp_path / "hvac_agent.db").exists() and (tmp_path / "hvac_sessions.db").exists()


@pytest.mark.slow
def test_simulate_calls_a_stream_mode_server_as_a_signed_caller(tmp_path: Path) -> None:
    """`hvac-agent simulate`: synthesised caller audio over a real, signed WebSocket to a real server."""
    from tests.support.server import ServerProcess

    server = ServerProcess(
        {
            "HVAC_DATABASE_URL": f"sqlite:///{tmp_path / 'sim.db'}",
            "HVAC_SESSION_DB": str(tmp_path / "sim-sessions.db"),
            "HVAC_VOICE_MODE": "stream",
            "HVAC_STT_ENGINES": "fake",
            "HVAC_FAKE_TRANSCRIPT": "my furnace stopped working",
            "HVAC_TTS_ENGINES": "espeak",
            "TWILIO_AUTH_TOKEN": "sim-token",
        }
    )
    server.start()
    try:
        url = f"ws://127.0.0.1:{server.port}/twilio/stream"
        env = {**os.environ, "TWILIO_AUTH_TOKEN": "sim-token"}
        done = subprocess.run(
            [sys.executable, "-m", "hvac_agent.cli", "simulate", url, "my furnace stopped working"],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        lines = done.stdout.splitlines()
        agent = [line for line in lines if line.startswith("agent: ")]
        assert "caller: my furnace stopped working" in lines
        assert len(agent) == 2 and "name" in agent[1].lower(), done.stdout  # greeting, then the next question
        refused = subprocess.run(
            [sys.executable, "-m", "hvac_agent.cli", "simulate", "--auth-token", "wrong", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode != 0  # a bad signature is refused at the upgrade
    finally:
        server.stop()
