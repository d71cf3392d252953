"""Jobs in DynamoDB, through PynamoDB: the job store.

Every move between states is one conditional UpdateItem whose condition is built from the
domain's transition table, so the table itself refuses a second finish, a start of a
cancelled job or a worker writing over another's run. The item, its indexes and its mapping
to the domain's Job are dynamo_job_items'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from monolambda.adapters.dynamo_job_items import (
    OPEN_SHARDS,
    JobRecord,
    job_of,
    open_job_of,
    owner_status,
    record_of,
)
from monolambda.adapters.dynamo_tables import bind, translated
from monolambda.domain.jobs import (
    Job,
    JobError,
    JobOutcome,
    JobStatus,
    OpenJob,
    results_to_json,
    sources_of,
)
from monolambda.domain.webhooks import WebhookState, WebhookStatus

# Protocols, for annotations only: importing them defines 13 (~7 M instructions).
if TYPE_CHECKING:
    from monolambda.domain.ports import PageKey


class DynamoJobStore:
    def __init__(self, table_name: str) -> None:
        self._model = bind(JobRecord, table_name)

    # --- write ----------------------------------------------------------------------------
    def create(self, job: Job) -> Job | None:
        record = record_of(job)
        with _translated():
            try:
                record.save(condition=JobRecord.id.does_not_exist())
            except PynamoDBException as e:
                if e.cause_response_code != "ConditionalCheckFailedException":
                    raise
                # The id is taken: an earlier submit with the same idempotency key.
                return self.get(job.id)
        return None

    def cancel(self, job_id: str, owner: str, now: datetime) -> Job | None:
        return self._moved(
            job_id, owner, JobStatus.CANCELLED, now=now, actions=[JobRecord.finished_at.set(now)]
        )

    def start(
        self, job_id: str, owner: str, holder: str, now: datetime, lease_until: datetime
    ) -> Job | None:
        # A RUNNING job may be taken over only once its worker's lease ran out (it died), or
        # by a redelivery of the very message that started it.
        free = (
            (JobRecord.status != JobStatus.RUNNING)
            | (JobRecord.lease_until < now)
            | (JobRecord.lease_holder == holder)
        )
        return self._moved(
            job_id,
            owner,
            JobStatus.RUNNING,
            now=now,
            actions=[
                JobRecord.attempts.add(1),
                JobRecord.lease_holder.set(holder),
                JobRecord.lease_until.set(lease_until),
                JobRecord.started_at.set(JobRecord.started_at | now),
                JobRecord.error_code.remove(),
                JobRecord.error_message.remove(),
            ],
            condition=free,
        )

    def progress(self, job: Job, holder: str, done: int, now: datetime) -> bool:
        condition = (JobRecord.status == JobStatus.RUNNING) & (JobRecord.lease_holder == holder)
        return self._update(
            job.id, [JobRecord.done.set(done), JobRecord.updated_at.set(now)], condition
        )

    def finish(self, job: Job, holder: str, outcome: JobOutcome, now: datetime) -> bool:
        actions: list[Action] = [
            JobRecord.finished_at.set(now),
            JobRecord.done.set(outcome.done),
            JobRecord.failed.set(outcome.failed),
        ]
        if outcome.results is not None:
            actions.append(JobRecord.results.set(results_to_json(outcome.results)))
        if outcome.result_key is not None:
            actions.append(JobRecord.result_key.set(outcome.result_key))
        if outcome.error is not None:
            actions += _recorded(outcome.error)
        held = JobRecord.lease_holder == holder
        return self._moves(job, outcome.status, now, actions, held)

    def release(self, job: Job, holder: str, error: JobError, now: datetime) -> bool:
        held = JobRecord.lease_holder == holder
        return self._moves(job, JobStatus.QUEUED, now, _recorded(error), held)

    def _moves(
        self,
        job: Job | OpenJob,
        target: JobStatus,
        now: datetime,
        actions: Sequence[Action],
        condition: Condition,
    ) -> bool:
        """A move whose caller needs to know only whether it happened."""
        record = self._move(
            job.id, job.owner, target, now=now, actions=actions, condition=condition
        )
        return record is not None

    def _moved(
        self,
        job_id: str,
        owner: str,
        target: JobStatus,
        *,
        now: datetime,
        actions: Sequence[Action],
        condition: Condition | None = None,
    ) -> Job | None:
        """A move whose caller needs the job as it now is."""
        record = self._move(job_id, owner, target, now=now, actions=actions, condition=condition)
        return None if record is None else job_of(record)

    def _move(
        self,
        job_id: str,
        owner: str,
        target: JobStatus,
        *,
        now: datetime,
        actions: Sequence[Action],
        condition: Condition | None = None,
    ) -> JobRecord | None:
        """One conditional write of a move to `target`: only from the states the domain
        allows (domain.jobs.TRANSITIONS), only the owner's job, and only if `condition`
        holds too. The new item comes back from the same write (mapped to a Job only where
        it is used: a finished job's results are not parsed back)."""
        allowed = JobRecord.status.is_in(*sorted(sources_of(target))) & (JobRecord.owner == owner)
        if condition is not None:
            allowed &= condition
        # Whatever the move, these follow the status: the owner#status key of the list
        # index, the open-jobs index's key (kept while open), and the lease (kept while RUNNING).
        common: list[Action] = [
            JobRecord.status.set(target),
            JobRecord.owner_status.set(owner_status(owner, target)),
            JobRecord.updated_at.set(now),
        ]
        if target.terminal:
            common.append(JobRecord.open_shard.remove())
        if target is not JobStatus.RUNNING:
            common += [JobRecord.lease_holder.remove(), JobRecord.lease_until.remove()]
        record = JobRecord(job_id)
        with _translated():
            try:
                record.update(actions=[*common, *actions], condition=allowed)
            except PynamoDBException as e:
                if e.cause_response_code == "ConditionalCheckFailedException":
                    return None
                raise
        return record

    def _update(self, job_id: str, actions: list[Action], condition: Condition) -> bool:
        with _translated():
            try:
                JobRecord(job_id).update(actions=actions, condition=condition)
            except PynamoDBException as e:
                if e.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def record_webhook(self, job_id: str, state: WebhookState) -> bool:
        actions: list[Action] = [
            JobRecord.webhook_status.set(state.status),
            JobRecord.webhook_attempts.set(state.attempts),
            JobRecord.webhook_at.set(state.at),
        ]
        actions.append(
            JobRecord.webhook_error.remove()
            if state.last_error is None
            else JobRecord.webhook_error.set(state.last_error[:500])
        )
        unsettled = JobRecord.webhook_status.does_not_exist() | (
            JobRecord.webhook_status == WebhookStatus.PENDING
        )
        return self._update(job_id, actions, JobRecord.id.exists() & unsettled)

    # --- for the sweeper ------------------------------------------------------------------
    def stale(self, before: datetime, limit: int) -> list[OpenJob]:
        # The open-jobs index is sparse (open jobs only) and sorted by updated_at in each
        # shard: each read returns old open jobs and nothing else. Up to `limit` from every
        # shard, then the oldest `limit` of those: the oldest overall, however unevenly the
        # stale jobs fall across shards (a few small index items more, never the table).
        found: list[OpenJob] = []
        with _translated():
            for shard in range(OPEN_SHARDS):
                records = JobRecord.open_jobs.query(
                    f"open#{shard}", JobRecord.updated_at < before, limit=limit
                )
                found += [open_job_of(r) for r in records]
        return sorted(found, key=lambda j: j.updated_at)[:limit]

    def requeue(self, job: OpenJob, now: datetime) -> bool:
        actions = [JobRecord.enqueues.add(1)]
        return self._moves(job, JobStatus.QUEUED, now, actions, _unchanged(job))

    def abandon(self, job: OpenJob, error: JobError, now: datetime) -> bool:
        actions = [JobRecord.finished_at.set(now), *_recorded(error)]
        return self._moves(job, JobStatus.FAILED, now, actions, _unchanged(job))

    # --- read -----------------------------------------------------------------------------
    @staticmethod
    def from_image(image: Mapping[str, Any]) -> Job:
        """A job as a stream record's new image shows it (DynamoDB JSON), without its inline
        images (a stream carries binary values as base64 text, and nothing shown needs them)."""
        return job_of(JobRecord.from_raw_data({k: v for k, v in image.items() if k != "images"}))

    def get(self, job_id: str) -> Job | None:
        with _translated():
            try:
                return job_of(JobRecord.get(job_id, consistent_read=True))
            except JobRecord.DoesNotExist:
                return None

    def get_many(self, job_ids: Sequence[str]) -> dict[str, Job]:
        # Without the inline images: up to 256 KiB a job that no answer shows.
        shown = [
            a.attr_name for a in JobRecord.get_attributes().values() if a is not JobRecord.images
        ]
        with _translated():
            return {
                r.id: job_of(r, inputs=False)
                for r in JobRecord.batch_get(list(job_ids), attributes_to_get=shown)
            }

    def page(
        self, owner: str, status: JobStatus | None, limit: int, after: PageKey | None
    ) -> list[Job]:
        start = _start_key(after, owner, status) if after is not None else None
        with _translated():
            if status is None:
                found = JobRecord.by_owner.query(
                    owner, scan_index_forward=False, limit=limit, last_evaluated_key=start
                )
            else:
                found = JobRecord.by_owner_status.query(
                    owner_status(owner, status),
                    scan_index_forward=False,
                    limit=limit,
                    last_evaluated_key=start,
                )
            return [job_of(r, complete=False) for r in found]

    def page_key(self, job: Job, status: JobStatus | None) -> dict[str, str]:
        key = {"id": job.id, "created_at": JobRecord.created_at.serialize(job.created_at)}
        if status is None:
            key["owner"] = job.owner
        else:
            key["owner_status"] = owner_status(job.owner, status)
        return key


def _start_key(after: PageKey, owner: str, status: JobStatus | None) -> dict[str, Any]:
    name, value = (
        ("owner", owner) if status is None else ("owner_status", owner_status(owner, status))
    )
    if set(after) != {"id", "created_at", name} or after[name] != value:
        raise ValueError("a page key of another list")
    return {name: {"S": value} for name, value in after.items()}


def _recorded(error: JobError) -> list[Action]:
    return [JobRecord.error_code.set(error.code), JobRecord.error_message.set(error.message)]


def _unchanged(job: OpenJob) -> Condition:
    """The job is as the sweeper read it: a worker's progress, a cancel or another sweep in
    between changes updated_at (every write does), and this write is refused."""
    unchanged: Condition = (JobRecord.status == job.status) & (
        JobRecord.updated_at == job.updated_at
    )
    return unchanged


def _translated() -> AbstractContextManager[None]:
    return translated("the job store")
