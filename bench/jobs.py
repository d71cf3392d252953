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
3. AWS calls per operation (goals: submitJob <= 3: the write and the send, and a listing
   with uploads; job(id) 1, a jobs page 1, the worker <= 3
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
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from job_harness import (
    CALLS,
    OWNER,
    ROOT,
    SUBMIT,
    TERMINAL,
    Function,
    Stack,
    b64,
    png,
    settled,
    until,
)
from local_stack import stop

from tests.support.faults import Failing, throttled

DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


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
def send_failing(function: Function) -> dict[str, Any]:
    """SendMessageBatch fails twice after the jobs were written: the stream retries it."""
    from monolambda.adapters import aws  # noqa: PLC0415

    function.fresh()
    for n in range(5):
        function.submit([png(n)])
    failing = Failing(2)
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
    from monolambda.adapters.dynamo_job_items import JobRecord  # noqa: PLC0415

    function.fresh()
    for n in range(5):
        function.submit([png(n)])
    bootstrap.worker()
    failing = Failing(12, response=throttled)
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
    from monolambda.adapters.dynamo_job_items import JobRecord
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
    elif case == "worker":
        body = json.dumps({"jobId": arg, "owner": owner, "correlationId": "cold"})
        r = handler({"Records": [{"messageId": "cold-" + arg, "receiptHandle": "r", "body": body,
                                  "attributes": {"ApproximateReceiveCount": "1"},
                                  "messageAttributes": {}, "eventSource": "aws:sqs",
                                  "eventSourceARN": "arn:aws:sqs:us-east-1:1:jobs.fifo",
                                  "awsRegion": "us-east-1"}]}, Context())
        assert r == {"batchItemFailures": []}, r
    elif case == "upload":  # S3 tells of a job upload: its job is written
        r = handler({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Post",
                                  "s3": {"bucket": {"name": "b"},
                                         "object": {"key": arg, "size": 100}}}]}, Context())
        assert r == {"started": 1}, r
    elif case == "stream":  # a new job's insert: the outbox sends its message
        image = {"id": {"S": arg}, "owner": {"S": owner}, "status": {"S": "QUEUED"},
                 "correlation_id": {"S": "cold"}, "enqueues": {"N": "1"}}
        r = handler({"Records": [{"eventName": "INSERT", "eventSource": "aws:dynamodb",
                                  "dynamodb": {"NewImage": image, "SequenceNumber": "1"}}]},
                    Context())
        assert r == {"batchItemFailures": []}, r
    elif case == "sweep":  # the schedule: one sweep of the open jobs
        r = handler({"source": "aws.events", "detail-type": "Scheduled Event",
                     "time": "2026-11-23T00:00:00Z"}, Context())
        assert "examined" in r, r
    if case not in ("health", "job"):
        loaded = [m for m in ("strawberry", "starlette", "mangum", "graphql") if m in sys.modules]
        assert not loaded, f"the {case} route imported {loaded}"
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
    def upload_key() -> str:
        return f"uploads/{OWNER}/jobs/colours/{uuid.uuid4()}"

    cold_start(env, "health")
    cold_start(env, "job", asked)
    cold_start(env, "worker", queued.pop())
    cold_start(env, "upload", upload_key())
    cold_start(env, "stream", str(uuid.uuid4()))
    cold_start(env, "sweep")
    cases = ("health", "job", "worker", "upload", "stream", "sweep")
    times: dict[str, list[float]] = {case: [] for case in cases}
    for n in range(runs):  # interleaved, so that machine noise hits all alike
        times["health"].append(cold_start(env, "health"))
        times["job"].append(cold_start(env, "job", asked))
        times["worker"].append(cold_start(env, "worker", queued[n]))
        times["upload"].append(cold_start(env, "upload", upload_key()))
        times["stream"].append(cold_start(env, "stream", str(uuid.uuid4())))
        times["sweep"].append(cold_start(env, "sweep"))
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
        function = Function(stack)
        try:
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
            function.stop()
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
        f"{cold['worker']:.0f} ms = {cold['worker'] / cold['health']:.2f}x; S3 upload -> job "
        f"{cold['upload']:.0f} ms = {cold['upload'] / cold['health']:.2f}x; stream (outbox) "
        f"{cold['stream']:.0f} ms = {cold['stream'] / cold['health']:.2f}x; schedule (sweep) "
        f"{cold['sweep']:.0f} ms = {cold['sweep'] / cold['health']:.2f}x; none of the last four "
        "imports Strawberry, Starlette, Mangum or graphql-core"
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
