"""Every string reaches the log, as JSON a log reader can parse."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from monolambda.logs import to_json
from tests.support.processes import ROOT

# External finding: a lone surrogate in reportClientError answered 200 with a request id, but
# the log record was dropped (the stream could not encode it as UTF-8).
PROGRAM = """
from monolambda.handler import handler
from tests.support.apigw import FakeLambdaContext, http_api_event, response_json
query = 'mutation($m: String!) { reportClientError(input: {message: $m}) { requestId } }'
event = http_api_event({"query": query, "variables": {"m": "broke \\ud800 here, caf\\u00e9"}},
                       claims={"sub": "alice"})
response = handler(event, FakeLambdaContext("rid-surrogate"))
print("RESPONSE", response["statusCode"], response_json(response))
"""


def test_a_lone_surrogate_reaches_the_log_escaped() -> None:
    run = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=ROOT,
        env={**os.environ, "APP_ENV": "dev", "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
        capture_output=True,
        check=True,
    )
    assert b"Logging error" not in run.stderr, run.stderr.decode(errors="replace")
    lines = run.stdout.decode("utf-8").splitlines()  # strict: the log is valid UTF-8
    assert "RESPONSE 200" in lines[-1]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    (report,) = [r for r in records if r.get("message") == "client error reported"]
    assert report["client_error"] == "broke \ud800 here, caf\u00e9"
    assert report["request_id"] == "rid-surrogate"
    # Readable non-ASCII stays as it is; only the surrogate is escaped.
    assert "café" in next(line for line in lines if "client error reported" in line)


def test_to_json_escapes_only_lone_surrogates() -> None:
    text = to_json({"a": "x\udfffy", "b": "\u00e9\U0001f600", "\ud800key": 1})
    assert text.encode("utf-8")  # would raise on a raw surrogate
    assert json.loads(text) == {"a": "x\udfffy", "b": "\u00e9\U0001f600", "\ud800key": 1}
    assert "\u00e9\U0001f600" in text
