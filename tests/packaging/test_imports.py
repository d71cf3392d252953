"""What a request costs to import, checked in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Powertools imports the bare `botocore` package (0.5 ms) to register its user agent; the SDK's
# cost is in sessions and clients, which must not load.
HEAVY = ["boto3", "botocore.session", "botocore.client", "numpy", "PIL", "onnxruntime", "pynamodb"]

PROGRAM = """
import json, sys
from monolambda.handler import handler
from tests.support.apigw import FakeLambdaContext, http_api_event, response_json
event = http_api_event({"query": "{ health { status } version { version } }"})
response = handler(event, FakeLambdaContext())
heavy = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in %r))
body = response_json(response)
print(json.dumps({"status": response["statusCode"], "body": body, "heavy": heavy}))
"""


@pytest.mark.parametrize(
    "configuration",
    [{}, {"MODELS_BUCKET": "models", "MODEL_PARAMETER_PREFIX": "/stack/models"}],
    ids=["bare", "with-predictions-configured"],
)
def test_a_non_predict_request_imports_no_heavy_library(configuration: dict[str, str]) -> None:
    env = {
        **os.environ,
        **configuration,
        "APP_ENV": "prod",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM % (HEAVY,)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert result["body"]["data"]["health"]["status"] in {"OK", "DEGRADED"}
    assert result["heavy"] == []
