"""The function in this test process: the real handler, pointed at an idle local stack's
stand-ins and fed by the local stack's own SQS and stream pollers (as `make dev` runs them),
so that tests can inject faults through botocore's hooks or change its environment."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devstack.event_sources import SqsPoller, StreamPoller, failure_reporter
from devstack.template import load
from monolambda import bootstrap
from monolambda.adapters.dynamo_job_items import JobRecord
from monolambda.domain.jobs import JobStatus
from monolambda.handler import handler
from tests.support.apigw import FakeLambdaContext
from tests.support.images import encode, solid
from tests.support.processes import ROOT
from tests.support.stack import RunningStack, gql

IMAGE = base64.b64encode(encode(solid((30, 200, 30), (24, 24)))).decode()
TERMINAL = {s.value for s in JobStatus if s.terminal}


class Function:
    """The function in this process, pointed at the idle stack's stand-ins, fed by the local
    stack's pollers (as `make dev` runs them)."""

    def __init__(self, stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> None:
        self.stack = stack
        environment = json.loads((stack.state_dir / "function-env.json").read_text())
        for name, value in environment["MonolambdaFunction"].items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("JOB_RETRY_DELAY_S", "1")
        bootstrap.reset()
        JobRecord._connection = None
        self.environment = environment["MonolambdaFunction"]
        self.pollers: list[SqsPoller | StreamPoller] = []
        self.invocations = 0

    def invoke(self, event: Any) -> Any:
        self.invocations += 1
        return handler(event, FakeLambdaContext())

    def start(
        self,
        *,
        worker: bool = True,
        stream_retries: int | None = None,
        stream_filter: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        """`stream_retries`: the stream mapping's MaximumRetryAttempts, if not the
        template's; `stream_filter`: what the stream's events go through on their way in."""
        template = load(ROOT / "template.yaml", {"JobVisibilityTimeout": "3"})
        sqs = self.stack.client("sqs")
        queue_url = self.environment["JOBS_QUEUE_URL"]
        (messages,) = template.sqs_mappings
        (outbox,) = template.stream_mappings
        if stream_retries is not None:
            outbox = dataclasses.replace(outbox, maximum_retry_attempts=stream_retries)
        through = stream_filter or (lambda event: event)
        table = self.stack.client("dynamodb").describe_table(
            TableName=self.environment["JOBS_TABLE"]
        )["Table"]
        self.pollers = [
            SqsPoller(
                messages,
                sqs=sqs,
                queue_url=queue_url,
                queue_arn="arn:aws:sqs:us-east-1:123456789012:jobs.fifo",
                region=self.stack.region,
                invoke=self.invoke,
                concurrency=2,
                log=lambda line: None,
            ),
            StreamPoller(
                outbox,
                streams=self.stack.client("dynamodbstreams"),
                stream_arn=lambda: str(table["LatestStreamArn"]),
                region=self.stack.region,
                invoke=lambda event: self.invoke(through(event)),
                report_failure=failure_reporter(
                    sqs,
                    sqs.get_queue_url(QueueName=f"monolambda-local-{outbox.on_failure}")[
                        "QueueUrl"
                    ],
                ),
                log=lambda line: None,
            ),
        ]
        if not worker:
            del self.pollers[0]
        for poller in self.pollers:
            poller.start()

    def stream(self) -> StreamPoller:
        (poller,) = [p for p in self.pollers if isinstance(p, StreamPoller)]
        return poller

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()


@pytest.fixture
def function(idle_stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Function]:
    idle_stack.reset()
    running = Function(idle_stack, monkeypatch)
    yield running
    running.stop()
    bootstrap.reset()


def submit(stack: RunningStack, count: int = 1) -> list[str]:
    ids = []
    for _ in range(count):
        result = gql(
            stack,
            "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
            i={"images": [IMAGE], "model": "colours"},
        )
        ids.append(result["data"]["submitJob"]["job"]["id"])
    return ids


def states(stack: RunningStack, ids: list[str]) -> dict[str, dict[str, Any]]:
    table = stack.client("dynamodb")
    name = json.loads((stack.state_dir / "function-env.json").read_text())["MonolambdaFunction"][
        "JOBS_TABLE"
    ]
    found = {}
    for job_id in ids:
        item = table.get_item(TableName=name, Key={"id": {"S": job_id}}, ConsistentRead=True)[
            "Item"
        ]
        found[job_id] = {
            "status": item["status"]["S"],
            "attempts": int(item["attempts"]["N"]),
            "results": len(json.loads(item["results"]["S"])) if "results" in item else 0,
        }
    return found


def drained(function: Function) -> bool:
    """No message left in the jobs queue, visible or in flight."""
    counts = function.stack.client("sqs").get_queue_attributes(
        QueueUrl=function.environment["JOBS_QUEUE_URL"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return bool(
        counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    )


def all_terminal(stack: RunningStack, ids: list[str]) -> bool:
    return all(s["status"] in TERMINAL for s in states(stack, ids).values())
