"""What the tests of a deployed stack share: AWS clients aimed at a stand-in (moto, an
emulator) by an environment of AWS_* variables, and the deployed-stack smoke test
(tests/e2e/test_deployed_stack.py) run in a process of its own, as a user runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import boto3

from tests.support.processes import ROOT

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA"]


def aws_client(service: str, env: dict[str, str]) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def run_smoke_test(env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """The smoke test's run, and each of its steps' outcome (PASSED, XFAIL, SKIPPED, ...)."""
    run = subprocess.run(
        [*PYTEST, "tests/e2e/test_deployed_stack.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    outcomes = {
        m.group(2): m.group(1)
        for m in re.finditer(
            r"^(PASSED|XFAIL|XPASS|FAILED|ERROR|SKIPPED) \S+::(\w+)", run.stdout, re.MULTILINE
        )
    }
    return run, outcomes
