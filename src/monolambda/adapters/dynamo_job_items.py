"""The jobs table's item as PynamoDB reads and writes it: its attributes, its three indexes,
and the mapping between an item and the domain's Job (dynamo_jobs is the store that moves
items between states). The template declares the same table (tests/unit/test_job_table.py
holds the two together, both ways).
"""

from __future__ import annotations

from typing import ClassVar, cast

from pynamodb.attributes import (
    BinaryAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from monolambda.domain.jobs import (
    Job,
    JobError,
    JobInputs,
    JobStatus,
    OpenJob,
    results_from_json,
)
from monolambda.domain.webhooks import WebhookState, WebhookStatus

# The open-jobs index spreads its writes over this many partitions (a sweeper reads each).
OPEN_SHARDS = 4

# What a list page shows of a job: everything but its inputs and results, which stay in the
# table (a page that asks for results reads them with one BatchGetItem).
SUMMARY_ATTRIBUTES = (
    "status",
    "model",
    "model_version",
    "total",
    "done",
    "attempts",
    "top_k",
    "correlation_id",
    "request_hash",
    "idempotency_key",
    "error_code",
    "error_message",
    "updated_at",
    "started_at",
    "finished_at",
    "expires_at",
    "result_key",
)
# What the sweeper needs to decide about an open job, without reading the job.
OPEN_ATTRIBUTES = ("status", "owner", "lease_until", "attempts", "enqueues")


class ByOwner(GlobalSecondaryIndex["JobRecord"]):
    """A caller's jobs, newest first."""

    class Meta:
        index_name = "by_owner"
        projection = IncludeProjection(list(SUMMARY_ATTRIBUTES))

    owner = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class ByOwnerStatus(GlobalSecondaryIndex["JobRecord"]):
    """A caller's jobs in one state, newest first (key: owner#status)."""

    class Meta:
        index_name = "by_owner_status"
        projection = IncludeProjection(list(SUMMARY_ATTRIBUTES))

    owner_status = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class OpenJobs(GlobalSecondaryIndex["JobRecord"]):
    """Sparse: only QUEUED and RUNNING jobs carry open_shard, so finding the open jobs (for
    the sweeper) reads only them, oldest change first, never the whole table."""

    class Meta:
        index_name = "open_jobs"
        projection = IncludeProjection(list(OPEN_ATTRIBUTES))

    open_shard = UnicodeAttribute(hash_key=True)
    updated_at = UTCDateTimeAttribute(range_key=True)


class JobRecord(Model):
    class Meta:
        table_name = "jobs"  # bound to the real name by dynamo_tables.bind
        # Throttling is retried by botocore (standard mode); then the caller hears UNAVAILABLE.
        max_retry_attempts = 4
        connect_timeout_seconds = 3
        read_timeout_seconds = 10

    id = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    owner_status = UnicodeAttribute()
    open_shard = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()

    status = UnicodeAttribute()
    model = UnicodeAttribute()
    model_version = UnicodeAttribute()
    total = NumberAttribute()
    done = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    top_k = NumberAttribute()
    correlation_id = UnicodeAttribute()
    request_hash = UnicodeAttribute()
    idempotency_key = UnicodeAttribute(null=True)
    # How many times the job was handed to the queue; the stream sends a message when it grows.
    enqueues = NumberAttribute(default=1)

    s3_keys = ListAttribute(of=UnicodeAttribute, null=True)
    # Raw bytes: PynamoDB makes list elements without its pre-6 base64 encoding.
    images = ListAttribute(of=BinaryAttribute, null=True)
    results = UnicodeAttribute(null=True)  # compact JSON (domain.jobs.results_to_json)
    failed = NumberAttribute(null=True)  # images whose result is an error
    result_key = UnicodeAttribute(null=True)
    error_code = UnicodeAttribute(null=True)
    error_message = UnicodeAttribute(null=True)

    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()
    lease_holder = UnicodeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    # The webhook: where to, and how its delivery went (services/webhooks.py).
    callback_url = UnicodeAttribute(null=True)
    webhook_status = UnicodeAttribute(null=True)
    webhook_attempts = NumberAttribute(null=True)
    webhook_at = UTCDateTimeAttribute(null=True)
    webhook_error = UnicodeAttribute(null=True)

    by_owner: ClassVar[ByOwner] = ByOwner()
    by_owner_status: ClassVar[ByOwnerStatus] = ByOwnerStatus()
    open_jobs: ClassVar[OpenJobs] = OpenJobs()


def owner_status(owner: str, status: JobStatus | str) -> str:
    return f"{owner}#{status}"


def open_shard(job_id: str) -> str:
    return f"open#{int(job_id.replace('-', '')[-4:], 16) % OPEN_SHARDS}"


def open_job_of(record: JobRecord) -> OpenJob:
    return OpenJob(
        id=record.id,
        owner=record.owner,
        status=JobStatus(record.status),
        updated_at=record.updated_at,
        attempts=int(record.attempts or 0),
        enqueues=int(record.enqueues or 1),
        lease_until=record.lease_until,
    )


def record_of(job: Job) -> JobRecord:
    inputs = job.inputs or JobInputs()
    return JobRecord(
        job.id,
        owner=job.owner,
        created_at=job.created_at,
        owner_status=owner_status(job.owner, job.status),
        open_shard=open_shard(job.id),
        updated_at=job.updated_at,
        status=job.status,
        model=job.model,
        model_version=job.version,
        total=job.total,
        done=job.done,
        attempts=job.attempts,
        top_k=job.top_k,
        correlation_id=job.correlation_id,
        request_hash=job.request_hash,
        idempotency_key=job.idempotency_key,
        callback_url=job.callback_url,
        enqueues=1,
        s3_keys=list(inputs.s3_keys) or None,
        images=list(inputs.images) or None,
        expires_at=job.expires_at,
    )


def job_of(record: JobRecord, *, complete: bool = True, inputs: bool = True) -> Job:
    error = (
        JobError(record.error_code, record.error_message or "")
        if record.error_code is not None
        else None
    )
    return Job(
        id=record.id,
        owner=record.owner,
        model=record.model,
        version=record.model_version,
        status=JobStatus(record.status),
        created_at=record.created_at,
        updated_at=record.updated_at,
        expires_at=record.expires_at,
        total=int(record.total),
        top_k=int(record.top_k),
        correlation_id=record.correlation_id,
        request_hash=record.request_hash,
        inputs=JobInputs(
            # PynamoDB types a list's values as its element attribute; they are str and bytes.
            s3_keys=tuple(cast(list[str], record.s3_keys or [])),
            images=tuple(cast(list[bytes], record.images or [])),
        )
        if complete and inputs
        else None,
        done=int(record.done or 0),
        attempts=int(record.attempts or 0),
        started_at=record.started_at,
        finished_at=record.finished_at,
        idempotency_key=record.idempotency_key,
        error=error,
        results=results_from_json(record.results) if record.results else None,
        result_key=record.result_key,
        lease_holder=record.lease_holder,
        lease_until=record.lease_until,
        complete=complete,
        enqueues=int(record.enqueues or 1),
        callback_url=record.callback_url,
        webhook=_webhook(record),
        failed=int(record.failed or 0),
    )


def _webhook(record: JobRecord) -> WebhookState | None:
    if not record.webhook_status:  # no try yet
        return None
    return WebhookState(
        status=WebhookStatus(record.webhook_status),
        attempts=int(record.webhook_attempts or 0),
        at=record.webhook_at,
        last_error=record.webhook_error,
    )
