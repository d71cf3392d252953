"""The tests' own process starter finds a ready line however the tool colours it: under
CI (`CI` set), Vite colours "Local:" even on a pipe, and a fixture that looked for the plain
text waited until CI's 90 minutes ran out."""

from __future__ import annotations

import sys

import pytest

from tests.support.processes import start, stop

pytestmark = pytest.mark.slow


def test_a_coloured_ready_line_is_found() -> None:
    line = "  \\x1b[1mLocal\\x1b[22m:   http://127.0.0.1:1/"
    program = f"import time; print('{line}'); time.sleep(60)"
    process, seen = start(["-c", program], ready="Local:", timeout=30)
    try:
        assert "\x1b[1mLocal" in seen[-1]
    finally:
        stop(process)


def test_a_process_that_never_gets_ready_fails_within_its_timeout() -> None:
    program = "import time; print('starting'); time.sleep(60)"
    with pytest.raises(AssertionError, match="did not become ready"):
        start(["-c", program], ready="Local:", timeout=1, program=sys.executable)
