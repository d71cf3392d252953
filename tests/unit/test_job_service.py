"""Job use cases for callers, against in-memory ports that enforce the table's conditions."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import pytest

from monolambda.domain.errors import BadUserInputError, NotFoundError
from monolambda.domain.identity import Caller
from monolambda.domain.jobs import (
    TRANSITIONS,
    JobInputs,
    JobMessage,
    JobStatus,
    may_move,
    sources_of,
)
from monolambda.services.jobs import JobLimits
from tests.support.fakes import FakeUploads
from tests.support.job_fakes import Clock, FakeJobStore, FakeQueue, job_service, submit

ALICE = Caller("alice")
BOB = Caller("bob")


def test_terminal_states_are_never_left_and_every_target_has_a_source() -> None:
    for status in JobStatus:
        if status.terminal:
            assert TRANSITIONS[status] == frozenset()
    assert sources_of(JobStatus.CANCELLED) == {JobStatus.QUEUED, JobStatus.RUNNING}
    assert sources_of(JobStatus.SUCCEEDED) == {JobStatus.RUNNING}
    assert not may_move(JobStatus.SUCCEEDED, JobStatus.FAILED)
    assert may_move(JobStatus.RUNNING, JobStatus.QUEUED)  # given back for a retry


def test_a_submit_writes_one_queued_job_pinned_to_the_current_version() -> None:
    store = FakeJobStore()
    submission = submit(job_service(store), images=[b"a", b"b"])
    job = submission.job
    assert submission.created
    assert (job.status, job.model, job.version, job.total, job.owner) == (
        JobStatus.QUEUED,
        "m",
        "2",
        2,
        "alice",
    )
    assert store.calls == ["create"]
    assert store.jobs[job.id].inputs == JobInputs(images=(b"a", b"b"))


def test_a_new_jobs_message_is_sent_at_submit_and_only_then() -> None:
    """External finding 4: a job waited behind another owner's burst in the table's stream.
    Its message is sent by the submit itself now; the stream's send is the fallback."""
    queue = FakeQueue()
    service = job_service(queue=queue)
    job = submit(service, idempotency_key="k").job
    assert [(m.job_id, m.owner, m.enqueue) for m in queue.sent] == [(job.id, "alice", 1)]
    submit(service, idempotency_key="k")  # the same job again: nothing more is sent
    submit(service, dry_run=True)
    assert len(queue.sent) == 1


class BrokenQueue(FakeQueue):
    def send(self, messages: Sequence[JobMessage]) -> set[str]:
        raise ConnectionError("SQS is away")


@pytest.mark.parametrize(
    "queue", [FakeQueue(failing={"*"}), BrokenQueue()], ids=["failed", "raised"]
)
def test_a_send_that_fails_at_submit_leaves_the_job_to_the_stream(queue: FakeQueue) -> None:
    store = FakeJobStore()
    queue.failing = {"*"}
    submission = submit(job_service(store, queue=queue))
    assert submission.created
    assert store.jobs[submission.job.id].status is JobStatus.QUEUED  # written: the stream sends


def test_the_same_idempotency_key_returns_the_first_job_and_writes_nothing_new() -> None:
    store = FakeJobStore()
    service = job_service(store)
    first = submit(service, idempotency_key="order-1").job
    again = submit(service, idempotency_key="order-1")
    assert again.job.id == first.id
    assert not again.created
    assert len(store.jobs) == 1
    # The same key from another caller is another job.
    other = submit(service, BOB, idempotency_key="order-1").job
    assert other.id != first.id


def test_an_idempotency_key_reused_for_another_request_is_refused() -> None:
    service = job_service()
    submit(service, idempotency_key="order-1")
    with pytest.raises(BadUserInputError, match="different request"):
        submit(service, idempotency_key="order-1", images=[b"other"])


