"""`review-bot serve` as a real process: it starts, answers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_healthy(url: str, process: subprocess.Popen[bytes], deadline_s: float) -> None:
    # Waiting for a child process to bind is not a timing assertion: it is bounded and fails fast.
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("the bot exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the bot did not become healthy")


def _serve(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REVIEW_BOT_PORT": str(port),
        "REVIEW_BOT_DATA_DIR": str(tmp_path / "data"),
        "MicrosoftAppId": "",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_serve_starts_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    process = _serve(tmp_path, port)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/readyz", process, 20)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    assert (tmp_path / "data").is_dir()


def _check_store(data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "check-store", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_second_serve_on_the_same_data_dir_is_refused_naming_the_first(tmp_path: Path) -> None:
    port = _free_port()
    first = _serve(tmp_path, port)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/readyz", first, 20)
        second = _serve(tmp_path, _free_port())
        _, err = second.communicate(timeout=20)
        assert second.returncode == 2
        message = err.decode()
        assert f"is in use by process {first.pid} on " in message
        assert "Traceback" not in message
        assert "serving on" not in message
        # A read-only tool still works beside the running bot.
        check = _check_store(tmp_path / "data")
        assert check.returncode == 0, check.stdout + check.stderr
        assert "cases          OK" in check.stdout
        # The first is untouched: still ready.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            assert response.status == 200
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=20)
    assert first.returncode == 0


def test_serve_refuses_a_damaged_store_naming_the_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = _free_port()
    process = _serve(tmp_path, port)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/readyz", process, 20)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    counters = data / "counters"
    (counters / "COV-2026.json").write_bytes(b"")  # an emptied file
    (counters / "MANIFEST").write_text((counters / "MANIFEST").read_text() + "COV-2026.json\n")
    again = _serve(tmp_path, port)
    _, err = again.communicate(timeout=20)
    assert again.returncode == 2
    message = err.decode()
    assert f"{counters / 'COV-2026.json'}: empty (0 bytes)" in message
    assert "check-store" in message
    assert "Traceback" not in message
    check = _check_store(data)
    assert check.returncode == 1
    assert "counters       1 problem(s)" in check.stdout
