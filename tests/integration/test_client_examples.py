"""The Python example runs as a user runs it, against the local stack: gql over the WebSocket
API, an upload through createUpload's form, a job watched to its end (the docs' own commands,
the curl ones included, run in tests/integration/test_docs_commands.py)."""

from __future__ import annotations

import subprocess
import sys

from tests.support.processes import ROOT
from tests.support.stack import RunningStack


def test_the_python_example_predicts_uploads_and_watches_its_job(jobs_stack: RunningStack) -> None:
    url = jobs_stack.api.replace("http://", "ws://", 1) + "/graphql"
    finished = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "python_client.py"),
            "--url",
            url,
            "--token",
            jobs_stack.token,
            str(ROOT / "samples" / "seven.png"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    lines = finished.stdout.splitlines()
    assert lines[0].startswith("predicted inline: 7 ")
    assert lines[1].startswith("predicted from its upload: 7 ")
    assert "job SUCCEEDED (1/1)" in lines
    assert lines[-1].startswith("job result: 7 ")
