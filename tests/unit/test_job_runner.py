"""Running a job as the worker does, against in-memory ports that enforce the table's
conditions: each accepted job ends in one terminal state, whatever is delivered twice, fails
or is cancelled meanwhile."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from monolambda.domain.errors import TransientError
from monolambda.domain.identity import Caller
from monolambda.domain.jobs import Job, JobStatus, results_from_json
from monolambda.domain.ports import Images
from monolambda.services.job_runner import JobRunner, RetryLaterError, RunnerSettings, RunOutcome
from monolambda.services.jobs import JobLimits
from monolambda.services.predictions import PredictionService
from monolambda.worker import SqsWorker
from tests.support.fakes import NOT_AN_IMAGE, FakeImages, FakeUploads, prediction_service
from tests.support.job_fakes import Clock, FakeJobStore, FakeQueue, FakeResults, job_service
from tests.support.records import job_body, sqs_record

ALICE = Caller("alice")
PLENTY: Callable[[], float] = lambda: 60.0  # noqa: E731 - seconds left in the invocation


class Setup:
    def __init__(
        self,
        *,
        predictions: PredictionService | None = None,
        limits: JobLimits | None = None,
        settings: RunnerSettings | None = None,
    ) -> None:
        self.clock = Clock()
        self.store = FakeJobStore()
        self.results = FakeResults()
        self.uploads = FakeUploads(objects={"uploads/alice/a": b"img"})
        self.predictions = predictions or prediction_service(uploads=self.uploads)
        self.service = job_service(self.store, uploads=self.uploads, clock=self.clock)
        self.runner = JobRunner(
            store=self.store,
            predictions=lambda: self.predictions,
            results=lambda: self.results,
            limits=limits,
            settings=settings,
            clock=self.clock,
        )

    def submit(self, images: list[bytes] | None = None, keys: list[str] | None = None) -> Job:
        return self.service.submit(
            caller=ALICE,
            model=None,
            version=None,
            images=images if images is not None else [b"a", b"b"],
            s3_keys=keys or [],
            top_k=2,
            idempotency_key=None,
            correlation_id="corr",
        ).job

    def run(self, job: Job, holder: str = "m-1", receives: int = 1) -> RunOutcome:
        return self.runner.run(
            job.id, owner=job.owner, holder=holder, receives=receives, time_left=PLENTY
        )

    def job(self, job: Job) -> Job:
        return self.store.jobs[job.id]


def test_a_job_runs_to_succeeded_with_one_result_per_image_in_two_writes() -> None:
    setup = Setup()
    job = setup.submit()
    setup.store.calls.clear()
    assert setup.run(job) is RunOutcome.SUCCEEDED
    done = setup.job(job)
    assert done.status is JobStatus.SUCCEEDED
    assert done.done == 2
    assert done.attempts == 1
    assert [r.index for r in done.results or ()] == [0, 1]
    assert [label.label for label in (done.results or ())[0].labels] == ["dog", "eel"]
    assert setup.store.calls == ["start", "finish"]


def test_a_duplicate_delivery_of_a_finished_job_is_skipped() -> None:
    setup = Setup()
    job = setup.submit()
    setup.run(job)
    finished = setup.job(job)
    assert setup.run(job, holder="m-1") is RunOutcome.ALREADY_FINISHED
    assert setup.run(job, holder="m-2") is RunOutcome.ALREADY_FINISHED
    assert setup.job(job) == finished


def test_a_second_worker_on_a_held_job_waits_then_lets_go() -> None:
    setup = Setup()
    job = setup.submit()
    now = setup.clock()
    setup.store.start(job.id, job.owner, "m-1", now, now.replace(year=2030))
    with pytest.raises(RetryLaterError, match="another worker"):
        setup.run(job, holder="m-2", receives=1)
    # On its last delivery the duplicate is acknowledged: the holder's own message covers it.
    assert setup.run(job, holder="m-2", receives=3) is RunOutcome.HELD_ELSEWHERE
    assert setup.job(job).status is JobStatus.RUNNING
    assert setup.job(job).attempts == 1


def test_a_dead_workers_job_is_taken_over_once_its_lease_ran_out() -> None:
    setup = Setup()
    job = setup.submit()
    now = setup.clock()
    setup.store.start(job.id, job.owner, "m-1", now, now)  # that worker died
    setup.clock.advance(1)
    assert setup.run(job, holder="m-1", receives=2) is RunOutcome.SUCCEEDED
    assert setup.job(job).attempts == 2


def test_a_message_for_an_unknown_job_or_another_owner_is_acknowledged() -> None:
    setup = Setup()
    job = setup.submit()
    assert (
        setup.runner.run(job.id, owner="bob", holder="m", receives=1, time_left=PLENTY)
        is RunOutcome.UNKNOWN_JOB
    )
    assert setup.job(job).status is JobStatus.QUEUED


class FailingImages(FakeImages):
    def __init__(self, error: Exception, times: int = 1_000) -> None:
        super().__init__()
        self.error = error
        self.times = times

    def prepare(self, images: Any, spec: Any) -> Any:
        if self.times > 0:
            self.times -= 1
            raise self.error
        return super().prepare(images, spec)


def failing(error: Exception, times: int = 1_000) -> PredictionService:
    images: Images = FailingImages(error, times)
    return prediction_service(images=images)


@pytest.mark.parametrize(
    "error", [RuntimeError("boom"), TransientError("busy")], ids=["unexpected", "transient"]
)
def test_a_retryable_failure_gives_the_job_back_until_the_last_delivery(error: Exception) -> None:
    setup = Setup(predictions=failing(error))
    job = setup.submit()
    for receives in (1, 2):
        with pytest.raises(type(error)):
            setup.run(job, receives=receives)
        back = setup.job(job)
        assert back.status is JobStatus.QUEUED
        assert back.lease_holder is None
        assert back.error is not None
        assert "retried" in back.error.message
    with pytest.raises(type(error)):
        setup.run(job, receives=3)
    failed = setup.job(job)
    assert failed.status is JobStatus.FAILED
    assert failed.attempts == 3
    assert failed.error is not None
    assert failed.error.message == ("the job failed on each of its 3 attempts")


def test_a_retry_that_succeeds_ends_the_job_once() -> None:
    setup = Setup(predictions=failing(RuntimeError("once"), times=1))
    job = setup.submit()
    with pytest.raises(RuntimeError):
        setup.run(job, receives=1)
    assert setup.run(job, receives=2) is RunOutcome.SUCCEEDED
    assert setup.job(job).attempts == 2
    assert setup.job(job).error is None


def test_an_unreadable_image_is_that_images_error_alone() -> None:
    setup = Setup()
    job = setup.submit([b"a", NOT_AN_IMAGE, b"c"])
    assert setup.run(job) is RunOutcome.SUCCEEDED
    results = setup.job(job).results or ()
    assert [r.error is None for r in results] == [True, False, True]
    assert results[1].error is not None
    assert results[1].error.code == "BAD_USER_INPUT"
    # Named by its index, as its result is (found as a new user: errors counted from 1).
    assert results[1].index == 1
    assert results[1].error.message.startswith("the image ")  # named by its index, not a field


def test_an_upload_that_vanished_is_that_images_error() -> None:
    setup = Setup()
    job = setup.submit(images=[], keys=["uploads/alice/a"])
    del setup.uploads.objects["uploads/alice/a"]
    setup.run(job)
    (result,) = setup.job(job).results or ()
    assert result.error is not None
    assert result.error.code == "NOT_FOUND"


def test_a_model_version_gone_fails_the_job_without_retries() -> None:
    setup = Setup()
    job = setup.submit()
    setup.store.jobs[job.id] = setup.job(job)._replace(version="7")
    assert setup.run(job) is RunOutcome.FAILED
    failed = setup.job(job)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None
    assert failed.error.code == "BAD_USER_INPUT"


def test_cancel_during_a_run_stops_it_at_the_next_progress_write() -> None:
    setup = Setup(settings=RunnerSettings(batch_size=1, progress_interval_s=0))
    job = setup.submit([b"a", b"b", b"c"])

    class CancelMidway(FakeImages):
        def prepare(self, images: Any, spec: Any) -> Any:
            if setup.job(job).done == 1:
                setup.service.cancel(ALICE, job.id)
            return super().prepare(images, spec)

    setup.predictions = prediction_service(images=CancelMidway())
    assert setup.run(job) is RunOutcome.CANCELLED
    final = setup.job(job)
    assert final.status is JobStatus.CANCELLED
    assert final.results is None


def test_a_cancel_after_the_last_progress_write_refuses_the_final_write() -> None:
    setup = Setup()
    job = setup.submit()

    class CancelInside(FakeImages):
        def prepare(self, images: Any, spec: Any) -> Any:
            setup.service.cancel(ALICE, job.id)
            return super().prepare(images, spec)

    setup.predictions = prediction_service(images=CancelInside())
    assert setup.run(job) is RunOutcome.CANCELLED
    assert setup.job(job).status is JobStatus.CANCELLED
    assert setup.job(job).results is None


def test_progress_is_written_every_few_seconds_not_per_image() -> None:
    setup = Setup(settings=RunnerSettings(batch_size=1, progress_interval_s=5))
    times = iter([0.0, 1.0, 2.0, 6.0, 7.0, 8.0, 20.0, 21.0])
    setup.runner._monotonic = lambda: next(times)
    job = setup.submit([b"a"] * 6)
    setup.store.calls.clear()
    setup.run(job)
    assert setup.store.calls.count("progress") == 2  # at 6 s and at 20 s, of 6 images


def test_large_results_go_to_the_results_store() -> None:
    setup = Setup(limits=JobLimits(max_inline_result_bytes=50))
    job = setup.submit([b"a"] * 4)
    setup.run(job)
    done = setup.job(job)
    assert done.results is None
    assert done.result_key == f"results/alice/{job.id}.json"
    stored = results_from_json(setup.results.objects[done.result_key].decode())
    assert len(stored) == 4
    assert setup.service.result_url(done) == (
        f"https://results.example/results/alice/{job.id}.json?expires=900"
    )


def test_no_job_is_started_without_time_to_run_it() -> None:
    setup = Setup()
    job = setup.submit()
    with pytest.raises(RetryLaterError, match="not enough time"):
        setup.runner.run(job.id, owner="alice", holder="m", receives=1, time_left=lambda: 1.0)
    assert setup.job(job).status is JobStatus.QUEUED
    assert setup.store.calls == ["create"]


# --- the SQS route around the runner ----------------------------------------------------
def worker(setup: Setup, queue: FakeQueue) -> SqsWorker:
    return SqsWorker(runner=setup.runner, queue=lambda: queue, retry_delay_s=10)


def test_a_batch_with_a_malformed_and_a_failing_message_fails_only_those() -> None:
    setup = Setup()
    good = [setup.submit() for _ in range(3)]
    queue = FakeQueue()
    now = setup.clock()
    held = setup.submit()
    setup.store.start(held.id, "alice", "elsewhere", now, now.replace(year=2030))
    records = [sqs_record(job_body(j.id), f"ok-{i}") for i, j in enumerate(good)]
    records += [
        sqs_record("not json", "bad-json"),
        sqs_record(json.dumps({"jobId": "x"}), "bad-shape"),
        sqs_record(job_body(held.id), "held", receives=2),
    ]
    answer = worker(setup, queue)({"Records": records}, None)
    assert sorted(f["itemIdentifier"] for f in answer["batchItemFailures"]) == [
        "bad-json",
        "bad-shape",
        "held",
    ]
    assert all(setup.job(j).status is JobStatus.SUCCEEDED for j in good)
    # Only the retryable one is brought back early (10 s doubled on its second delivery).
    assert queue.delays == [("receipt-held", 20)]
