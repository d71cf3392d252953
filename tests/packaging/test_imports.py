"""What a cold start imports, checked in a fresh interpreter per route: each route pays only
for its own part of the container."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.records import S3, SCHEDULE, SQS, STREAM

ROOT = Path(__file__).resolve().parents[2]

# Powertools imports the bare `botocore` package (0.5 ms) to register its user agent; the SDK's
# cost is in sessions and clients, which must not load.
SDK_AND_PREDICT = [
    "boto3",
    "botocore.session",
    "botocore.client",
    "numpy",
    "PIL",
    "onnxruntime",
    "pynamodb",
]
HTTP_STACK = ["strawberry", "graphql", "starlette", "mangum", "cross_web"]

PROGRAM = """
import json, sys
from monolambda.handler import handler
from tests.support.apigw import FakeLambdaContext
event = json.loads(sys.argv[1])
try:
    response = handler(event, FakeLambdaContext())
except Exception as e:  # a route that calls AWS reaches nothing here (port 9): imports still count
    response = {"error": type(e).__name__}
watched = json.loads(sys.argv[2])
loaded = sorted(m for m in sys.modules if any(m == w or m.startswith(w + ".") for w in watched))
print(json.dumps({"response": response, "loaded": loaded}))
"""

PREDICTIONS = {"MODELS_BUCKET": "models", "MODEL_PARAMETER_PREFIX": "/stack/models"}


def cold(event: dict[str, Any], watched: list[str], **env: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, json.dumps(event), json.dumps(watched)],
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            **env,
            "APP_ENV": "prod",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        },
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("configuration", [{}, PREDICTIONS], ids=["bare", "with-predictions"])
def test_a_non_predict_request_imports_no_sdk_or_predict_library(
    configuration: dict[str, str],
) -> None:
    from tests.support.apigw import http_api_event  # noqa: PLC0415

    event = http_api_event({"query": "{ health { status } version { version } }"})
    result = cold(event, SDK_AND_PREDICT, **configuration)
    assert result["response"]["statusCode"] == 200
    assert '"version"' in result["response"]["body"]
    assert result["loaded"] == []


def test_a_health_request_imports_none_of_the_jobs_domain() -> None:
    """The ports and the jobs' dataclasses are the job routes' to import: the request guard
    naming the persisted-query port at run time once cost `{ health }` 8 % more instructions
    to its first answer (bench/startup.py)."""
    from tests.support.apigw import http_api_event  # noqa: PLC0415

    watched = ["monolambda.domain.ports", "monolambda.domain.jobs", "monolambda.domain.live"]
    result = cold(http_api_event({"query": "{ health { status } }"}), watched)
    assert result["response"]["statusCode"] == 200
    assert result["loaded"] == []


JOBS = {
    **PREDICTIONS,
    "JOBS_TABLE": "jobs",
    "JOBS_QUEUE_URL": "http://127.0.0.1:9/123456789012/jobs.fifo",
    # Whatever a route calls goes nowhere: a closed port on loopback, dummy credentials (no
    # lookup of the instance metadata service), one try.
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "none",
    "AWS_SECRET_ACCESS_KEY": "none",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_MAX_ATTEMPTS": "1",
}
PREDICT_LIBRARIES = ["numpy", "PIL", "onnxruntime"]


@pytest.mark.parametrize(
    ("event", "watched"),
    [
        # The worker needs the job table (PynamoDB, botocore) but not, until a job runs, the
        # predict path's libraries; the outbox needs SQS (boto3), not PynamoDB.
        (SQS, HTTP_STACK + PREDICT_LIBRARIES + ["boto3"]),
        (STREAM, HTTP_STACK + PREDICT_LIBRARIES + ["pynamodb"]),
        (S3, HTTP_STACK + SDK_AND_PREDICT),
        # The sweeper reads the table (PynamoDB, botocore), nothing else.
        (SCHEDULE, HTTP_STACK + PREDICT_LIBRARIES + ["boto3"]),
    ],
    ids=["sqs", "dynamodb-stream", "s3", "schedule"],
)
def test_the_other_routes_import_nothing_of_the_http_stack(
    event: dict[str, Any], watched: list[str]
) -> None:
    result = cold(event, watched, **JOBS)
    assert result["loaded"] == []


def test_the_http_route_does_load_the_http_stack() -> None:
    # What the tests above rely on: the watch list does catch a route that imports them.
    from tests.support.apigw import http_api_event  # noqa: PLC0415

    result = cold(http_api_event({"query": "{ version { version } }"}), HTTP_STACK)
    assert {"strawberry", "graphql", "mangum", "cross_web"} <= set(result["loaded"])
    # Strawberry's HTTP view reads and answers ASGI itself (api.transport.asgi_http): its
    # Starlette-based view and Starlette are never loaded (issue 30: 57 M instructions).
    assert "starlette" not in result["loaded"]


LIVE = {
    **JOBS,
    "CONNECTIONS_TABLE": "connections",
    "WEBSOCKET_MANAGEMENT_URL": "http://127.0.0.1:9/live",
    "ANONYMOUS_ACCESS": "true",
}


def _frame(body: dict[str, Any]) -> dict[str, Any]:
    from tests.support.apigw import load_event  # noqa: PLC0415

    event = load_event("websocket-message-ping.json")
    event["body"] = json.dumps(body)
    return event


@pytest.mark.parametrize(
    "event",
    [
        "websocket-connect.json",
        {"type": "connection_init", "payload": {}},
        {"type": "ping"},
        "websocket-disconnect.json",
    ],
    ids=["connect", "connection_init", "ping", "disconnect"],
)
def test_the_websocket_route_imports_the_schema_only_to_subscribe(event: Any) -> None:
    """Only `subscribe` runs GraphQL (tests/integration/test_live_stack.py checks that it
    never loads Starlette or Mangum)."""
    from tests.support.apigw import load_event  # noqa: PLC0415

    loaded = load_event(event) if isinstance(event, str) else _frame(event)
    result = cold(loaded, HTTP_STACK + PREDICT_LIBRARIES, **LIVE)
    assert result["loaded"] == []


def test_the_stream_route_with_live_updates_builds_no_schema_without_subscribers() -> None:
    # Its query of the subscribers fails here (nothing listens on port 9): nobody to render for.
    result = cold(STREAM, HTTP_STACK + PREDICT_LIBRARIES, **LIVE)
    assert result["loaded"] == []
