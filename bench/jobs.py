"""Job figures on the local stack's stand-ins (DynamoDB Local, moto's SQS/S3/SSM), with this
process as the function: the real handler, fed by the local stack's own stream and SQS pollers
(devstack.event_sources, as `make dev` runs them), every AWS call it makes counted through
botocore's event hooks.

1. delivery: K jobs, each message delivered 2-3 times (the copies in other message groups, so
   that workers race on one job): exactly K results, K terminal jobs;
2. faults, each followed by a count of the jobs left QUEUED or RUNNING (goal: 0): the send
   failing after the write, DynamoDB throttling beyond the SDK's retries, a worker killed
   mid-job, a poison message among 9 jobs (goal: dead-lettered after exactly 3 receives,
   its 9 batch-mates SUCCEEDED);
3. AWS calls per operation (goals: submitJob <= 2, job(id) 1, a jobs page 1, the worker <= 3
   DynamoDB writes per job besides reads);
4. cold starts in fresh processes: the first job(id), the worker's first job, against the
   first { health } (goal: job(id) <= 1.5x);
5. worker throughput in images/s against the prediction service alone, same process
   (goal: >= 70 %).

Fairness between owners is bench/job_fairness.py (the stack as `make dev` runs it).

    python bench/jobs.py [--jobs 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
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
from botocore.awsrequest import AWSResponse, HTTPHeaders  # noqa: E402
from local_stack import start, stop  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from devstack.event_sources import SqsPoller, StreamPoller  # noqa: E402
from devstack.template import load  # noqa: E402

OWNER = "bench-owner"
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
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
            headers={"content-type": "application/json"},
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
        from monolambda.adapters.dynamo_jobs import JobRecord  # noqa: PLC0415

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


# --- 1. delivery ---------------------------------------------------------------------------
def delivery(function: Function, count: int) -> dict[str, Any]:
    function.fresh()
    ids = [function.submit([png(n)]) for n in range(count)]
    function.start(worker=False)  # the outbox sends each job's one message
    until(lambda: function.stack.waiting() == count, what="the outbox's messages")
    # One or two more copies of each job's message, as at-least-once delivery may send them
    # (their own deduplication ids), in other message groups so that workers race on a job.
    for n, job_id in enumerate(ids):
        for copy in range(1 + n % 2):
            function.stack.sqs.send_message(
                QueueUrl=function.stack.queue_url,
                MessageBody=json.dumps({"jobId": job_id, "owner": OWNER, "correlationId": "dup"}),
                MessageGroupId=f"{OWNER}.copy{copy}",
                MessageDeduplicationId=f"{job_id}.copy{copy}",
            )
    began = time.perf_counter()
    function.start(outbox=False, concurrency=5)
    until(settled(function), what="every job to finish")
    seconds = time.perf_counter() - began
    function.stop()
    jobs = function.stack.jobs()
    per_job = Counter(
        json.loads(body)["jobId"] for body, n in function.deliveries.items() for _ in range(n)
    )
    results = Counter(j for (j, status), n in CALLS.finals.items() if status == "SUCCEEDED")
    return {
        "jobs": count,
        "sent": count + sum(1 + n % 2 for n in range(count)),
        "deliveries": (min(per_job.values()), max(per_job.values()), sum(per_job.values())),
        "terminal": sum(j["status"] in TERMINAL for j in jobs.values()),
        "succeeded": sum(j["status"] == "SUCCEEDED" for j in jobs.values()),
        "results written": sum(results.values()),
        "jobs with one result": sum(n == 1 for n in results.values()),
        "attempts": Counter(j["attempts"] for j in jobs.values()),
        "open": function.stack.open_jobs(),
        "seconds": seconds,
    }


# --- 2. faults -----------------------------------------------------------------------------
class FailFirst:
    """A botocore hook whose first `times` calls fail (raise, or answer `response`)."""

    def __init__(self, times: int, response: Callable[[Any], Any] | None = None) -> None:
        self.times, self.seen, self._response = times, 0, response
        self._lock = threading.Lock()

    def __call__(self, request: Any = None, **_: Any) -> Any:
        with self._lock:
            self.seen += 1
            if self.seen > self.times:
                return None
        if self._response is None:
            raise ConnectionError("injected: the send failed")
        return self._response(request)


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def throttled(request: Any) -> AWSResponse:
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "injected throttling",
        }
    ).encode()
    headers = {"content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "injected"}
    return AWSResponse(request.url, 400, HTTPHeaders.from_dict(headers), _Body(body))


def send_failing(function: Function) -> dict[str, Any]:
    """SendMessageBatch fails twice after the jobs were written: the stream retries it."""
    from monolambda.adapters import aws  # noqa: PLC0415

    function.fresh()
    for n in range(5):
        function.submit([png(n)])
    failing = FailFirst(2)
    events = aws.client("sqs").meta.events
    events.register("before-call.sqs.SendMessageBatch", failing)
    try:
        function.start()
        until(settled(function))
    finally:
        events.unregister("before-call.sqs.SendMessageBatch", failing)
        function.stop()
    return {"jobs": 5, "injected": min(failing.seen, 2), **outcome(function)}


def throttling(function: Function) -> dict[str, Any]:
    """DynamoDB answers the worker's first 12 UpdateItems with throttling (more than the
    SDK's 3 attempts): the jobs go back to the queue and are run again."""
    from monolambda import bootstrap  # noqa: PLC0415
    from monolambda.adapters.dynamo_jobs import JobRecord  # noqa: PLC0415

    function.fresh()
    for n in range(5):
        function.submit([png(n)])
    bootstrap.worker()
    failing = FailFirst(12, response=throttled)
    events = JobRecord._get_connection().connection.client.meta.events
    events.register("before-send.dynamodb.UpdateItem", failing)
    try:
        function.start()
        until(settled(function))
    finally:
        events.unregister("before-send.dynamodb.UpdateItem", failing)
        function.stop()
    return {"jobs": 5, "injected": min(failing.seen, 12), **outcome(function)}


