"""Starting and stopping the project's own commands in tests."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Terminal colours: tools colour their output when they see `CI` or `FORCE_COLOR` in the
# environment even on a pipe (Vite's "Local:" reads "\x1b[1mLocal\x1b[22m:" under CI), so
# a ready line is looked for in the text without them.
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(
    args: list[str],
    *,
    ready: str,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
    program: str | None = None,
    cwd: Path = ROOT,
) -> tuple[subprocess.Popen[str], list[str]]:
    """Starts `python <args>` (or `program <args>`) in the repo root and waits for a line
    containing `ready` (colours aside), for at most `timeout` seconds. It leads a process
    group of its own (`os.killpg(process.pid, ...)` reaches what it started).

    The output is read on a thread: a select() on a buffered pipe misses lines already read
    into the buffer.
    """
    process = subprocess.Popen(
        [program or sys.executable, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    pumping = threading.Thread(target=pump, daemon=True)
    pumping.start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if ready in _COLOUR.sub("", line):
            process.output_lines = lines  # type: ignore[attr-defined]
            process.output_pump = pumping  # type: ignore[attr-defined]
            return process, seen
    process.output_pump = pumping  # type: ignore[attr-defined]
    stop(process)
    raise AssertionError(f"{args} did not become ready:\n{''.join(seen)}")


def stop(process: subprocess.Popen[str], sig: int = signal.SIGINT) -> str:
    """Sends `sig` (Ctrl-C by default) and returns the rest of the output."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    pending: queue.Queue[str | None] | None = getattr(process, "output_lines", None)
    rest: list[str] = []
    while pending is not None:
        try:
            line = pending.get(timeout=5)
        except queue.Empty:
            break
        if line is None:
            break
        rest.append(line)
    pump: threading.Thread | None = getattr(process, "output_pump", None)
    if pump is not None:
        pump.join(timeout=5)
    if process.stdout is not None:
        process.stdout.close()
    return "".join(rest)


def predict_command(picture: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`make predict`'s script, run as a user runs it."""
    return subprocess.run(
        [sys.executable, "scripts/predict.py", str(picture), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
