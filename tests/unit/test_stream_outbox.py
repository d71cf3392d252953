"""The jobs table's outbox: which stream records send a job's message, and what a failed
send reports so that the stream delivers it again."""

from __future__ import annotations

from typing import Any

from monolambda.domain.jobs import JobMessage
from monolambda.triggers.stream import StreamTrigger
from tests.support.job_fakes import FakeQueue
from tests.support.records import JOB_ID, job_image, stream_record

OTHER = "0e7b8a55-5a4f-4f63-9f0e-6c9d3c7f2b11"


def run(records: list[dict[str, Any]], queue: FakeQueue) -> dict[str, Any]:
    return StreamTrigger(queue=lambda: queue)({"Records": records}, None)


def test_a_new_queued_job_sends_one_message_with_its_owner_as_the_group() -> None:
    queue = FakeQueue()
    assert run([stream_record("INSERT", job_image())], queue) == {"batchItemFailures": []}
    assert queue.sent == [JobMessage(job_id=JOB_ID, owner="alice", correlation_id="corr-1")]


def test_changes_that_are_not_enqueues_send_nothing() -> None:
    queue = FakeQueue()
    records = [
        stream_record("MODIFY", job_image("RUNNING"), job_image("QUEUED"), "1"),
        # A worker giving a job back for a retry: its message is still in the queue.
        stream_record("MODIFY", job_image("QUEUED"), job_image("RUNNING"), "2"),
        stream_record("MODIFY", job_image("SUCCEEDED"), job_image("RUNNING"), "3"),
        stream_record("REMOVE", None, job_image("SUCCEEDED"), "4"),
    ]
    assert run(records, queue) == {"batchItemFailures": []}
    assert queue.sent == []


def test_a_re_enqueue_sends_again_under_a_new_deduplication_id() -> None:
    queue = FakeQueue()
    run(
        [stream_record("MODIFY", job_image(enqueues=2), job_image("RUNNING", enqueues=1))],
        queue,
    )
    assert [m.enqueue for m in queue.sent] == [2]


def test_a_failed_send_is_reported_and_the_rest_are_sent() -> None:
    queue = FakeQueue(failing={OTHER})
    records = [
        stream_record("INSERT", job_image(), sequence="10"),
        stream_record("INSERT", job_image(job_id=OTHER), sequence="11"),
    ]
    assert run(records, queue) == {"batchItemFailures": [{"itemIdentifier": "11"}]}
    assert [m.job_id for m in queue.sent] == [JOB_ID]


def test_an_unreadable_record_fails_alone() -> None:
    queue = FakeQueue()
    broken = stream_record("INSERT", {"status": {"S": "QUEUED"}}, sequence="7")  # no id
    answer = run([broken, stream_record("INSERT", job_image(), sequence="8")], queue)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "7"}]}
    assert len(queue.sent) == 1
