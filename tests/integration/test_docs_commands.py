"""The docs' commands, run as written (issue 28: "every command and code block in the docs runs
in a test"), against a local stack: the README's quick start with `make dev` itself, from its
start to a finished job, and every page's `console` and `sh` blocks against the test stack.
Found trying it as a new user: the README's example hard-coded `.dev/stack.json`, and
`python examples/python_client.py` failed as written (no gql outside the venv)."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from tests.support.docs import (
    README,
    Ran,
    named_block,
    pages,
    run_blocks,
    runnable,
    steps,
    users_environment,
)
from tests.support.processes import ROOT, free_port, start, stop
from tests.support.stack import RunningStack

DOC_PAGES = [p for p in pages() if p != README and runnable(p)]


def failures(ran: list[Ran]) -> str:
    return "\n\n".join(
        f"{r.where}: $ {r.step.command}\n(exit {r.status}) printed:\n{r.printed}\n"
        f"expected:\n{r.step.output}"
        for r in ran
        if not r.ok
    )


def numbers_as_n(text: str) -> str:
    """A banner's ports, seconds and ids vary between runs; its shape does not."""
    return re.sub(r"\d+(\.\d+)?", "N", text)


@pytest.mark.parametrize("page", DOC_PAGES, ids=[str(p.relative_to(ROOT)) for p in DOC_PAGES])
def test_each_pages_commands_as_written(page: Path, stack: RunningStack, tmp_path: Path) -> None:
    env = users_environment(STATE_DIR=str(stack.state_dir))
    ran = run_blocks(runnable(page), tmp_path, stack.api, env)
    assert ran, page
    assert all(r.ok for r in ran), failures(ran)


def test_the_readme_quick_start_as_written(tmp_path: Path) -> None:
    """`make dev` in one terminal, the README's commands in another, through a finished job;
    and `make dev`'s banner is the one the README and docs/local-stack.md show."""
    port = free_port()
    state_dir = tmp_path / "state"
    env = users_environment(
        PORT=str(port),
        STATE_DIR=str(state_dir),
        # The stand-ins on any free port: another stack (the session's) may hold the defaults.
        ARGS="--dynamodb-port 0 --moto-port 0",
    )
    dev = steps(named_block("quick-start-dev"))
    assert [s.command for s in dev] == ["make dev"]
    process, seen = start(["dev"], ready="ready in", env=env, program="make", timeout=600)
    try:
        printed = "".join(seen)
        api = f"127.0.0.1:{port}"
        assert dev[0].at(api).matches(printed), printed
        _the_banner_is_the_documented_one(printed, state_dir)
        work = tmp_path / "steps"
        work.mkdir()
        blocks = runnable(README)
        ran = run_blocks(blocks, work, f"http://{api}", env)
        assert [r.step.command.split()[0] for r in ran][:2] == ["TOKEN=$(make", "curl"]
        assert all(r.ok for r in ran), failures(ran)
        assert any("job SUCCEEDED (1/1)" in r.printed for r in ran)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in make dev's terminal
        rest = stop(process)
    assert process.returncode in (0, 2, -signal.SIGINT), rest


def _the_banner_is_the_documented_one(printed: str, state_dir: Path) -> None:
    lines = printed.splitlines()
    banner = "\n".join(lines[next(i for i, x in enumerate(lines) if x.startswith("starting")) :])
    banner = banner.replace(f" STATE_DIR={state_dir}", "")
    banner = re.sub(r"(?m)^    eyJ\S+$", "    eyJhbGciOiJSUzI1NiIs...", banner)
    # What only a first run does (the models built, make dev's set-up counted) is the README's.
    banner = re.sub(r"(?m)^building the bundled models.*\n", "", banner)
    banner = re.sub(r"^(ready in [\d.]+ s) \([^)]*\):", r"\1:", banner, flags=re.M)
    documented = steps(named_block("dev-banner"))[0].output.removeprefix("...\n")
    assert numbers_as_n(banner).splitlines() == numbers_as_n(documented).splitlines()


def test_the_two_commands_are_the_ones_ci_and_a_user_run() -> None:
    """The README's and Getting started's two commands: `make dev`, which the quick start
    test runs, and `make test`, which CI runs (.ci/run)."""
    for block in (named_block("readme-two-commands"), named_block("two-commands")):
        commands = [
            line.split("#")[0].strip()
            for line in block.text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        assert commands == ["make dev", "make test"], block.where
    assert "\nmake test\n" in (ROOT / ".ci" / "run").read_text()
