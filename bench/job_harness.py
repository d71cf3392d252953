"""The job benchmarks' harness: the local stack's stand-ins, and this process as the function
(the real handler fed by devstack's own stream and SQS pollers), with every AWS request its
botocore clients send counted by route through event hooks."""

from __future__ import annotations

import base64
import io
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import botocore.session  # noqa: E402
from local_stack import start  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from devstack.event_sources import SqsPoller, StreamPoller  # noqa: E402
from devstack.http_server import CONTROL_HEADER  # noqa: E402
from devstack.template import load  # noqa: E402
from monolambda.domain.jobs import JobStatus  # noqa: E402

OWNER = "bench-owner"
TERMINAL = {s.value for s in JobStatus if s.terminal}
SUBMIT = "mutation($i: SubmitJobInput!) { submitJob(input: $i) { created job { id status } } }"


def png(seed: int, size: int = 28) -> bytes:
    """A dark stroke on light paper, different for each seed (no two images alike)."""
    rng = random.Random(seed)  # noqa: S311 - a drawing, not a secret
    image = Image.new("L", (size, size), 255)
    points = [(rng.randrange(4, size - 4), rng.randrange(4, size - 4)) for _ in range(4)]
    ImageDraw.Draw(image).line(points, fill=0, width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Context:
    """The Lambda context the handler reads (request id, time left)."""

    aws_request_id = "bench"
    function_name = "MonolambdaFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:MonolambdaFunction"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


# --- counting every AWS call the function makes --------------------------------------------
class Calls:
    """Counts each request the function's botocore clients send (retries included), by the
    route the sending thread is running, and each conditional write that moved a job to a
    terminal state (a result, when it is SUCCEEDED)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.sent: Counter[tuple[str, str, str]] = Counter()
        self.finals: Counter[tuple[str, str]] = Counter()
        self.waited: Counter[str] = Counter()  # route -> seconds spent in AWS calls

    def install(self) -> None:
        """Hooks every botocore client made from now on (boto3's and PynamoDB's alike)."""
        create = botocore.session.Session.create_client
        calls = self

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = create(session, *args, **kwargs)
            client.meta.events.register("before-send", calls._sent)
            client.meta.events.register("before-call", calls._began)
            client.meta.events.register("after-call", calls._ended)
            client.meta.events.register(
                "before-parameter-build.dynamodb.UpdateItem", calls._terminal_write
            )
            client.meta.events.register("after-call.dynamodb.UpdateItem", calls._written)
            return client

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]

    @contextmanager
    def route(self, name: str) -> Iterator[None]:
        self._local.route = name
        try:
            yield
        finally:
            self._local.route = None

    def take(self, route: str) -> Counter[str]:
        """`service.Operation` counts of one route since the last take, and forgets them."""
        with self._lock:
            mine = {k: v for k, v in self.sent.items() if k[0] == route}
            for key in mine:
                del self.sent[key]
        return Counter({f"{service}.{operation}": n for (_, service, operation), n in mine.items()})

    def _sent(self, event_name: str, **_: Any) -> None:
        route = getattr(self._local, "route", None)
        if route is None:
            return  # the benchmark's own calls (checks, the pollers' receives and deletes)
        _, service, operation = event_name.split(".", 2)
        with self._lock:
            self.sent[(route, service, operation)] += 1

    def _began(self, context: dict[str, Any], **_: Any) -> None:
        context["bench_began"] = time.perf_counter()

    def _ended(self, context: dict[str, Any], **_: Any) -> None:
        route = getattr(self._local, "route", None)
        if route is not None and "bench_began" in context:
            with self._lock:
                self.waited[route] += time.perf_counter() - context["bench_began"]

    def _terminal_write(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # A condition never names a terminal status (no transition leaves one), so a terminal
        # value in the write is the status it sets.
        values = {v.get("S") for v in params.get("ExpressionAttributeValues", {}).values()}
        status = values & TERMINAL
        if status:
            context["bench_terminal"] = (params["Key"]["id"]["S"], status.pop())

    def _written(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        if "bench_terminal" in context and http_response.status_code == 200:
            with self._lock:
                self.finals[context["bench_terminal"]] += 1


CALLS = Calls()


# --- the stack (stand-ins only) and the function in this process -----------------------------
class Stack:
    def __init__(self, state_dir: Path) -> None:
        self.process, _ = start(
            state_dir,
            "--no-event-sources",
            "--parameter-overrides",
            "JobVisibilityTimeout=3",
        )
        state = json.loads((state_dir / "stack.json").read_text())
        self.api, self.dynamodb, self.moto = state["api"], state["dynamodb"], state["moto"]
        self.control_key = state["control_key"]
        self.region = state["region"]
        self.env: dict[str, str] = json.loads((state_dir / "function-env.json").read_text())[
            "MonolambdaFunction"
        ]
        self.env_file = state_dir / "function-env.json"
        import boto3  # noqa: PLC0415

        def client(service: str) -> Any:
            endpoint = self.dynamodb if service.startswith("dynamodb") else self.moto
            return boto3.client(
                service,
                endpoint_url=endpoint,
                region_name=self.region,
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106 - the stand-ins take any
            )

        self.sqs, self.ddb, self.streams, self.s3 = (
            client(s) for s in ("sqs", "dynamodb", "dynamodbstreams", "s3")
        )
        self.queue_url = self.env["JOBS_QUEUE_URL"]
        self.dead_url = self.sqs.get_queue_url(QueueName="monolambda-local-JobsDeadLetters.fifo")[
            "QueueUrl"
        ]

    def reset(self) -> None:
        import urllib.request  # noqa: PLC0415

        request = urllib.request.Request(  # noqa: S310 - the local stack, 127.0.0.1
            f"{self.api}/_devstack/reset",
            data=b"{}",
            headers={"content-type": "application/json", CONTROL_HEADER: self.control_key},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60):  # noqa: S310
            pass

    def jobs(self) -> dict[str, dict[str, Any]]:
        """Every job in the table, read consistently: status, attempts, result count."""
        found: dict[str, dict[str, Any]] = {}
        pages = self.ddb.get_paginator("scan").paginate(
            TableName=self.env["JOBS_TABLE"], ConsistentRead=True
        )
        for page in pages:
            for item in page["Items"]:
                found[item["id"]["S"]] = {
                    "status": item["status"]["S"],
                    "attempts": int(item["attempts"]["N"]),
                    "results": len(json.loads(item["results"]["S"])) if "results" in item else 0,
                }
        return found

    def open_jobs(self) -> int:
        return sum(j["status"] not in TERMINAL for j in self.jobs().values())

    def drained(self) -> bool:
        counts = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return all(v == "0" for v in counts.values())

    def waiting(self) -> int:
        return int(
            self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
        )


class Function:
    """The handler in this process, as one of the function's containers."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        # INFO would print a line per job here (Lambda's default level; its cost is small).
        os.environ.update(
            {**stack.env, "JOB_RETRY_DELAY_S": "1", "POWERTOOLS_LOG_LEVEL": "CRITICAL"}
        )
        from monolambda.handler import handler  # noqa: PLC0415

        self._handler = handler
        self.pollers: list[SqsPoller | StreamPoller] = []
        self.deliveries: Counter[str] = Counter()  # message body -> times the worker got it
        self._lock = threading.Lock()
        self._template = load(ROOT / "template.yaml", {"JobVisibilityTimeout": "3"})

    def api(self, query: str, owner: str = OWNER, **variables: Any) -> dict[str, Any]:
        event = {
            "version": "2.0",
            "routeKey": "POST /graphql",
            "rawPath": "/graphql",
            "rawQueryString": "",
            "headers": {"content-type": "application/json", "host": "bench"},
            "requestContext": {
                "http": {"method": "POST", "path": "/graphql", "sourceIp": "127.0.0.1"},
                "requestId": "bench",
                "stage": "$default",
                "authorizer": {"jwt": {"claims": {"sub": owner}}},
            },
            "body": json.dumps({"query": query, "variables": variables}),
            "isBase64Encoded": False,
        }
        with CALLS.route("api"):
            response = self._handler(event, Context())
        body: dict[str, Any] = json.loads(response["body"])
        if "errors" in body:
            raise RuntimeError(f"{query}: {body['errors']}")
        return body["data"]

    def submit(self, images: list[bytes], **given: Any) -> str:
        answer = self.api(
            SUBMIT, i={"images": [b64(i) for i in images], "model": "digits", **given}
        )
        job_id: str = answer["submitJob"]["job"]["id"]
        return job_id

    def invoke(self, event: dict[str, Any]) -> Any:
        records = event.get("Records") or [{}]
        route = "worker" if records[0].get("eventSource") == "aws:sqs" else "outbox"
        if route == "worker":
            with self._lock:
                self.deliveries.update(r["body"] for r in records)
        with CALLS.route(route):
            return self._handler(event, Context())

    def start(self, *, worker: bool = True, outbox: bool = True, concurrency: int = 2) -> None:
        (messages,) = self._template.sqs_mappings
        (stream,) = self._template.stream_mappings
        table = self.stack.ddb.describe_table(TableName=self.stack.env["JOBS_TABLE"])["Table"]
        quiet: Callable[[str], None] = lambda line: None  # noqa: E731
        if outbox:
            self.pollers.append(
                StreamPoller(
                    stream,
                    streams=self.stack.streams,
                    stream_arn=lambda: str(table["LatestStreamArn"]),
                    region=self.stack.region,
                    invoke=self.invoke,
                    log=quiet,
                )
            )
        if worker:
            self.pollers.append(
                SqsPoller(
                    messages,
                    sqs=self.stack.sqs,
                    queue_url=self.stack.queue_url,
                    queue_arn="arn:aws:sqs:us-east-1:123456789012:jobs.fifo",
                    region=self.stack.region,
                    invoke=self.invoke,
                    concurrency=concurrency,
                    log=quiet,
                )
            )
        for poller in self.pollers[-(worker + outbox) :]:
            poller.start()

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        self.pollers = []

    def fresh(self) -> None:
        """A new container after the stack's reset (the table was made again)."""
        self.stop()
        from monolambda import bootstrap  # noqa: PLC0415
        from monolambda.adapters.dynamo_job_items import JobRecord  # noqa: PLC0415

        self.stack.reset()
        bootstrap.reset()
        JobRecord._connection = None
        self.deliveries.clear()
        CALLS.finals.clear()
        CALLS.sent.clear()


def until(check: Callable[[], Any], timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what or check}")
        time.sleep(0.1)


def settled(function: Function) -> Callable[[], bool]:
    return lambda: function.stack.open_jobs() == 0 and function.stack.drained()
