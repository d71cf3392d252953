"""The local stack's tools as a new user meets them (external findings, "found trying it as
a new user"): `make token` for a state directory no stack runs in made a new key and a token
every request refused, with no reason anywhere; the banner's hint left out STATE_DIR; `--help`
and the refusal of a second stack took 20 s of imports."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.support.processes import ROOT, predict_command, start, stop
from tests.support.stack import RunningStack

# Whether a run of the stack's entry point loaded the template readers (seconds of imports).
PROBE = """
import runpy, sys
sys.argv = ["devstack", *sys.argv[1:]]
try:
    runpy.run_module("devstack", run_name="__main__")
except SystemExit as e:
    code = e.code
print("EXIT", code, "cfnlint" in sys.modules, "samtranslator" in sys.modules)
"""


def make_token(state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "token", "USER=carol", f"STATE_DIR={state_dir}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_token_refuses_a_state_dir_where_no_stack_runs(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    answer = make_token(missing)
    assert answer.returncode != 0
    assert "no local stack runs with the state directory" in answer.stderr
    assert not missing.exists()  # no directory, no key made
    # A stack.json left by a stack that was killed is no stack either.
    left = tmp_path / "left"
    left.mkdir()
    state = {"pid": 2**22 + 1, "api": "http://127.0.0.1:1", "dynamodb": "", "moto": ""}
    state |= {"token": "", "region": "us-east-1", "started": 0.0}
    (left / "stack.json").write_text(json.dumps(state))
    assert make_token(left).returncode != 0
    assert not (left / "jwt-signing-key.pem").exists()


def test_the_banner_names_the_state_dir_for_make_token(stack: RunningStack) -> None:
    hint = next(line for line in stack.banner if "make token USER=alice" in line)
    assert f"STATE_DIR={stack.state_dir}" in hint


def test_the_stack_says_why_it_refused_a_token(stack: RunningStack) -> None:
    status, _ = stack.graphql({"query": "{ me { sub } }"}, token="not-a-jwt")
    assert status == 401
    line = stack.printed("the token was refused")
    assert line is not None
    assert "401 POST /graphql" in line


def test_help_and_a_second_stack_answer_before_the_template_is_read(stack: RunningStack) -> None:
    for args in (["--help"], ["--state-dir", str(stack.state_dir), "--port", "0"]):
        run = subprocess.run(
            [sys.executable, "-c", PROBE, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert run.stdout.strip().splitlines()[-1] in ("EXIT 0 False False", "EXIT 1 False False")
    assert "already running" in run.stderr


def test_make_predict_with_a_missing_file_says_so_without_a_traceback(tmp_path: Path) -> None:
    run = predict_command(tmp_path / "missing.png", "--url", "http://127.0.0.1:9/graphql")
    assert run.returncode == 1
    assert "cannot read" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_sample_image_the_readme_uses_ships() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "samples/seven.png" in readme
    assert (ROOT / "samples" / "seven.png").stat().st_size > 0


def test_only_its_owner_may_read_the_stacks_state(stack: RunningStack) -> None:
    # stack.json holds the dev token and the control key of the stack's own endpoints.
    assert (stack.state_dir / "stack.json").stat().st_mode & 0o077 == 0


def test_the_stack_says_what_it_is_doing_and_counts_make_devs_set_up(tmp_path: Path) -> None:
    """Found trying it as a new user: the first `make dev` said "ready in 5.5 s" after 24.9 s,
    and said nothing while it built the models."""
    args = ["-m", "devstack", "--port", "0", "--dynamodb-port", "0", "--moto-port", "0"]
    # As `make dev` passes it: it began 30 s ago, installing.
    began = time.time() - 30
    process, seen = start(
        [*args, "--state-dir", str(tmp_path)],
        ready="ready in",
        env={"DEVSTACK_BEGAN": f"{began:.3f}"},
    )
    try:
        printed = "".join(seen)
        steps = [
            "starting DynamoDB Local (on Java) and moto ...",
            "creating the template's tables, queues, bucket and parameters ...",
            "starting the function, its event sources and the API ...",
            "ready in ",
        ]
        positions = [printed.index(step) for step in steps]
        assert positions == sorted(positions)
        ready = seen[-1]
        seconds = float(ready.split("ready in ")[1].split(" s")[0])
        assert seconds >= 30  # counted from when make dev began
        assert " s of it setting up" in ready
    finally:
        stop(process)
