"""Faults around jobs, on the local stand-ins: this test process is the function (the real
handler, through the local stack's own SQS and stream pollers), with faults injected through
botocore's event hooks. After each, every job is in a terminal state exactly once."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from typing import Any

import pytest

from monolambda import bootstrap
from monolambda.adapters import aws
from monolambda.adapters.dynamo_job_items import JobRecord
from monolambda.domain.identity import Caller
from tests.support.faults import Failing, throttled
from tests.support.in_process import (
    IMAGE,
    TERMINAL,
    Function,
    all_terminal,
    drained,
    states,
    submit,
)
from tests.support.processes import ROOT
from tests.support.receivers import receiver
from tests.support.stack import RunningStack, gql, queue_depth
from tests.support.waiting import eventually


def test_sends_that_fail_at_submit_and_in_the_outbox_leave_every_job_to_the_stream(
    function: Function,
) -> None:
    """The submit's own send fails (the job is written, the call answered), then the outbox's
    first two sends fail too: the stream delivers the records again until the messages go,
    and every job runs once."""
    failing = Failing(times=5)  # the 3 submits' sends, then 2 of the outbox's
    aws.client("sqs").meta.events.register("before-call.sqs.SendMessageBatch", failing)
    jobs = bootstrap.services().jobs
    ids = [
        jobs.submit(
            caller=Caller(sub="fault-tester"),
            model="colours",
            version=None,
            images=[base64.b64decode(IMAGE)],
            s3_keys=[],
            top_k=3,
            idempotency_key=None,
            correlation_id=f"send-fails-{n}",
        ).job.id
        for n in range(3)
    ]
    assert failing.seen == 3  # each submit tried its send, and answered all the same
    function.start()
    assert eventually(lambda: all_terminal(function.stack, ids))
    assert failing.seen >= 6  # the outbox failed twice, then sent
    assert {s["status"] for s in states(function.stack, ids).values()} == {"SUCCEEDED"}
    assert {s["attempts"] for s in states(function.stack, ids).values()} == {1}


def test_dynamodb_throttling_outlasting_the_sdks_retries_is_retried_by_the_queue(
    function: Function,
) -> None:
    ids = submit(function.stack, 2)
    bootstrap.worker()  # the job store exists; throttle its table's writes
    failing = Failing(times=12, response=throttled)
    JobRecord._get_connection().connection.client.meta.events.register(
        "before-send.dynamodb.UpdateItem", failing
    )
    function.start()
    assert eventually(lambda: all_terminal(function.stack, ids), timeout=90)
    final = states(function.stack, ids)
    assert {s["status"] for s in final.values()} == {"SUCCEEDED"}
    assert failing.seen > 12


def test_duplicate_deliveries_and_racing_workers_produce_one_result(
    function: Function,
) -> None:
    ids = submit(function.stack, 10)
    function.start()
    assert eventually(lambda: all_terminal(function.stack, ids))
    function.stop()
    # Each job's message again, twice, as at-least-once delivery may (new deduplication ids,
    # so SQS itself does not drop them), taken by two racing workers.
    sqs = function.stack.client("sqs")
    url = function.environment["JOBS_QUEUE_URL"]
    owner = gql(function.stack, "{ me { sub } }")["data"]["me"]["sub"]
    for copy in (2, 3):
        for job_id in ids:
            sqs.send_message(
                QueueUrl=url,
                MessageBody=json.dumps(
                    {"jobId": job_id, "owner": owner, "correlationId": "duplicate"}
                ),
                MessageGroupId=f"{owner}-{copy}",  # two groups: two workers at once
                MessageDeduplicationId=f"{job_id}.{copy}",
            )
    before = states(function.stack, ids)
    function.start()
    assert eventually(lambda: drained(function))
    assert states(function.stack, ids) == before  # nothing ran twice
    assert {s["results"] for s in before.values()} == {1}


KILLED_WORKER = """
import json, os, sys
from monolambda.handler import handler
from tests.support.apigw import FakeLambdaContext
import boto3
env = json.loads(open(sys.argv[1]).read())["MonolambdaFunction"]
os.environ.update(env)
sqs = boto3.client("sqs", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"])
got = []
for _ in range(30):
    if got:
        break
    got = sqs.receive_message(
        QueueUrl=env["JOBS_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=1,
        MessageSystemAttributeNames=["All"],
    ).get("Messages", [])
event = {"Records": [
    {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
     "attributes": m["Attributes"], "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
     "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:jobs.fifo",
     "awsRegion": "us-east-1"} for m in got]}
print(json.dumps(handler(event, FakeLambdaContext())), flush=True)
os._exit(9)  # killed after the side effects, before the mapping deletes the messages
"""


def test_a_worker_killed_between_its_writes_and_the_delete_leaves_one_result(
    function: Function,
) -> None:
    ids = submit(function.stack, 2)
    # Only the outbox runs here at first: the messages wait for the worker that will die.
    function.start(worker=False)
    sqs = function.stack.client("sqs")
    url = function.environment["JOBS_QUEUE_URL"]
    assert eventually(
        lambda: (
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
            == "2"
        )
    ), "the outbox sent the two messages"
    env_file = function.stack.state_dir / "function-env.json"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WORKER, str(env_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
    )
    assert killed.returncode == 9, killed.stderr[-2000:]
    done = states(function.stack, ids)
    assert {s["status"] for s in done.values()} == {"SUCCEEDED"}
    # The messages come back after their visibility timeout, to a worker that skips them.
    function.stop()
    function.start()
    assert eventually(lambda: drained(function))
    assert states(function.stack, ids) == done


def test_the_sample_sqs_event_runs_through_the_worker(function: Function) -> None:
    """events/sqs-job-message.json, as `sam local invoke -e` would pass it: a job message for
    a job this stack does not have is acknowledged, not retried."""
    event = json.loads((ROOT / "events" / "sqs-job-message.json").read_text())
    assert function.invoke(event) == {"batchItemFailures": []}
    ids = submit(function.stack)
    owner = gql(function.stack, "{ me { sub } }")["data"]["me"]["sub"]
    record = event["Records"][0]
    record["body"] = json.dumps({"jobId": ids[0], "owner": owner, "correlationId": "sample"})
    assert function.invoke(event) == {"batchItemFailures": []}
    assert states(function.stack, ids)[ids[0]]["status"] == "SUCCEEDED"


def test_the_sample_s3_event_starts_one_job(function: Function) -> None:
    """events/s3-job-upload.json, as `sam local invoke -e` would pass it: the job its key asks
    for is written once, however often the event comes."""
    event = json.loads((ROOT / "events" / "s3-job-upload.json").read_text())
    assert function.invoke(event) == {"started": 1}
    assert function.invoke(event) == {"duplicate": 1}


def test_the_sample_stream_event_sends_a_job_message_and_a_webhook_message(
    function: Function,
) -> None:
    """events/dynamodb-stream-job-finished.json: a job's insert and its finish, with a
    callback: the outbox sends the job's message and the webhook's, and reports no failure."""
    event = json.loads((ROOT / "events" / "dynamodb-stream-job-finished.json").read_text())
    assert function.invoke(event) == {"batchItemFailures": []}
    sqs = function.stack.client("sqs")
    found = sqs.receive_message(
        QueueUrl=function.environment["JOBS_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=1
    ).get("Messages", [])
    bodies = sorted(json.loads(m["Body"]).get("kind", "run") for m in found)
    assert bodies == ["run", "webhook"]


class CancelBefore:
    """A botocore hook that, just before the worker's first write of one kind to a job, has
    the job's owner cancel it over the API (the cancel lands while the job runs, between two
    of its writes). Every write to the job is recorded by kind, not counted: on a busy
    machine a message may come again and its worker try to start the job once more."""

    def __init__(self, stack: RunningStack, job_id: str, before: str) -> None:
        self.stack, self.job_id, self.before = stack, job_id, before
        self.writes: list[str] = []
        self.cancelled: dict[str, Any] | None = None

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        if params.get("Key") != {"id": {"S": self.job_id}}:
            return
        kind = write_kind(params)
        self.writes.append(kind)
        if self.cancelled is None and kind == self.before:
            self.cancelled = gql(
                self.stack, "mutation($id: ID!) { cancelJob(id: $id) { status } }", id=self.job_id
            )


def write_kind(params: dict[str, Any]) -> str:
    """ "start", "progress", "final" (to a terminal state) or "release", from an UpdateItem's
    expression (as PynamoDB spells it: SET #0 = :0, ...)."""
    names = {v: k for k, v in params.get("ExpressionAttributeNames", {}).items()}
    expression = params.get("UpdateExpression", "")  # the condition names fields too

    def set_to(field: str) -> str | None:
        found = re.search(rf"{re.escape(names.get(field, '#none'))} = (:\w+)", expression)
        return found.group(1) if found else None

    status = set_to("status")
    if status is None:
        return "progress" if set_to("done") else "other"
    target = params["ExpressionAttributeValues"][status]["S"]
    return {"RUNNING": "start", "QUEUED": "release"}.get(
        target, "final" if target in TERMINAL else "other"
    )


class SlowReads:
    """Each S3 read of an upload takes 50 ms more, so a job of 60 uploads runs for seconds."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        if "/uploads/" in f"/{params.get('Key', '')}":
            self.reads += 1
            time.sleep(0.05)


def test_a_cancel_during_a_run_stops_the_worker_at_its_next_progress_write(
    function: Function, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOB_PROGRESS_INTERVAL_S", "1")
    sub = gql(function.stack, "{ me { sub } }")["data"]["me"]["sub"]
    s3 = function.stack.client("s3")
    bucket = function.environment["MODELS_BUCKET"]
    keys = [f"uploads/{sub}/cancel-{n}.png" for n in range(60)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=base64.b64decode(IMAGE))
    submitted = gql(
        function.stack,
        "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
        i={"s3Keys": keys, "model": "colours"},
    )
    job_id = submitted["data"]["submitJob"]["job"]["id"]
    # Cancelled just before its first progress write (after >= 1 s of reads).
    cancel = CancelBefore(function.stack, job_id, before="progress")
    slow = SlowReads()
    bootstrap.worker()
    dynamodb = JobRecord._get_connection().connection.client.meta.events
    s3_events = aws.client("s3").meta.events
    dynamodb.register("before-parameter-build.dynamodb.UpdateItem", cancel)
    s3_events.register("before-parameter-build.s3.GetObject", slow)
    try:
        function.start()
        assert eventually(lambda: all_terminal(function.stack, [job_id]))
        assert eventually(lambda: drained(function))  # acknowledged, not retried
    finally:
        dynamodb.unregister("before-parameter-build.dynamodb.UpdateItem", cancel)
        s3_events.unregister("before-parameter-build.s3.GetObject", slow)
    assert cancel.cancelled == {"data": {"cancelJob": {"status": "CANCELLED"}}}
    final = states(function.stack, [job_id])[job_id]
    # A busy machine may let the message come back while the job runs, and a second worker
    # take it over (attempts 2): either way the cancel ends it, with no result.
    assert (final["status"], final["results"]) == ("CANCELLED", 0)
    assert final["attempts"] >= 1
    # Progress writes (refused once the cancel landed) and no final write: every worker that
    # held the job (a second one, if the message came back on a busy machine) stopped there.
    assert set(cancel.writes) == {"start", "progress"}
    assert 0 < slow.reads < len(keys)  # it stopped reading once it saw the cancel
    shown = gql(
        function.stack,
        "query($id: ID!) { job(id: $id) { status results { index } progress { done total } } }",
        id=job_id,
    )["data"]["job"]
    assert shown["status"] == "CANCELLED"
    assert shown["results"] is None
    assert shown["progress"]["done"] < shown["progress"]["total"] == len(keys)


def test_a_cancel_just_before_the_final_write_wins_over_the_result(function: Function) -> None:
    (job_id,) = submit(function.stack)
    cancel = CancelBefore(function.stack, job_id, before="final")
    bootstrap.worker()
    events = JobRecord._get_connection().connection.client.meta.events
    events.register("before-parameter-build.dynamodb.UpdateItem", cancel)
    try:
        function.start()
        assert eventually(lambda: all_terminal(function.stack, [job_id]))
        assert eventually(lambda: drained(function))
    finally:
        events.unregister("before-parameter-build.dynamodb.UpdateItem", cancel)
    assert cancel.cancelled == {"data": {"cancelJob": {"status": "CANCELLED"}}}
    final = states(function.stack, [job_id])[job_id]
    assert (final["status"], final["results"]) == ("CANCELLED", 0)


def test_a_stream_batch_with_a_poison_record_delivers_every_other_webhook(
    function: Function,
) -> None:
    """Four jobs with callbacks, cancelled before anything ran: the stream's one batch holds
    their four inserts and four terminal changes, one of those made unreadable. The batch's
    partial response names it; the records after it come again (their sends are deduplicated),
    the poison goes to the failure queue once its retries are spent, and each of the other
    three webhooks is delivered exactly once."""
    with receiver([200]) as hooks:
        ids = []
        for _ in range(4):
            result = gql(
                function.stack,
                "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
                i={"images": [IMAGE], "model": "colours", "callbackUrl": hooks.url},
            )
            ids.append(result["data"]["submitJob"]["job"]["id"])
        for job_id in ids:
            gql(function.stack, "mutation($id: ID!) { cancelJob(id: $id) { id } }", id=job_id)
        victim = ids[1]
        batches: list[int] = []

        def poison(event: dict[str, Any]) -> dict[str, Any]:
            batches.append(len(event["Records"]))
            for record in event["Records"]:
                new = record["dynamodb"].get("NewImage") or {}
                if new.get("id") == {"S": victim} and new["status"]["S"] in TERMINAL:
                    del new["id"]  # a job's image without its id: unreadable
            return event

        function.start(stream_retries=2, stream_filter=poison)
        others = sorted(set(ids) - {victim})
        assert eventually(lambda: len(hooks.accepted()) >= len(others), 60)
        # The poison's retries run out: it reaches the failure queue, after which the
        # stream has nothing more of this batch to send.
        failures = "monolambda-local-OutboxFailures"
        assert eventually(lambda: queue_depth(function.stack, failures) > 0, 60)
    assert batches[0] == 2 * len(ids)  # the inserts and the cancels, in one batch
    assert sorted(d.headers["Monolambda-Delivery"] for d in hooks.deliveries) == others
