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


class Published:
    """The publish port: records the images it was given; `failing` makes it raise."""

    def __init__(self, failing: bool = False) -> None:
        self.images: list[Any] = []
        self.failing = failing

    def __call__(self, images: list[Any], context: object) -> None:
        self.images += images
        if self.failing:
            raise RuntimeError("the connections table is away")


def test_changes_of_status_or_progress_and_new_jobs_are_published_in_order() -> None:
    published = Published()
    records = [
        stream_record("INSERT", job_image(), sequence="1"),
        stream_record("MODIFY", job_image("RUNNING"), job_image("QUEUED"), "2"),
        # Only the webhook's fields moved: nothing to show a subscriber.
        stream_record("MODIFY", job_image("RUNNING"), job_image("RUNNING"), "3"),
        stream_record("MODIFY", job_image("SUCCEEDED"), job_image("RUNNING"), "4"),
        stream_record("REMOVE", None, job_image("SUCCEEDED"), "5"),
    ]
    StreamTrigger(queue=FakeQueue, publish=published)({"Records": records}, None)
    assert [i["status"]["S"] for i in published.images] == ["QUEUED", "RUNNING", "SUCCEEDED"]


def test_a_failed_publication_fails_no_record() -> None:
    queue = FakeQueue()
    trigger = StreamTrigger(queue=lambda: queue, publish=Published(failing=True))
    answer = trigger({"Records": [stream_record("INSERT", job_image())]}, None)
    assert answer == {"batchItemFailures": []}
    assert len(queue.sent) == 1  # the job's message went all the same


def test_records_the_stream_delivers_again_are_published_when_they_come_back() -> None:
    queue = FakeQueue(failing={OTHER})
    published = Published()
    records = [
        stream_record("INSERT", job_image(), sequence="10"),
        stream_record("INSERT", job_image(job_id=OTHER), sequence="11"),
        stream_record("MODIFY", job_image("RUNNING"), job_image("QUEUED"), "12"),
    ]
    StreamTrigger(queue=lambda: queue, publish=published)({"Records": records}, None)
    assert [i["id"]["S"] for i in published.images] == [JOB_ID]  # 11 and 12 come again
