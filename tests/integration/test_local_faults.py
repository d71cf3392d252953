"""What goes wrong around the local stack: each case is one clear line and no orphaned process."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.support.processes import ROOT, free_port, start, stop
from tests.support.stack import launch

BASE = ["-m", "devstack", "--port", "0", "--dynamodb-port", "0", "--moto-port", "0", "--quiet"]


def run(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def stand_ins_on(ports: list[int]) -> list[psutil.Process]:
    """Our stand-ins (DynamoDB Local, moto) listening on any of these ports, found by their
    command lines (`-port N`, `-p N`)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        arguments = process.info["cmdline"] or []
        line = " ".join(arguments)
        if "DynamoDBLocal" not in line and "devstack.moto_main" not in line:
            continue
        for flag, value in itertools.pairwise(arguments):
            if flag in ("-port", "-p") and value in {str(p) for p in ports}:
                found.append(process)
    return found


def wait_gone(pids: list[int], timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [
            p
            for p in pids
            if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
        ]
        if not alive:
            return []
        time.sleep(0.1)
    return alive


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.mark.parametrize("which", ["--port", "--moto-port", "--dynamodb-port"])
def test_a_port_in_use_is_named_and_nothing_is_left(
    taken_port: int, which: str, tmp_path: Path
) -> None:
    # Explicit ports, so that a stand-in started before the refusal could be found after it.
    ports = {"--port": free_port(), "--moto-port": free_port(), "--dynamodb-port": free_port()}
    ports[which] = taken_port
    args = ["-m", "devstack", "--quiet", "--state-dir", str(tmp_path)]
    for flag, port in ports.items():
        args += [flag, str(port)]
    result = run(args)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{taken_port} is already in use" in lines[0]
    others = [p for flag, p in ports.items() if flag != which]
    assert wait_gone([p.pid for p in stand_ins_on(others)]) == []
    assert not (tmp_path / "stack.json").exists()


def test_the_stand_in_check_finds_a_running_stand_in(tmp_path: Path) -> None:
    # What the test above relies on: a stand-in on a known port is found by it.
    moto = free_port()
    args = [*BASE, "--state-dir", str(tmp_path), "--moto-only"]
    args[args.index("--moto-port") + 1] = str(moto)
    process, _ = start(args, ready="ready in")
    try:
        assert len(stand_ins_on([moto])) == 1
    finally:
        stop(process)
    assert wait_gone([p.pid for p in stand_ins_on([moto])]) == []


def test_missing_java_is_named_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    result = run([*BASE, "--state-dir", str(tmp_path)], env=env)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: java not found")
    assert len(result.stderr.strip().splitlines()) == 1


def test_moto_only_runs_without_java(tmp_path: Path) -> None:
    env_path = str(Path(sys.executable).parent)  # no java on this PATH
    proc, output = start(
        [*BASE, "--state-dir", str(tmp_path), "--moto-only"],
        ready="ready in",
        env={"PATH": env_path},
    )
    rest = stop(proc)
    text = "".join(output) + rest
    assert "warning: --moto-only" in text
    assert "moto's: it differs from AWS" in text
    assert proc.returncode == 0, text


def test_a_second_stack_beside_a_running_one_is_refused(tmp_path: Path) -> None:
    first = launch(tmp_path)
    try:
        result = run([*BASE, "--state-dir", str(tmp_path)])
        assert result.returncode == 1
        assert f"a local stack is already running (pid {first.process.pid}" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    finally:
        stop(first.process)
    assert first.process.returncode == 0
    assert wait_gone(first.children) == []


def test_ctrl_c_during_start_up_stops_everything(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, *BASE, "--state-dir", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    children: list[int] = []
    deadline = time.monotonic() + 30
    while len(children) < 2 and time.monotonic() < deadline:  # moto and java are starting
        children = [c.pid for c in psutil.Process(process.pid).children(recursive=True)]
        time.sleep(0.02)
    assert len(children) >= 2
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode in (0, 130), err
    assert "Traceback" not in err
    assert wait_gone(children) == []


def test_a_stand_in_that_dies_stops_the_stack_with_a_message(tmp_path: Path) -> None:
    stack = launch(tmp_path)
    java = [p for p in map(psutil.Process, stack.children) if "java" in p.name()]
    assert java
    java[0].kill()
    stack.process.wait(timeout=30)
    output = stop(stack.process)
    assert stack.process.returncode == 1
    assert "DynamoDB Local exited unexpectedly" in output
    assert wait_gone(stack.children) == []


def test_a_killed_stack_takes_its_stand_ins_with_it(tmp_path: Path) -> None:
    stack = launch(tmp_path)
    os.kill(stack.process.pid, signal.SIGKILL)
    stack.process.wait(timeout=10)
    stop(stack.process)
    assert wait_gone(stack.children) == []
    # ... and the next start is not refused by the stale state file.
    again = launch(tmp_path)
    stop(again.process)
    assert again.process.returncode == 0


def test_sigint_stops_a_stack_started_in_the_background(tmp_path: Path) -> None:
    # A shell starts background jobs with SIGINT ignored; `kill -INT` must still stop the stack.
    process = subprocess.Popen(
        [sys.executable, *BASE, "--state-dir", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "ready in" in line:
            break
    children = [c.pid for c in psutil.Process(process.pid).children(recursive=True)]
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out
    assert wait_gone(children) == []
