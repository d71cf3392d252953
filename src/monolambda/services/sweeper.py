"""The sweeper, run on a schedule: jobs that nothing will move on any more are moved on.

Two things can leave a job open for good. A job's message can be lost (its stream record
went to the outbox's failure queue after every retry, say): the job stays QUEUED. A worker can
die on the message's last delivery: the job stays RUNNING, its lease run out, and no message
will come again. The sweeper reads the open jobs that have not changed for a while (the
sparse open-jobs index, oldest first, a bounded number per run) and re-enqueues them (the
outbox sends a new message), or fails them once that cannot help: after the last attempt,
or after `max_requeues` re-enqueues. Each write is conditional on the job being as it was
read, so a sweep racing a worker, a cancel or another sweep changes nothing twice; a job
re-enqueued waits twice as long before the next. Duplicate messages this may cause are
skipped by the worker like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monolambda.domain.errors import ErrorCode
from monolambda.domain.jobs import JobError, JobStatus, OpenJob
from monolambda.services.jobs import utc_now

# Protocols, for annotations only: importing them defines 13 (~7 M instructions).
if TYPE_CHECKING:
    from monolambda.domain.ports import JobStore


@dataclass(frozen=True, slots=True)
class SweepSettings:
    # An open job unchanged for this long has no live message: a queued message is received
    # in seconds to minutes (FIFO groups run side by side), a running job writes progress
    # every few seconds, and a dead worker's message is back within the visibility timeout.
    stale_after_s: float = 900.0
    # Jobs looked at per run, so that one run's time is bounded whatever the backlog.
    max_jobs: int = 200
    # Re-enqueues before a job that still does not finish is failed.
    max_requeues: int = 3
    # The queue's maxReceiveCount: a RUNNING job with this many attempts had its last.
    max_receives: int = 3


@dataclass
class SweepReport:
    examined: int = 0
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # Open, but not stale enough yet for its enqueue count (or its lease still runs).
    not_due: int = 0
    # Changed between the read and the write (a worker, a cancel, another sweep).
    changed: int = 0
    # More stale jobs than one run looks at: the next run goes on.
    more: bool = False

    def summary(self) -> dict[str, object]:
        return {
            "examined": self.examined,
            "requeued": len(self.requeued),
            "failed": len(self.failed),
            "not_due": self.not_due,
            "changed": self.changed,
            "more": self.more,
            "requeued_jobs": self.requeued[:20],
            "failed_jobs": self.failed[:20],
        }


class Sweeper:
    def __init__(
        self,
        *,
        store: JobStore,
        settings: SweepSettings | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self.settings = settings or SweepSettings()
        self._clock = clock

    def sweep(self) -> SweepReport:
        now = self._clock()
        stale_after = timedelta(seconds=self.settings.stale_after_s)
        found = self._store.stale(now - stale_after, self.settings.max_jobs + 1)
        report = SweepReport(more=len(found) > self.settings.max_jobs)
        for job in found[: self.settings.max_jobs]:
            report.examined += 1
            if not self._due(job, now, stale_after):
                report.not_due += 1
                continue
            reason = self._hopeless(job)
            if reason is None:
                done, written = report.requeued, self._store.requeue(job, now)
            else:
                error = JobError(ErrorCode.INTERNAL, reason)
                done, written = report.failed, self._store.abandon(job, error, now)
            if written:
                done.append(job.id)
            else:
                report.changed += 1
        return report

    @staticmethod
    def _due(job: OpenJob, now: datetime, stale_after: timedelta) -> bool:
        if job.lease_until is not None and job.lease_until >= now:
            return False
        # Each re-enqueue doubles the wait before the next look.
        wait: timedelta = stale_after * (2 ** max(0, job.enqueues - 1))
        return job.updated_at < now - wait

    def _hopeless(self, job: OpenJob) -> str | None:
        if job.status is JobStatus.RUNNING and job.attempts >= self.settings.max_receives:
            return (
                f"the job's worker stopped responding on its last attempt "
                f"({job.attempts} of {self.settings.max_receives})"
            )
        if job.enqueues > self.settings.max_requeues:
            return f"the job did not finish after being queued {job.enqueues} times"
        return None
