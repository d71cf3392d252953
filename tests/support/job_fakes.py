"""In-memory fakes of the job ports (mypy checks them against the protocols). The store
enforces the same conditions the DynamoDB store writes (domain.jobs.TRANSITIONS, the owner,
the lease), so the use cases' races can be tested without a table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monolambda.domain.identity import Caller
from monolambda.domain.jobs import (
    ItemResult,
    Job,
    JobError,
    JobInputs,
    JobMessage,
    JobOutcome,
    JobStatus,
    OpenJob,
    sources_of,
)
from monolambda.domain.models import RankedLabel
from monolambda.domain.ports import JobStore, PageKey, ResultStore
from monolambda.domain.webhooks import WebhookState, WebhookStatus
from monolambda.services.jobs import JobLimits, JobService, Submission
from tests.support.fakes import FakeRegistry, FakeUploads

CURSOR_KEY = b"test-cursor-key"
ALICE = Caller("alice")


@dataclass
class FakeJobStore:
    jobs: dict[str, Job] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def create(self, job: Job) -> Job | None:
        self.calls.append("create")
        if job.id in self.jobs:
            return self.jobs[job.id]
        self.jobs[job.id] = job
        return None

    def get(self, job_id: str) -> Job | None:
        self.calls.append("get")
        return self.jobs.get(job_id)

    def get_many(self, job_ids: Sequence[str]) -> dict[str, Job]:
        self.calls.append("get_many")
        return {i: self.jobs[i]._replace(inputs=None) for i in job_ids if i in self.jobs}

    def page(
        self, owner: str, status: JobStatus | None, limit: int, after: PageKey | None
    ) -> list[Job]:
        self.calls.append("page")
        mine = sorted(
            (j for j in self.jobs.values() if j.owner == owner and status in (None, j.status)),
            key=lambda j: (j.created_at, j.id),
            reverse=True,
        )
        if after is not None:
            position = (datetime.fromisoformat(after["created_at"]), after["id"])
            mine = [j for j in mine if (j.created_at, j.id) < position]
        return [j._replace(inputs=None, results=None, complete=False) for j in mine][:limit]

    def page_key(self, job: Job, status: JobStatus | None) -> dict[str, str]:
        return {"id": job.id, "created_at": job.created_at.isoformat(), "owner": job.owner}

    def _move(
        self, job_id: str, owner: str, target: JobStatus, now: datetime, **changes: object
    ) -> Job | None:
        job = self.jobs.get(job_id)
        if job is None or job.owner != owner or job.status not in sources_of(target):
            return None
        moved = job._replace(status=target, updated_at=now, **changes)  # type: ignore[arg-type]
        if target is not JobStatus.RUNNING:
            moved = moved._replace(lease_holder=None, lease_until=None)
        self.jobs[job_id] = moved
        return moved

    def cancel(self, job_id: str, owner: str, now: datetime) -> Job | None:
        self.calls.append("cancel")
        return self._move(job_id, owner, JobStatus.CANCELLED, now, finished_at=now)

    def start(
        self, job_id: str, owner: str, holder: str, now: datetime, lease_until: datetime
    ) -> Job | None:
        self.calls.append("start")
        job = self.jobs.get(job_id)
        if job is None:
            return None
        held = (
            job.status is JobStatus.RUNNING
            and job.lease_holder != holder
            and job.lease_until is not None
            and job.lease_until >= now
        )
        if held:
            return None
        return self._move(
            job_id,
            owner,
            JobStatus.RUNNING,
            now,
            attempts=job.attempts + 1,
            lease_holder=holder,
            lease_until=lease_until,
            started_at=job.started_at or now,
            error=None,
        )

    def _held_by(self, job: Job, holder: str) -> bool:
        current = self.jobs.get(job.id)
        return current is not None and current.lease_holder == holder

    def progress(self, job: Job, holder: str, done: int, now: datetime) -> bool:
        self.calls.append("progress")
        current = self.jobs.get(job.id)
        if current is None or current.status is not JobStatus.RUNNING:
            return False
        if not self._held_by(job, holder):
            return False
        self.jobs[job.id] = current._replace(done=done, updated_at=now)
        return True

    def finish(self, job: Job, holder: str, outcome: JobOutcome, now: datetime) -> bool:
        self.calls.append("finish")
        if not self._held_by(job, holder):
            return False
        moved = self._move(
            job.id,
            job.owner,
            outcome.status,
            now,
            finished_at=now,
            done=outcome.done,
            results=outcome.results,
            result_key=outcome.result_key,
            error=outcome.error,
            failed=outcome.failed,
        )
        return moved is not None

    def release(self, job: Job, holder: str, error: JobError, now: datetime) -> bool:
        self.calls.append("release")
        if not self._held_by(job, holder):
            return False
        return self._move(job.id, job.owner, JobStatus.QUEUED, now, error=error) is not None

    def record_webhook(self, job_id: str, state: WebhookState) -> bool:
        self.calls.append("record_webhook")
        job = self.jobs.get(job_id)
        if job is None:
            return False
        if job.webhook is not None and job.webhook.status is not WebhookStatus.PENDING:
            return False
        self.jobs[job_id] = job._replace(webhook=state)
        return True

    def stale(self, before: datetime, limit: int) -> list[OpenJob]:
        self.calls.append("stale")
        open_jobs = [
            OpenJob(
                id=j.id,
                owner=j.owner,
                status=j.status,
                updated_at=j.updated_at,
                attempts=j.attempts,
                enqueues=j.enqueues,
                lease_until=j.lease_until,
            )
            for j in self.jobs.values()
            if not j.status.terminal and j.updated_at < before
        ]
        return sorted(open_jobs, key=lambda j: j.updated_at)[:limit]

    def _unchanged(self, job: OpenJob) -> bool:
        current = self.jobs.get(job.id)
        return (
            current is not None
            and current.status is job.status
            and current.updated_at == job.updated_at
        )

    def requeue(self, job: OpenJob, now: datetime) -> bool:
        self.calls.append("requeue")
        if not self._unchanged(job):
            return False
        moved = self._move(job.id, job.owner, JobStatus.QUEUED, now, enqueues=job.enqueues + 1)
        return moved is not None

    def abandon(self, job: OpenJob, error: JobError, now: datetime) -> bool:
        self.calls.append("abandon")
        if not self._unchanged(job):
            return False
        moved = self._move(job.id, job.owner, JobStatus.FAILED, now, finished_at=now, error=error)
        return moved is not None


@dataclass
class FakeResults:
    objects: dict[str, bytes] = field(default_factory=dict)

    def put(self, key: str, body: bytes) -> None:
        self.objects[key] = body

    def url(self, key: str, expires_s: int) -> str:
        return f"https://results.example/{key}?expires={expires_s}"


@dataclass
class FakeQueue:
    sent: list[JobMessage] = field(default_factory=list)
    delays: list[tuple[str, int]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    def send(self, messages: Sequence[JobMessage]) -> set[str]:
        failed = {m.job_id for m in messages if self.failing & {m.job_id, "*"}}
        self.sent += [m for m in messages if m.job_id not in failed]
        return failed

    def delay(self, receipt: str, seconds: int) -> None:
        self.delays.append((receipt, seconds))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def submit(service: JobService, caller: Caller = ALICE, **given: Any) -> Submission:
    """A submitJob with defaults for whatever the test does not give (one inline image)."""
    arguments: dict[str, Any] = {
        "model": None,
        "version": None,
        "images": [b"img"],
        "s3_keys": [],
        "top_k": 3,
        "idempotency_key": None,
        "correlation_id": "corr",
    }
    arguments.update(given)
    return service.submit(caller=caller, **arguments)


def job_service(
    store: FakeJobStore | None = None,
    *,
    uploads: FakeUploads | None = None,
    results: FakeResults | None = None,
    limits: JobLimits | None = None,
    clock: Clock | None = None,
    callbacks: Callable[[str], str] | None = None,
    queue: FakeQueue | None = None,
) -> JobService:
    job_store: JobStore = store or FakeJobStore()
    result_store: ResultStore = results or FakeResults()
    upload_port = uploads or FakeUploads()
    registry = FakeRegistry()
    return JobService(
        store=job_store,
        registry=lambda: registry,
        uploads=lambda: upload_port,
        results=lambda: result_store,
        cursor_key=lambda: CURSOR_KEY,
        default_model="m",
        limits=limits,
        callbacks=callbacks,
        queue=None if queue is None else lambda: queue,
        clock=clock or Clock(),
    )


def finished_jobs(
    count: int, images: int, *, labels: int = 2, label: str = "cat", owner: str = "alice"
) -> FakeJobStore:
    """A store of the owner's `count` SUCCEEDED jobs of `images` results, `labels` each."""
    store = FakeJobStore()
    start = datetime(2026, 12, 1, tzinfo=UTC)
    for n in range(count):
        created = start + timedelta(seconds=n)
        job_id = f"00000000-0000-4000-8000-{n:012d}"
        store.jobs[job_id] = Job(
            id=job_id,
            owner=owner,
            model="m",
            version="2",
            status=JobStatus.SUCCEEDED,
            created_at=created,
            updated_at=created,
            expires_at=created + timedelta(days=30),
            total=images,
            top_k=labels,
            correlation_id="c",
            request_hash="h",
            inputs=JobInputs(images=(b"x",) * images),
            done=images,
            results=tuple(
                ItemResult(i, tuple(RankedLabel(label, 0.5) for _ in range(labels)))
                for i in range(images)
            ),
        )
    return store