KILLED_MID_JOB = textwrap.dedent(
    """
    import json, os, sys
    import boto3
    env = json.loads(open(sys.argv[1]).read())["MonolambdaFunction"]
    os.environ.update(env)
    from monolambda import bootstrap
    from monolambda.adapters.dynamo_jobs import JobRecord
    from monolambda.handler import handler
    class Context:
        aws_request_id = "doomed"
        def get_remaining_time_in_millis(self): return 30000
    def die(http_response, **_):
        if http_response.status_code == 200:
            os._exit(9)  # killed right after its start write: the job is RUNNING, leased
    bootstrap.worker()
    JobRecord._get_connection().connection.client.meta.events.register(
        "after-call.dynamodb.UpdateItem", die)
    sqs = boto3.client("sqs")
    got = []
    while not got:
        got = sqs.receive_message(QueueUrl=env["JOBS_QUEUE_URL"], MaxNumberOfMessages=10,
                                  WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]
                                  ).get("Messages", [])
    handler({"Records": [
        {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
         "attributes": m["Attributes"], "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:jobs.fifo",
         "awsRegion": "us-east-1"} for m in got]}, Context())
    """
)


def killed_mid_job(function: Function) -> dict[str, Any]:
    """A worker process dies between its start write and its final one: the message comes
    back after the visibility timeout and its redelivery takes the job over."""
    function.fresh()
    for n in range(3):
        function.submit([png(n)])
    function.start(worker=False)
    until(lambda: function.stack.waiting() == 3, what="the outbox's messages")
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_JOB, str(function.stack.env_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    if killed.returncode != 9:
        raise RuntimeError(f"the doomed worker was not killed:\n{killed.stderr[-2000:]}")
    running = sum(j["status"] == "RUNNING" for j in function.stack.jobs().values())
    function.start(outbox=False)
    until(settled(function))
    function.stop()
    return {"jobs": 3, "injected": 1, "running when killed": running, **outcome(function)}


def poison(function: Function) -> dict[str, Any]:
    """A message that is not a job's, in the same owner's group as 9 jobs."""
    function.fresh()
    for n in range(9):
        function.submit([png(n)])
    body = "this is not a job message"
    function.stack.sqs.send_message(
        QueueUrl=function.stack.queue_url,
        MessageBody=body,
        MessageGroupId=OWNER,
        MessageDeduplicationId="poison",
    )
    function.start()

    def dead_lettered() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = function.stack.sqs.receive_message(
            QueueUrl=function.stack.dead_url, MaxNumberOfMessages=10
        ).get("Messages", [])
        return found

    dead: list[dict[str, Any]] = []
    until(lambda: dead.extend(dead_lettered()) or dead, what="the poison message in the DLQ")
    until(settled(function))
    function.stop()
    return {
        "jobs": 9,
        "dead-lettered": [m["Body"] for m in dead] == [body],
        "poison receives": function.deliveries[body],
        **outcome(function),
    }


def outcome(function: Function) -> dict[str, Any]:
    jobs = function.stack.jobs().values()
    results = Counter(j for (j, status), n in CALLS.finals.items() if status == "SUCCEEDED")
    return {
        "succeeded": sum(j["status"] == "SUCCEEDED" for j in jobs),
        "results written": sum(results.values()),
        "open": function.stack.open_jobs(),
    }


# --- 3. calls per operation ----------------------------------------------------------------
def calls_per_operation(
    function: Function,
) -> tuple[list[tuple[str, Counter[str], Counter[str]]], dict[str, Any]]:
    """Each operation twice: its first call in this container, then a warm one."""
    function.fresh()
    bucket = function.stack.env["MODELS_BUCKET"]
    keys = [f"uploads/{OWNER}/bench-{n}.png" for n in range(3)]
    for n, key in enumerate(keys):
        function.stack.s3.put_object(Bucket=bucket, Key=key, Body=png(n))
    image = [b64(png(0))]
    made: list[str] = []

    def submit_inline() -> None:
        made.append(function.submit([png(len(made))]))

    def job() -> None:
        function.api("query($id: ID!) { job(id: $id) { id status } }", id=made[0])

    def three_jobs() -> None:
        function.api(
            "query($a: ID!, $b: ID!, $c: ID!) { a: job(id: $a) { id } b: job(id: $b) { id } "
            "c: job(id: $c) { id } }",
            a=made[0],
            b=made[1],
            c=made[2],
        )

    cursor: list[str] = []

    def first_page() -> None:
        page = function.api(
            "{ jobs(first: 2) { edges { node { id status } } pageInfo { endCursor } } }"
        )
        cursor[:] = [page["jobs"]["pageInfo"]["endCursor"]]

    def next_page() -> None:
        function.api(
            "query($after: String) { jobs(first: 2, after: $after) { edges { node { id } } } }",
            after=cursor[0],
        )

    operations: list[tuple[str, Callable[[], None]]] = [
        ("submitJob, 1 inline image", submit_inline),
        (
            "submitJob, 3 uploads (s3Keys)",
            lambda: made.append(
                function.api(SUBMIT, i={"s3Keys": keys, "model": "digits"})["submitJob"]["job"][
                    "id"
                ]
            ),
        ),
        (
            "submitJob, idempotency key (2nd: replay)",
            lambda: function.api(
                SUBMIT, i={"images": image, "model": "digits", "idempotencyKey": "bench-key"}
            ),
        ),
        (
            "submitJob, dryRun",
            lambda: function.api(SUBMIT, i={"images": image, "model": "digits", "dryRun": True}),
        ),
        ("job(id)", job),
        ("job(id) x3 in one document", three_jobs),
        ("jobs(first: 2)", first_page),
        ("jobs(first: 2, after: cursor)", next_page),
    ]
    rows = []
    for name, operation in operations:
        operation()
        first = CALLS.take("api")
        operation()
        rows.append((name, first, CALLS.take("api")))
    cancel = "mutation($id: ID!) { cancelJob(id: $id) { status } }"
    function.api(cancel, id=made[-1])
    first = CALLS.take("api")
    function.api(cancel, id=made[-2])
    rows.append(("cancelJob", first, CALLS.take("api")))

    # The outbox and the worker, for 20 fresh jobs with nothing going wrong.
    function.fresh()
    for n in range(20):
        function.submit([png(n)])
    CALLS.take("api")
    function.start(concurrency=1)
    until(settled(function))
    function.stop()
    worker, outbox = CALLS.take("worker"), CALLS.take("outbox")
    writes = sum(n for op, n in worker.items() if op.split(".")[1] in DYNAMODB_WRITES)
    dynamodb_reads = sum(
        n
        for op, n in worker.items()
        if op.startswith("dynamodb.") and op.split(".")[1] not in DYNAMODB_WRITES
    )
    return rows, {
        "jobs": 20,
        "worker": worker,
        "outbox": outbox,
        "writes per job": writes / 20,
        "reads per job": dynamodb_reads / 20,
    }


# --- 4. cold starts ------------------------------------------------------------------------
COLD = textwrap.dedent(
    """
    import sys
    class NoCrt:
        # The Lambda runtime's boto3 has no awscrt and no pyOpenSSL; this venv has them
        # (aws-sam-cli's extras), and botocore imports them when present (~95 ms).
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("awscrt", "OpenSSL"):
                raise ImportError(f"no {name} in the Lambda runtime")
    sys.meta_path.insert(0, NoCrt())
    import json
    case, arg, owner = sys.argv[1:4]
    class Context:
        aws_request_id = "cold"
        def get_remaining_time_in_millis(self): return 30000
    def api(query, variables):
        return {"version": "2.0", "routeKey": "POST /graphql", "rawPath": "/graphql",
                "rawQueryString": "", "headers": {"content-type": "application/json", "host": "b"},
                "requestContext": {"http": {"method": "POST", "path": "/graphql",
                                            "sourceIp": "127.0.0.1"},
                                   "requestId": "cold", "stage": "$default",
                                   "authorizer": {"jwt": {"claims": {"sub": owner}}}},
                "body": json.dumps({"query": query, "variables": variables}),
                "isBase64Encoded": False}
    from monolambda.handler import handler
    if case == "health":
        r = handler(api("{ health { status } }", {}), Context())
        assert '"errors"' not in r["body"], r
    elif case == "job":
        r = handler(api("query($id: ID!) { job(id: $id) { id status } }", {"id": arg}), Context())
        assert '"status":"QUEUED"' in r["body"].replace(" ", ""), r
    else:
        body = json.dumps({"jobId": arg, "owner": owner, "correlationId": "cold"})
        r = handler({"Records": [{"messageId": "cold-" + arg, "receiptHandle": "r", "body": body,
                                  "attributes": {"ApproximateReceiveCount": "1"},
                                  "messageAttributes": {}, "eventSource": "aws:sqs",
                                  "eventSourceARN": "arn:aws:sqs:us-east-1:1:jobs.fifo",
                                  "awsRegion": "us-east-1"}]}, Context())
        assert r == {"batchItemFailures": []}, r
    print("ready", flush=True)
    """
)


def cold_start(env: dict[str, str], case: str, arg: str = "-") -> float:
    began = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", COLD, case, arg, OWNER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    line = child.stdout.readline() if child.stdout else ""
    seconds = time.perf_counter() - began
    child.wait(timeout=60)
    if line.strip() != "ready":
        raise RuntimeError(
            f"cold {case} failed:\n{child.stderr.read()[-3000:] if child.stderr else ''}"
        )
    return seconds * 1000


def cold_starts(function: Function, runs: int) -> dict[str, float]:
    function.fresh()
    asked = function.submit([png(0)])  # job(id) reads it; it stays QUEUED
    queued = [function.submit([png(n)]) for n in range(runs + 1)]  # one for each worker run
    env = {
        **function.stack.env,
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT / "src"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "APP_ENV": "prod",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    # One unmeasured run of each: the OS file cache is warm and the model is in /tmp.
    cold_start(env, "health")
    cold_start(env, "job", asked)
    cold_start(env, "worker", queued.pop())
    times: dict[str, list[float]] = {"health": [], "job": [], "worker": []}
    for n in range(runs):  # interleaved, so that machine noise hits all three alike
        times["health"].append(cold_start(env, "health"))
        times["job"].append(cold_start(env, "job", asked))
        times["worker"].append(cold_start(env, "worker", queued[n]))
    return {case: statistics.median(t) for case, t in times.items()}


# --- 5. worker throughput ------------------------------------------------------------------
def throughput(function: Function, rounds: int, images: int, jobs: int = 10) -> dict[str, float]:
    """One SQS batch of `jobs` messages, each job of `images` images, through the handler,
    against the prediction service classifying the same images in the runner's batches of
    32, alternately in this process (after one round that warms both)."""
    from monolambda import bootstrap  # noqa: PLC0415

    pictures = [png(1000 + n) for n in range(jobs * images)]
    predictions = bootstrap.services().predictions
    manifest = predictions.manifest("digits", None)
    worker_s, raw_s, waited_s = [], [], []
    for r in range(rounds + 1):
        ids = [function.submit(pictures[j * images : (j + 1) * images]) for j in range(jobs)]
        event = {
            "Records": [
                {
                    "messageId": f"throughput-{images}-{r}-{j}",
                    "receiptHandle": "r",
                    "body": json.dumps({"jobId": i, "owner": OWNER, "correlationId": "bench"}),
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs.fifo",
                    "awsRegion": "us-east-1",
                }
                for j, i in enumerate(ids)
            ]
        }
        CALLS.waited.clear()
        began = time.perf_counter()
        answer = function.invoke(event)
        elapsed = time.perf_counter() - began
        if answer != {"batchItemFailures": []}:
            raise RuntimeError(f"the worker failed: {answer}")
        began = time.perf_counter()
        for start_at in range(0, len(pictures), 32):
            predictions.classify_each(manifest, pictures[start_at : start_at + 32], 3)
        if r:
            worker_s.append(elapsed)
            raw_s.append(time.perf_counter() - began)
            waited_s.append(CALLS.waited["worker"])
    statuses = {j["status"] for j in function.stack.jobs().values()}
    if statuses != {"SUCCEEDED"}:
        raise RuntimeError(f"throughput jobs ended {statuses}")
    worker, raw = statistics.median(worker_s), statistics.median(raw_s)
    return {
        "images": images,
        "worker": len(pictures) / worker,
        "raw": len(pictures) / raw,
        "ratio": raw / worker,
        "overhead ms": (worker - raw) / jobs * 1000,
        "aws ms": statistics.median(waited_s) / jobs * 1000,
    }


# --- the report ----------------------------------------------------------------------------
def show(counts: Counter[str]) -> str:
    total = sum(counts.values())
    return (
        f"{total} ({', '.join(f'{op} {n}' for op, n in sorted(counts.items()))})" if total else "0"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100, help="K, for the delivery figure")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per cold start")
    args = parser.parse_args()
    CALLS.install()
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp))
        try:
            function = Function(stack)
            delivered = delivery(function, args.jobs)
            faults = {
                "send fails after the write (x2)": send_failing(function),
                "DynamoDB throttling (12 writes)": throttling(function),
                "worker killed mid-job": killed_mid_job(function),
                "poison message among 9 jobs": poison(function),
            }
            rows, run = calls_per_operation(function)
            cold = cold_starts(function, args.runs)
            function.fresh()
            rates = [throughput(function, 3, images) for images in (16, 64, 256, 500)]
        finally:
            for poller in getattr(locals().get("function"), "pollers", []):
                poller.stop()
            stop(stack.process)

    print(
        f"python {sys.version.split()[0]}; the stand-ins of the local stack, this process the function"
    )
    print()
    d = delivered
    print(
        f"1. {d['jobs']} jobs, {d['sent']} messages (each job's 2 or 3 times, copies in other "
        f"groups): deliveries per job {d['deliveries'][0]}-{d['deliveries'][1]} "
        f"({d['deliveries'][2]} in all, with retries of held jobs)"
    )
    print(
        f"   terminal {d['terminal']}/{d['jobs']}, SUCCEEDED {d['succeeded']}, results written "
        f"{d['results written']} ({d['jobs with one result']} jobs with exactly one), attempts "
        f"{dict(sorted(d['attempts'].items()))}, left open {d['open']}, {d['seconds']:.1f} s"
        f"   (goal: exactly {d['jobs']} results, {d['jobs']} terminal)"
    )
    print()
    print(
        "2. faults                             jobs  injected  SUCCEEDED  results  open   (goal: open 0)"
    )
    for name, f in faults.items():
        print(
            f"   {name:<34} {f['jobs']:>4}  {f.get('injected', '-')!s:>8}  {f['succeeded']:>9}  "
            f"{f['results written']:>7}  {f['open']:>4}"
        )
    p = faults["poison message among 9 jobs"]
    k = faults["worker killed mid-job"]
    print(
        f"   poison: dead-lettered {p['dead-lettered']} after {p['poison receives']} receives "
        f"(goal: 3), its batch-mates SUCCEEDED {p['succeeded']}/9; killed worker left "
        f"{k['running when killed']} job RUNNING, taken over by the redelivery"
    )
    print()
    print("3. AWS calls per operation (warm; the container's first call in brackets)")
    for name, first, warm in rows:
        print(f"   {name:<42} {show(warm)}" + (f"   [{show(first)}]" if first != warm else ""))
    print(
        f"   worker, per job ({run['jobs']} jobs): {run['writes per job']:.2f} DynamoDB writes, "
        f"{run['reads per job']:.2f} reads   (goal: <= 3 writes); all: {show(run['worker'])}"
    )
    print(f"   outbox, {run['jobs']} jobs: {show(run['outbox'])}")
    print()
    print(
        f"4. cold start (median of {args.runs} fresh processes, interleaved): {{ health }} "
        f"{cold['health']:.0f} ms; first job(id) {cold['job']:.0f} ms = "
        f"{cold['job'] / cold['health']:.2f}x (goal <= 1.5x); the worker's first job "
        f"{cold['worker']:.0f} ms = {cold['worker'] / cold['health']:.2f}x"
    )
    print(
        "5. worker throughput against the prediction service alone (one batch of 10 jobs, "
        "median of 3; goal >= 70 %)"
    )
    print("   images/job  worker img/s  alone img/s  ratio  per job: extra ms, of it in AWS calls")
    for t in rates:
        print(
            f"   {t['images']:>10}  {t['worker']:>12.0f}  {t['raw']:>11.0f}  {t['ratio']:>5.0%}"
            f"  {t['overhead ms']:>14.1f}  {t['aws ms']:>6.1f}"
        )


if __name__ == "__main__":
    main()
