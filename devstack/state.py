"""A running stack's state directory: its stack.json (where its endpoints are, its dev
token, its control key) and whether the stack that wrote it still runs. Light to import, so
that `make token` and a refused second `make dev` answer at once."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

STATE_FILE = "stack.json"


@dataclass
class StackState:
    pid: int
    api: str
    dynamodb: str
    moto: str
    token: str
    region: str
    started: float
    # What the stack's own endpoints (/_devstack/...) require in CONTROL_HEADER: read from
    # this file by the tools and tests, never sent by the function or a web page.
    control_key: str = ""

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.unlink(missing_ok=True)
        # Only its owner may read it: it holds the dev token and the control key.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(json.dumps(asdict(self), indent=2) + "\n")
        temporary.replace(path)


def running_stack(state_dir: Path) -> StackState | None:
    """The state of the stack that runs with this state directory; None when none does (no
    stack.json, or one left by a stack that was killed)."""
    try:
        state = StackState(**json.loads((state_dir / STATE_FILE).read_text()))
        process = psutil.Process(state.pid)
        if process.is_running() and any("devstack" in part for part in process.cmdline()):
            return state
    except (OSError, ValueError, TypeError, psutil.Error):
        pass
    return None


def already_running(other: StackState) -> str:
    return (
        f"a local stack is already running (pid {other.pid}, {other.api}); "
        "stop it first (Ctrl-C in its terminal), or give this one another --state-dir"
    )
