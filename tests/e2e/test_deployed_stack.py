"""A smoke test of a deployed stack, run when given its name (skipped otherwise):

    MONOLAMBDA_STACK=monolambda-dev MONOLAMBDA_TOKEN="$(make -s login ENV=dev EMAIL=...)" \\
      .venv/bin/python -m pytest tests/e2e/test_deployed_stack.py

Its outputs come from CloudFormation (AWS_ENDPOINT_URL for an AWS-compatible emulator, as
the SDK reads it); with the user pool on, MONOLAMBDA_TOKEN is a token of it (`make login`).
MONOLAMBDA_GRAPHQL_URL and MONOLAMBDA_WEBSOCKET_URL, when set, stand for the outputs'
GraphQLUrl and WebSocketUrl (an emulator's APIs answer at an address of its own, such as
http://127.0.0.1:4566/_aws/execute-api/{HttpApiId}/$default/graphql).

Then, through the clients users use (gql over HTTP and over the WebSocket API): a query, a
predict, a job to completion, the same job's updates over the WebSocket API, a job started by
an upload, and, when MONOLAMBDA_RECEIVER_URL names a URL that reaches MONOLAMBDA_RECEIVER_PORT
on this machine, a webhook to the receiver this test runs there.

MONOLAMBDA_KNOWN_GAPS (JSON, {"test name": "reason"}) marks the steps an emulator is known not
to support as expected failures, strictly: a gap that closes fails the run, so the list stays
true. tests/integration/test_deployed_smoke.py runs this file against the local stack (its
outputs served by moto's CloudFormation); tests/e2e/test_emulator_deploy.py against a stack
`make deploy` put on an emulator.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from gql import Client, GraphQLRequest
from gql.transport.requests import RequestsHTTPTransport
from gql.transport.websockets import WebsocketsTransport

from tests.support.processes import ROOT
from tests.support.receivers import receiver
from tests.support.waiting import eventually

STACK = os.environ.get("MONOLAMBDA_STACK", "")
pytestmark = pytest.mark.skipif(not STACK, reason="no deployed stack named (MONOLAMBDA_STACK)")

SEVEN = (ROOT / "samples" / "seven.png").read_bytes()
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
WATCH = """
subscription($id: ID!) { jobUpdated(id: $id) { id status progress { done total } } }
"""


KNOWN_GAPS: dict[str, str] = json.loads(os.environ.get("MONOLAMBDA_KNOWN_GAPS") or "{}")
# The addresses that stand for the outputs' (MONOLAMBDA_GRAPHQL_URL for GraphQLUrl, ...).
ADDRESS_OVERRIDES = {
    "GraphQLUrl": "MONOLAMBDA_GRAPHQL_URL",
    "WebSocketUrl": "MONOLAMBDA_WEBSOCKET_URL",
}


@pytest.fixture(autouse=True)
def known_gap(request: pytest.FixtureRequest) -> None:
    reason = KNOWN_GAPS.get(request.node.name)
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    cloudformation = boto3.client("cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    found = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or ()}
    for output, variable in ADDRESS_OVERRIDES.items():
        found[output] = os.environ.get(variable) or found[output]
    return found


@pytest.fixture(scope="module")
def token(outputs: dict[str, str]) -> str:
    given = os.environ.get("MONOLAMBDA_TOKEN", "")
    if "UserPoolId" in outputs and not given:
        pytest.skip("the stack's user pool is on: give MONOLAMBDA_TOKEN (make login)")
    return given


@pytest.fixture(scope="module")
def api(outputs: dict[str, str], token: str) -> Iterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = RequestsHTTPTransport(url=outputs["GraphQLUrl"], headers=headers, timeout=30)
    with Client(transport=transport) as session:
        yield session


def run(api: Any, query: str, **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = api.execute(GraphQLRequest(query, variable_values=variables))
    return result


def watch_to_the_end(outputs: dict[str, str], token: str, job_id: str) -> list[str]:
    """The job's states as the subscription shows them, until it ends."""

    async def states() -> list[str]:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        transport = WebsocketsTransport(url=outputs["WebSocketUrl"], init_payload=payload)
        seen: list[str] = []
        async with Client(transport=transport, execute_timeout=120) as session:
            request = GraphQLRequest(WATCH, variable_values={"id": job_id})
            async for update in session.subscribe(request):
                seen.append(update["jobUpdated"]["status"])
        return seen

    return asyncio.run(asyncio.wait_for(states(), timeout=180))