def test_a_dry_run_checks_everything_and_writes_nothing() -> None:
    store = FakeJobStore()
    submission = submit(job_service(store), dry_run=True)
    assert submission.dry_run
    assert not submission.created
    assert store.jobs == {}
    assert store.calls == []
    with pytest.raises(BadUserInputError, match="no model"):
        submit(job_service(store), dry_run=True, model="nope")
    assert store.calls == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"images": [], "s3_keys": []}, "one of the two"),
        ({"images": [b"a"], "s3_keys": ["uploads/alice/x"]}, "one of the two"),
        ({"images": [b"a"] * 6}, "at most 5 images"),
        ({"images": [b"x" * 600]}, "total more than 512 bytes"),
        ({"images": [b""]}, "empty"),
        ({"model": "nope"}, "no model"),
        ({"version": "9"}, "no version"),
        ({"top_k": 0}, "topK"),
        ({"idempotency_key": "has space"}, "idempotencyKey"),
        ({"images": [], "s3_keys": ["uploads/bob/x"]}, r"s3Keys\[0\]: no such upload"),
        ({"images": [], "s3_keys": ["uploads/alice/../bob/x"]}, "no such upload"),
        ({"images": [], "s3_keys": ["uploads/alice/ok", "uploads/alice/gone"]}, r"s3Keys\[1\]"),
        ({"images": [], "s3_keys": ["uploads/alice/huge"]}, "larger than"),
    ],
)
def test_bad_submits_are_refused_before_anything_is_written(
    given: dict[str, Any], message: str
) -> None:
    store = FakeJobStore()
    uploads = FakeUploads(
        objects={"uploads/alice/ok": b"img", "uploads/alice/huge": b"x" * (21 * 1024 * 1024)}
    )
    service = job_service(
        store, uploads=uploads, limits=JobLimits(max_images=5, max_inline_bytes=512)
    )
    with pytest.raises(BadUserInputError, match=message):
        submit(service, **given)
    assert store.jobs == {}


def test_uploads_are_checked_in_one_listing() -> None:
    uploads = FakeUploads(objects={"uploads/alice/a": b"1", "uploads/alice/b": b"2"})
    job = submit(
        job_service(uploads=uploads), images=[], s3_keys=["uploads/alice/a", "uploads/alice/b"]
    ).job
    assert job.inputs == JobInputs(s3_keys=("uploads/alice/a", "uploads/alice/b"))


def test_another_callers_job_is_not_found_exactly_as_a_missing_one() -> None:
    service = job_service()
    job = submit(service).job
    assert service.get(ALICE, job.id).id == job.id
    for caller, job_id in ((BOB, job.id), (ALICE, "6d3c6f0e-0c1b-4d4e-8f7a-0e5b8b9c1a2d")):
        with pytest.raises(NotFoundError) as found:
            service.get(caller, job_id)
        assert str(found.value) == "no such job"
    with pytest.raises(NotFoundError):
        service.get(ALICE, "not-a-uuid")
    with pytest.raises(NotFoundError):
        service.cancel(BOB, job.id)
    answers = service.get_many(BOB, [job.id, "junk"])
    assert all(isinstance(a, NotFoundError) for a in answers)


def test_pages_are_newest_first_with_signed_cursors() -> None:
    clock = Clock()
    store = FakeJobStore()
    service = job_service(store, clock=clock)
    ids = []
    for _ in range(5):
        ids.append(submit(service).job.id)
        clock.advance(1)
    submit(service, BOB)
    first = service.page(ALICE, status=None, first=2, after=None)
    assert [j.id for j in first.jobs] == ids[::-1][:2]
    assert first.has_next
    assert not first.has_previous
    second = service.page(ALICE, status=None, first=2, after=first.cursors[-1])
    assert [j.id for j in second.jobs] == ids[::-1][2:4]
    last = service.page(ALICE, status=None, first=2, after=second.cursors[-1])
    assert [j.id for j in last.jobs] == ids[:1]
    assert not last.has_next
    queued = service.page(ALICE, status=JobStatus.QUEUED, first=10, after=None)
    assert len(queued.jobs) == 5
    assert service.page(ALICE, status=JobStatus.RUNNING, first=10, after=None).jobs == []


def test_a_tampered_or_foreign_cursor_is_bad_input() -> None:
    service = job_service()
    for _ in range(3):
        submit(service)
    cursor = service.page(ALICE, status=None, first=1, after=None).cursors[0]
    body, _, signature = cursor.partition(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["o"] = "bob"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    for bad in (
        f"{forged}.{signature}",  # someone else's list, old signature
        cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"),  # signature changed
        "garbage",
        "a.b.c",
        "",
        "x" * 5000,
    ):
        with pytest.raises(BadUserInputError, match="not a cursor"):
            service.page(ALICE, status=None, first=1, after=bad)
    with pytest.raises(BadUserInputError, match="not a cursor"):  # Bob can't use Alice's
        service.page(BOB, status=None, first=1, after=cursor)
    with pytest.raises(BadUserInputError, match="not a cursor"):  # another filter's list
        service.page(ALICE, status=JobStatus.QUEUED, first=1, after=cursor)
    for first in (0, 101):
        with pytest.raises(BadUserInputError, match="first must be"):
            service.page(ALICE, status=None, first=first, after=None)


def test_cancel_moves_an_open_job_once_and_answers_a_finished_one_as_it_is() -> None:
    store = FakeJobStore()
    service = job_service(store)
    job = submit(service).job
    cancelled = service.cancel(ALICE, job.id)
    assert cancelled.status is JobStatus.CANCELLED
    again = service.cancel(ALICE, job.id)
    assert again.status is JobStatus.CANCELLED
    assert again.finished_at == cancelled.finished_at
