"""The sweeper on the local stand-ins: a job whose message was lost is re-enqueued and runs;
a job whose worker died on its last attempt is failed; the schedule reaches the function
in the local stack."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monolambda import bootstrap
from tests.support.in_process import Function, all_terminal, states, submit
from tests.support.processes import ROOT
from tests.support.stack import RunningStack
from tests.support.waiting import eventually

SCHEDULE_EVENT = json.loads((ROOT / "events" / "schedule-sweep.json").read_text())


@pytest.fixture
def sweeping(function: Function, monkeypatch: pytest.MonkeyPatch) -> Function:
    """The function with a sweeper that finds a job stale after a second."""
    monkeypatch.setenv("SWEEP_STALE_AFTER_S", "1")
    bootstrap.reset()
    return function


def queued_messages(function: Function) -> int:
    counts = function.stack.client("sqs").get_queue_attributes(
        QueueUrl=function.environment["JOBS_QUEUE_URL"],
        AttributeNames=["ApproximateNumberOfMessages"],
    )["Attributes"]
    return int(counts["ApproximateNumberOfMessages"])


def item(function: Function, job_id: str) -> dict[str, Any]:
    found: dict[str, Any] = function.stack.client("dynamodb").get_item(
        TableName=function.environment["JOBS_TABLE"], Key={"id": {"S": job_id}}, ConsistentRead=True
    )["Item"]
    return found


def test_jobs_whose_messages_were_lost_are_requeued_and_run_once(sweeping: Function) -> None:
    ids = submit(sweeping.stack, 3)
    sweeping.start(worker=False)  # the outbox sends their messages ...
    assert eventually(lambda: queued_messages(sweeping) == 3)
    sweeping.stop()
    sqs = sweeping.stack.client("sqs")
    sqs.purge_queue(QueueUrl=sweeping.environment["JOBS_QUEUE_URL"])  # ... which are lost
    assert eventually(lambda: queued_messages(sweeping) == 0)
    assert {s["status"] for s in states(sweeping.stack, ids).values()} == {"QUEUED"}

    time.sleep(1.5)  # the jobs grow stale (SWEEP_STALE_AFTER_S=1)
    report = sweeping.invoke(SCHEDULE_EVENT)
    assert sorted(report["requeued_jobs"]) == sorted(ids)
    assert (report["failed"], report["more"]) == (0, False)
    # A second tick right after changes nothing: each job now waits twice as long.
    assert sweeping.invoke(SCHEDULE_EVENT)["requeued"] == 0

    sweeping.start()
    assert eventually(lambda: all_terminal(sweeping.stack, ids))
    final = states(sweeping.stack, ids)
    assert {(s["status"], s["attempts"], s["results"]) for s in final.values()} == {
        ("SUCCEEDED", 1, 1)
    }
    assert {item(sweeping, i)["enqueues"]["N"] for i in ids} == {"2"}


def test_a_job_whose_worker_died_on_its_last_attempt_is_failed(sweeping: Function) -> None:
    (job_id,) = submit(sweeping.stack)
    # What the worker's start write leaves on the message's third and last delivery, before
    # its process died: RUNNING, three attempts, a lease that has run out.
    past = (datetime.now(UTC) - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
    sweeping.stack.client("dynamodb").update_item(
        TableName=sweeping.environment["JOBS_TABLE"],
        Key={"id": {"S": job_id}},
        UpdateExpression="SET #s = :running, owner_status = :os, attempts = :three, "
        "lease_holder = :holder, lease_until = :past, updated_at = :past",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":running": {"S": "RUNNING"},
            ":os": {"S": item(sweeping, job_id)["owner"]["S"] + "#RUNNING"},
            ":three": {"N": "3"},
            ":holder": {"S": "message-3"},
            ":past": {"S": past},
        },
    )
    report = sweeping.invoke(SCHEDULE_EVENT)
    assert report["failed_jobs"] == [job_id]
    failed = item(sweeping, job_id)
    assert failed["status"]["S"] == "FAILED"
    assert "last attempt" in failed["error_message"]["S"]
    assert "open_shard" not in failed  # no longer among the open jobs
    assert sweeping.invoke(SCHEDULE_EVENT)["examined"] == 0


def test_the_local_stack_runs_the_templates_schedule(app_stack: RunningStack) -> None:
    status, _, body = app_stack.control("tick")
    assert status == 200
    report = json.loads(body)["MonolambdaFunctionSweep"]
    assert report["examined"] == 0
    assert report["more"] is False