def test_a_query(api: Client) -> None:
    result = run(api, "{ health { status } version { version } models { name } }")
    assert result["health"]["status"] in {"OK", "DEGRADED"}
    assert {"digits", "colours"} <= {m["name"] for m in result["models"]}


def test_a_predict(api: Client) -> None:
    image = base64.b64encode(SEVEN).decode()
    result = run(
        api,
        "query($i: PredictInput!) { predict(input: $i) { labels { label } } }",
        i={"model": "digits", "image": image},
    )
    assert result["predict"]["labels"][0]["label"] == "7"


def submitted_job(api: Client, images: int = 2, **extra: Any) -> str:
    image = base64.b64encode(SEVEN).decode()
    submitted = run(
        api,
        "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
        i={"model": "digits", "images": [image] * images, **extra},
    )
    job_id: str = submitted["submitJob"]["job"]["id"]
    return job_id


def ended(api: Client, job_id: str) -> str | None:
    status: str = run(api, "query($id: ID!) { job(id: $id) { status } }", id=job_id)["job"][
        "status"
    ]
    return status if status in TERMINAL else None


def test_a_job_to_completion(api: Client) -> None:
    job_id = submitted_job(api)
    assert eventually(lambda: ended(api, job_id), 180) == "SUCCEEDED"
    results = run(
        api, "query($id: ID!) { job(id: $id) { results { labels { label } } } }", id=job_id
    )
    assert [r["labels"][0]["label"] for r in results["job"]["results"]] == ["7", "7"]


def test_a_job_watched_over_the_websocket_api(
    api: Client, outputs: dict[str, str], token: str
) -> None:
    job_id = submitted_job(api)
    states = watch_to_the_end(outputs, token, job_id)
    assert states[-1] == "SUCCEEDED", states


def test_a_job_started_by_an_upload(api: Client, outputs: dict[str, str], token: str) -> None:
    upload = run(
        api,
        'mutation($size: Int!) { createUpload(contentType: "image/png", size: $size, '
        'purpose: JOB, model: "digits") { url jobId fields { name value } } }',
        size=len(SEVEN),
    )["createUpload"]
    fields = {f["name"]: f["value"] for f in upload["fields"]}
    answer = requests.post(
        upload["url"], data=fields, files={"file": ("seven.png", SEVEN, "image/png")}, timeout=60
    )
    assert answer.status_code in (200, 201, 204), answer.text
    # The job exists once S3's notification reached the function.

    def status() -> str | None:
        try:
            return ended(api, upload["jobId"])
        except Exception:  # noqa: BLE001 - NOT_FOUND until the notification arrives
            return None

    assert eventually(status, 120) == "SUCCEEDED"


def test_a_webhook_reaches_a_receiver(api: Client, outputs: dict[str, str], token: str) -> None:
    public_url = os.environ.get("MONOLAMBDA_RECEIVER_URL", "")
    port = int(os.environ.get("MONOLAMBDA_RECEIVER_PORT", "0") or 0)
    if not public_url:
        pytest.skip("no receiver reachable from the stack (MONOLAMBDA_RECEIVER_URL, _PORT)")
    with receiver([200], port=port) as hooks:
        job_id = submitted_job(api, images=1, callbackUrl=public_url)
        webhook = "query($id: ID!) { job(id: $id) { webhook { status } } }"
        delivered = eventually(
            lambda: (
                (w := run(api, webhook, id=job_id)["job"]["webhook"])
                and w["status"] != "PENDING"
                and w["status"]
            ),
            180,
        )
        assert delivered == "DELIVERED"
        assert len(hooks.accepted()) == 1
