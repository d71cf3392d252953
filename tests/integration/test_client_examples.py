"""The README's clients run as written, against the local stack: the Python example (gql
over the WebSocket API, an upload through createUpload's form, a job watched to its end) and
the curl example."""

from __future__ import annotations

import json
import re
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


def test_the_readmes_curl_example(stack: RunningStack) -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- curl-example[^>]*-->\n```sh\n(.*?)```", readme, re.DOTALL)
    assert found, "the README's curl example is gone"
    command = found.group(1).replace("http://127.0.0.1:3000", stack.api)
    finished = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"TOKEN": stack.token, "PATH": "/usr/bin:/bin"},
    )
    answer = json.loads(finished.stdout)
    assert answer["data"]["health"]["status"] == "OK"
    assert answer["data"]["me"]["groups"] == ["admins"]
