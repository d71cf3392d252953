"""SnapStart's hooks, registered with the runtime's own registry (snapshot_restore_py, which
Lambda's managed runtime provides): before the snapshot every route is built and every heavy
library imported without a connection opened; after a restore randomness is re-seeded, SDK
clients are made again and the next invocation counts as a cold start. Each case in a fresh
interpreter: the hooks are registered as the handler module is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.processes import ROOT

PROGRAM = """
import json, random, sys
import snapshot_restore_py
from monolambda import handler, metrics, bootstrap
from monolambda.adapters import aws
before = [f for f, _, _ in snapshot_restore_py.get_before_snapshot()]
after = [f for f, _, _ in snapshot_restore_py.get_after_restore()]
result = {"registered": [f.__name__ for f in before + after]}
if before:
    for hook in before:
        hook()
    heavy = ("strawberry", "onnxruntime", "PIL", "numpy", "boto3", "pynamodb", "jwt")
    result["imported"] = sorted(m for m in heavy if m in sys.modules)
    result["http_built"] = bootstrap.http.cache_info().currsize
    from monolambda.bootstrap import live_route, adapters
    result["live_built"] = [f.cache_info().currsize for f in (
        live_route.live, live_route.live_operations, adapters.token_verifier)]
    # What making a client reads is in the session already: a DynamoDB client costs a
    # second client's reading, whichever route makes it first after the restore.
    loader = aws.botocore_session().get_component("data_loader")
    result["models_read"] = sorted(
        k[1] for k in loader._cache if k[0] == "load_service_model" and k[2] == "service-2")
    aws.client("sqs")
    result["clients_before"] = aws._client.cache_info().currsize
    state = random.getstate()
    metrics._state["cold"] = False
    for hook in after:
        hook()
    result["reseeded"] = random.getstate() != state
    result["clients_after"] = aws._client.cache_info().currsize
    result["cold_again"] = metrics._state["cold"]
    from tests.support.apigw import http_api_event, FakeLambdaContext
    event = http_api_event({"query": "{ health { status } }"})
    answer = handler.handler(event, FakeLambdaContext())
    result["status"] = answer["statusCode"]
print(json.dumps(result))
"""

ENV = {
    "APP_ENV": "prod",
    "ANONYMOUS_ACCESS": "true",
    "MODELS_BUCKET": "bucket",
    "MODEL_PARAMETER_PREFIX": "/stack/models",
    "JOBS_TABLE": "jobs",
    "JOBS_QUEUE_URL": "http://127.0.0.1:9/123456789012/jobs.fifo",
    "CONNECTIONS_TABLE": "connections",
    "WEBSOCKET_MANAGEMENT_URL": "http://127.0.0.1:9/live",
    "JWT_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_snap",
    "JWT_AUDIENCE": "snap-client",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def run(**env: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
            **ENV,
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_in_a_snapstart_container_the_snapshot_holds_every_route_built() -> None:
    result = run(AWS_LAMBDA_INITIALIZATION_TYPE="snap-start")
    assert result["registered"] == ["before_snapshot", "after_restore"]
    assert result["imported"] == [
        "PIL",
        "boto3",
        "jwt",
        "numpy",
        "onnxruntime",
        "pynamodb",
        "strawberry",
    ]
    assert result["http_built"] == 1
    assert result["live_built"] == [1, 1, 1]
    assert result["models_read"] == ["apigatewaymanagementapi", "dynamodb", "s3", "sqs", "ssm"]
    assert result["clients_before"] == 1
    assert result["reseeded"] is True
    assert result["clients_after"] == 0  # made again on first use, by this copy
    assert result["cold_again"] is True
    assert result["status"] == 200


def test_elsewhere_no_hook_is_registered() -> None:
    assert run(AWS_LAMBDA_INITIALIZATION_TYPE="on-demand") == {"registered": []}
