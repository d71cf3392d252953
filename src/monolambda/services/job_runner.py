"""Running one job, as the worker does for each message: a conditional start, the images in
batches through the prediction service, progress now and then, a conditional end.

Every accepted job ends in exactly one terminal state. Duplicate deliveries and jobs already
finished or cancelled are skipped (the start is not written); a cancel is seen at the next
progress write or at the end, whose write is refused; a retryable failure gives the job back
(QUEUED) for its message to come again, except on the message's last delivery, when the job
is marked FAILED with a reason before the message goes to the dead-letter queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from monolambda.domain.errors import DomainError, ErrorCode, TransientError
from monolambda.domain.jobs import (
    ItemResult,
    Job,
    JobError,
    JobInputs,
    JobOutcome,
    JobStatus,
    results_to_json,
)
from monolambda.domain.models import Prediction
from monolambda.services.jobs import JobLimits, utc_now
from monolambda.services.predictions import PredictionService

# Protocols, for annotations only: importing them defines 13 (~7 M instructions).
if TYPE_CHECKING:
    from monolambda.domain.ports import JobStore, ResultStore


class RunOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # Acknowledged without running: what the message asked for is already taken care of.
    ALREADY_FINISHED = "already-finished"
    UNKNOWN_JOB = "unknown-job"
    HELD_ELSEWHERE = "held-elsewhere"
    CANCELLED = "cancelled"


class RetryLaterError(Exception):
    """The job could not be run now; its message should come again."""


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    # A worker's claim on a RUNNING job outlives the function's timeout: a worker that died
    # mid-run is known dead once its lease ran out, and the next delivery takes over.
    lease_s: float = 40.0
    # A progress write every so often, not per image (and one is also a cancel check).
    progress_interval_s: float = 5.0
    # Images classified together (one decode-and-infer batch).
    batch_size: int = 32
    # Time left below which no job, or no next batch, is started.
    time_margin_s: float = 3.0
    # Deliveries a message gets before the queue dead-letters it (the queue's maxReceiveCount).
    max_receives: int = 3


class JobRunner:
    def __init__(
        self,
        *,
        store: JobStore,
        predictions: Callable[[], PredictionService],
        results: Callable[[], ResultStore],
        limits: JobLimits | None = None,
        settings: RunnerSettings | None = None,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._predictions = predictions
        self._results = results
        self.limits = limits or JobLimits()
        self.settings = settings or RunnerSettings()
        self._clock = clock
        self._monotonic = monotonic

    def run(
        self,
        job_id: str,
        *,
        owner: str,
        holder: str,
        receives: int,
        time_left: Callable[[], float],
    ) -> RunOutcome:
        """`holder`: the message's id (a redelivery of it may take over its own job);
        `receives`: how many times it was delivered; `time_left`: seconds until the timeout."""
        if time_left() < self.settings.time_margin_s:
            raise RetryLaterError("not enough time left in this invocation to start a job")
        now = self._clock()
        job = self._store.start(
            job_id, owner, holder, now, now + timedelta(seconds=self.settings.lease_s)
        )
        if job is None:
            return self._not_started(job_id, owner, receives)
        try:
            outcome = self._classify(job, holder, time_left)
        except _StoppedError:
            return RunOutcome.CANCELLED
        except TransientError:
            self._after_failure(job, holder, receives)
            raise
        except DomainError as e:
            # The job itself cannot be run (its model version is gone): retrying won't help.
            outcome = JobOutcome(JobStatus.FAILED, job.done, error=JobError(e.code, str(e)))
        except Exception:
            self._after_failure(job, holder, receives)
            raise
        outcome = self._stored(job, outcome)
        if not self._store.finish(job, holder, outcome, self._clock()):
            return RunOutcome.CANCELLED  # cancelled (or taken over) while it ran
        return RunOutcome(outcome.status.lower())

    def _not_started(self, job_id: str, owner: str, receives: int) -> RunOutcome:
        current = self._store.get(job_id)
        if current is None or current.owner != owner:
            return RunOutcome.UNKNOWN_JOB
        if current.status.terminal:
            return RunOutcome.ALREADY_FINISHED
        # Another delivery's worker holds it with a live lease; that delivery finishes it or,
        # if its worker dies, comes back once the lease has run out. This one may go unless
        # it is still early: then it waits, in case the other's message was lost with it.
        if receives >= self.settings.max_receives:
            return RunOutcome.HELD_ELSEWHERE
        raise RetryLaterError("another worker holds this job")

    def _after_failure(self, job: Job, holder: str, receives: int) -> None:
        """A retryable failure: give the job back, or, on the last delivery, fail it (the
        worker logs the failure itself, with the message and correlation ids)."""
        if receives >= self.settings.max_receives:
            reason = JobError(
                ErrorCode.INTERNAL,
                f"the job failed on each of its {self.settings.max_receives} attempts",
            )
            self._store.finish(
                job, holder, JobOutcome(JobStatus.FAILED, job.done, error=reason), self._clock()
            )
        else:
            reason = JobError(ErrorCode.INTERNAL, "an attempt failed; the job will be retried")
            self._store.release(job, holder, reason, self._clock())

    def _classify(self, job: Job, holder: str, time_left: Callable[[], float]) -> JobOutcome:
        predictions = self._predictions()
        manifest = predictions.manifest(job.model, job.version)
        inputs = job.inputs
        if inputs is None:
            raise RuntimeError("a started job carries its inputs")
        results: list[ItemResult] = []
        last_progress = self._monotonic()
        step = self.settings.batch_size
        for start in range(0, inputs.count, step):
            if time_left() < self.settings.time_margin_s:
                raise RetryLaterError("the invocation ran out of time mid-job")
            indexes = range(start, min(start + step, inputs.count))
            images = [_image(predictions, inputs, i) for i in indexes]
            for index, found in zip(
                indexes, predictions.classify_each(manifest, images, job.top_k), strict=True
            ):
                results.append(_item(index, found))
            done = len(results)
            if (
                done < inputs.count
                and self._monotonic() - last_progress >= self.settings.progress_interval_s
            ):
                if not self._store.progress(job, holder, done, self._clock()):
                    raise _StoppedError
                last_progress = self._monotonic()
        failed = sum(1 for r in results if r.error is not None)
        return JobOutcome(JobStatus.SUCCEEDED, len(results), results=tuple(results), failed=failed)

    def _stored(self, job: Job, outcome: JobOutcome) -> JobOutcome:
        """Large results go to the results store (before the job's final write, under a key
        of the job's own, so a retry overwrites rather than duplicates)."""
        if outcome.results is None:
            return outcome
        body = results_to_json(outcome.results).encode()
        if len(body) <= self.limits.max_inline_result_bytes:
            return outcome
        key = f"results/{job.owner}/{job.id}.json"
        self._results().put(key, body)
        return JobOutcome(outcome.status, outcome.done, result_key=key, failed=outcome.failed)


class _StoppedError(Exception):
    """The job was cancelled or taken over while this worker ran it."""


def _image(predictions: PredictionService, inputs: JobInputs, index: int) -> bytes | DomainError:
    if inputs.images:
        return inputs.images[index]
    try:
        return predictions.read_upload(inputs.s3_keys[index])
    except TransientError:
        raise
    except DomainError as e:  # an upload that expired or vanished since the submit
        return e


def _item(index: int, found: Prediction | DomainError) -> ItemResult:
    if isinstance(found, DomainError):
        return ItemResult(index=index, error=JobError(found.code, str(found)))
    return ItemResult(index=index, labels=found.labels)
