"""The sweeper: stale open jobs re-enqueued or failed, once, a bounded number per run."""

from __future__ import annotations

from datetime import datetime, timedelta

from monolambda.domain.jobs import Job, JobStatus, OpenJob
from monolambda.services.sweeper import Sweeper, SweepSettings
from tests.support.job_fakes import Clock, FakeJobStore, job_service, submit

STALE_S = 900
SETTINGS = SweepSettings(stale_after_s=STALE_S, max_jobs=200, max_requeues=3, max_receives=3)


def queued(store: FakeJobStore, clock: Clock, count: int = 1) -> list[str]:
    service = job_service(store, clock=clock)
    return [submit(service).job.id for _ in range(count)]


def running(store: FakeJobStore, clock: Clock, attempts: int) -> str:
    (job_id,) = queued(store, clock)
    for attempt in range(attempts):
        started = store.start(
            job_id, "alice", f"m-{attempt}", clock(), clock() + timedelta(seconds=40)
        )
        assert started is not None
        clock.advance(60)  # each worker dies; its lease runs out
    return job_id


def test_a_queued_job_whose_message_never_came_is_requeued_then_waits_twice_as_long() -> None:
    store, clock = FakeJobStore(), Clock()
    (job_id,) = queued(store, clock)
    sweeper = Sweeper(store=store, settings=SETTINGS, clock=clock)
    clock.advance(STALE_S - 1)
    assert sweeper.sweep().examined == 0  # not stale yet
    clock.advance(2)
    report = sweeper.sweep()
    assert report.requeued == [job_id]
    assert (store.jobs[job_id].status, store.jobs[job_id].enqueues) == (JobStatus.QUEUED, 2)
    # Idempotent: the next tick finds nothing to do.
    assert sweeper.sweep().requeued == []
    clock.advance(STALE_S + 1)
    assert sweeper.sweep().not_due == 1  # second time: twice the wait
    clock.advance(STALE_S)
    assert sweeper.sweep().requeued == [job_id]


def test_a_job_requeued_max_times_is_failed_with_a_reason() -> None:
    store, clock = FakeJobStore(), Clock()
    (job_id,) = queued(store, clock)
    sweeper = Sweeper(store=store, settings=SETTINGS, clock=clock)
    for enqueues in (1, 2, 3):
        clock.advance(STALE_S * 2 ** (enqueues - 1) + 1)
        assert sweeper.sweep().requeued == [job_id]
    clock.advance(STALE_S * 8 + 1)
    report = sweeper.sweep()
    assert report.failed == [job_id]
    job = store.jobs[job_id]
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert "queued 4 times" in job.error.message
    assert sweeper.sweep().examined == 0  # a failed job is no longer open


def test_a_running_job_whose_lease_ran_out_on_its_last_attempt_is_failed() -> None:
    store, clock = FakeJobStore(), Clock()
    job_id = running(store, clock, attempts=3)
    clock.advance(STALE_S)
    report = Sweeper(store=store, settings=SETTINGS, clock=clock).sweep()
    assert report.failed == [job_id]
    job = store.jobs[job_id]
    assert (job.status, job.lease_holder) == (JobStatus.FAILED, None)
    assert job.error is not None
    assert "last attempt" in job.error.message


def test_a_running_job_abandoned_before_its_last_attempt_is_requeued() -> None:
    store, clock = FakeJobStore(), Clock()
    job_id = running(store, clock, attempts=1)
    clock.advance(STALE_S)
    assert Sweeper(store=store, settings=SETTINGS, clock=clock).sweep().requeued == [job_id]
    job = store.jobs[job_id]
    assert (job.status, job.enqueues, job.lease_until) == (JobStatus.QUEUED, 2, None)


def test_live_and_finished_jobs_are_left_alone() -> None:
    store, clock = FakeJobStore(), Clock()
    (finished,) = queued(store, clock)
    store.jobs[finished] = store.jobs[finished]._replace(status=JobStatus.SUCCEEDED)
    (held,) = queued(store, clock)
    # A lease that still runs (a worker with a long timeout) keeps its job.
    store.start(held, "alice", "m", clock(), clock() + timedelta(seconds=STALE_S * 3))
    clock.advance(STALE_S + 1)
    (fresh,) = queued(store, clock)
    report = Sweeper(store=store, settings=SETTINGS, clock=clock).sweep()
    assert (report.examined, report.not_due, report.requeued) == (1, 1, [])
    assert store.jobs[fresh].enqueues == 1


def test_each_run_is_bounded_and_the_next_goes_on() -> None:
    store, clock = FakeJobStore(), Clock()
    ids = queued(store, clock, 250)
    clock.advance(STALE_S + 1)
    sweeper = Sweeper(store=store, settings=SETTINGS, clock=clock)
    first = sweeper.sweep()
    assert (len(first.requeued), first.more) == (200, True)
    second = sweeper.sweep()
    assert (len(second.requeued), second.more) == (50, False)
    assert sorted(first.requeued + second.requeued) == sorted(ids)


class ChangedAfterRead(FakeJobStore):
    """A worker's progress lands between the sweeper's read and its write."""

    def stale(self, before: datetime, limit: int) -> list[OpenJob]:
        found = super().stale(before, limit)
        for job in found:
            current: Job = self.jobs[job.id]
            self.jobs[job.id] = current._replace(
                updated_at=current.updated_at + timedelta(seconds=1)
            )
        return found


def test_a_job_that_changed_since_the_read_is_not_written() -> None:
    store, clock = ChangedAfterRead(), Clock()
    (job_id,) = queued(store, clock)
    clock.advance(STALE_S + 1)
    report = Sweeper(store=store, settings=SETTINGS, clock=clock).sweep()
    assert (report.changed, report.requeued) == (1, [])
    assert store.jobs[job_id].enqueues == 1
