"""A smoke test of a deployed stack, run when given its name (skipped otherwise):

    MONOLAMBDA_STACK=monolambda-dev MONOLAMBDA_TOKEN="$(make -s login ENV=dev EMAIL=...)" \\
      .venv/bin/python -m pytest tests/e2e/test_deployed_stack.py

Its outputs come from CloudFormation (AWS_ENDPOINT_URL for an AWS-compatible emulator, as
the SDK reads it); with the user pool on, MONOLAMBDA_TOKEN is a token of it (`make login`).
Then, through the clients users use (gql over HTTP and over the WebSocket API): a query, a
predict, a job to completion, a job started by an upload, and, when MONOLAMBDA_RECEIVER_URL
names a public URL that reaches MONOLAMBDA_RECEIVER_PORT on this machine, a webhook to the
receiver this test runs there. tests/integration/test_deployed_smoke.py runs this file
against the local stack, its outputs served by moto's CloudFormation.
"""

from __future__ import annotations

import asyncio
import base64
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


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    cloudformation = boto3.client("cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or ()}


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


def test_a_job_to_completion(api: Client, outputs: dict[str, str], token: str) -> None:
    image = base64.b64encode(SEVEN).decode()
    submitted = run(
        api,
        "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
        i={"model": "digits", "images": [image, image]},
    )
    job_id = submitted["submitJob"]["job"]["id"]
    states = watch_to_the_end(outputs, token, job_id)
    assert states[-1] == "SUCCEEDED", states
    results = run(
        api, "query($id: ID!) { job(id: $id) { results { labels { label } } } }", id=job_id
    )
    assert [r["labels"][0]["label"] for r in results["job"]["results"]] == ["7", "7"]


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
    job_query = "query($id: ID!) { job(id: $id) { status } }"

    def status() -> str | None:
        try:
            found: str = run(api, job_query, id=upload["jobId"])["job"]["status"]
        except Exception:  # noqa: BLE001 - NOT_FOUND until the notification arrives
            return None
        return found if found in TERMINAL else None

    assert eventually(status, 120) == "SUCCEEDED"


def test_a_webhook_reaches_a_receiver(api: Client, outputs: dict[str, str], token: str) -> None:
    public_url = os.environ.get("MONOLAMBDA_RECEIVER_URL", "")
    port = int(os.environ.get("MONOLAMBDA_RECEIVER_PORT", "0") or 0)
    if not public_url:
        pytest.skip("no receiver reachable from the stack (MONOLAMBDA_RECEIVER_URL, _PORT)")
    with receiver([200], port=port) as hooks:
        image = base64.b64encode(SEVEN).decode()
        submitted = run(
            api,
            "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
            i={"model": "digits", "images": [image], "callbackUrl": public_url},
        )
        job_id = submitted["submitJob"]["job"]["id"]
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
