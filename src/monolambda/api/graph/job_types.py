"""GraphQL types of the job API (a Relay connection for lists), and the per-request loader
that reads every job one document asks for in one BatchGetItem."""

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

import strawberry
from strawberry.dataloader import DataLoader

from monolambda.api.graph.context import Context
from monolambda.api.graph.prediction_types import LabelScore
from monolambda.domain.errors import BadUserInputError
from monolambda.domain.identity import require_caller

if TYPE_CHECKING:  # only the converters' signatures
    from monolambda.domain.jobs import ItemResult
    from monolambda.domain.jobs import Job as DomainJob
    from monolambda.domain.jobs import JobError as DomainJobError
    from monolambda.services.jobs import JobPage, Submission


@strawberry.enum(description="QUEUED -> RUNNING -> SUCCEEDED, FAILED or CANCELLED.")
class JobStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@strawberry.type(description="Why a job, or one of its images, failed (safe to show).")
class JobError:
    code: str
    message: str

    @classmethod
    def of(cls, error: "DomainJobError | None") -> "JobError | None":
        return None if error is None else cls(code=error.code, message=error.message)


@strawberry.type(description="One image's outcome: its labels, best first, or its error.")
class ImageResult:
    index: int = strawberry.field(description="The image's place in the job's input, from 0")
    labels: list[LabelScore]
    error: JobError | None

    @classmethod
    def of(cls, item: "ItemResult") -> "ImageResult":
        return cls(
            index=item.index,
            labels=[LabelScore(label=r.label, score=r.score) for r in item.labels],
            error=JobError.of(item.error),
        )


@strawberry.enum(description="PENDING: tried, failed, tried again later.")
class WebhookStatus(Enum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@strawberry.type(description="How sending the job's final state to its callbackUrl went.")
class Webhook:
    status: WebhookStatus
    attempts: int
    at: datetime = strawberry.field(description="When it was last tried")
    last_error: str | None = strawberry.field(
        description="Why the last try failed (an HTTP status, a timeout, a refused address)"
    )


@strawberry.type
class JobProgress:
    done: int
    total: int
    domain: strawberry.Private["DomainJob"]

    @strawberry.field(
        description="Images whose result is an error (each one's is in results); 0 until the "
        "job has finished. A job may be SUCCEEDED with some of its images failed."
    )
    async def failed(self, info: strawberry.Info[Context, None]) -> int:
        job = self.domain
        if not job.complete:  # a list page's summary: the whole job, batched with the others
            job = await job_loader(info.context).load(job.id)
        return job.failed


@strawberry.type(description="An asynchronous batch prediction.")
class Job:
    id: strawberry.ID
    model: str
    version: str
    status: JobStatus
    progress: JobProgress
    attempts: int = strawberry.field(description="Runs started (retries included)")
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime = strawberry.field(description="When the job and its results go")
    idempotency_key: str | None
    correlation_id: str = strawberry.field(description="Carried by every log line about it")
    error: JobError | None
    domain: strawberry.Private["DomainJob"]

    @strawberry.field(
        description="Per image, when the job SUCCEEDED and its results are small enough to "
        "keep inline; else see resultUrl. `offset` and `first` take a part of them (a "
        "request's answer is bounded: docs/security.md, What a document and its answer may cost)."
    )
    async def results(
        self, info: strawberry.Info[Context, None], offset: int = 0, first: int | None = None
    ) -> list[ImageResult] | None:
        longest = info.context.services.jobs.limits.max_images
        if offset < 0:
            raise BadUserInputError("offset must be 0 or more")
        if first is not None and not 1 <= first <= longest:
            raise BadUserInputError(f"first must be from 1 to {longest}")
        job = await self._whole(info)
        if job.results is None:
            return None
        end = None if first is None else offset + first
        return [ImageResult.of(r) for r in job.results[offset:end]]

    @strawberry.field(description="Where the job's final state is POSTed, signed")
    async def callback_url(self, info: strawberry.Info[Context, None]) -> str | None:
        return (await self._whole(info)).callback_url

    @strawberry.field(description="The webhook's delivery; null before its first try")
    async def webhook(self, info: strawberry.Info[Context, None]) -> Webhook | None:
        state = (await self._whole(info)).webhook
        if state is None:
            return None
        return Webhook(
            status=WebhookStatus(state.status.value),
            attempts=state.attempts,
            at=state.at,
            last_error=state.last_error,
        )

    async def _whole(self, info: strawberry.Info[Context, None]) -> "DomainJob":
        if self.domain.complete:
            return self.domain
        # A list page's summary: the whole job, batched with the others.
        return await job_loader(info.context).load(self.domain.id)

    @strawberry.field(
        description="A presigned GET (15 minutes) of the results as JSON, when too large to "
        "keep inline."
    )
    def result_url(self, info: strawberry.Info[Context, None]) -> str | None:
        return info.context.services.jobs.result_url(self.domain)

    @classmethod
    def of(cls, job: "DomainJob") -> "Job":
        return cls(
            id=strawberry.ID(job.id),
            model=job.model,
            version=job.version,
            status=JobStatus(job.status.value),
            progress=JobProgress(done=job.done, total=job.total, domain=job),
            attempts=job.attempts,
            created_at=job.created_at,
            updated_at=job.updated_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            expires_at=job.expires_at,
            idempotency_key=job.idempotency_key,
            correlation_id=job.correlation_id,
            error=JobError.of(job.error),
            domain=job,
        )


@strawberry.type
class JobEdge:
    cursor: str
    node: Job


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="A page of your jobs, newest first.")
class JobConnection:
    edges: list[JobEdge]
    page_info: PageInfo

    @classmethod
    def of(cls, page: "JobPage") -> "JobConnection":
        edges = [
            JobEdge(cursor=c, node=Job.of(j)) for j, c in zip(page.jobs, page.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.input
class SubmitJobInput:
    model: str | None = strawberry.field(
        default=None, description="A model in the registry; by default the deployment's"
    )
    version: str | None = strawberry.field(
        default=None, description="Pinned at submit; by default the current version"
    )
    images: list[str] | None = strawberry.field(
        default=None, description="Small images, base64 (256 KiB in all)"
    )
    s3_keys: list[str] | None = strawberry.field(
        default=None, description="Keys of your uploads (createUpload)"
    )
    top_k: int = 3
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="The same key again returns the first job and queues nothing",
    )
    dry_run: bool = strawberry.field(
        default=False, description="Run every check and answer what would be queued; no job"
    )
    callback_url: str | None = strawberry.field(
        default=None,
        description="An https URL at a public address: the job's final state is POSTed "
        "there, signed (docs/jobs.md, Webhooks)",
    )


@strawberry.type
class SubmitJobPayload:
    job: Job
    created: bool = strawberry.field(
        description="False when an earlier submit with this idempotencyKey made the job"
    )
    dry_run: bool

    @classmethod
    def of(cls, submission: "Submission") -> "SubmitJobPayload":
        return cls(
            job=Job.of(submission.job), created=submission.created, dry_run=submission.dry_run
        )


def job_loader(context: Context) -> DataLoader[str, "DomainJob"]:
    """One per request: every job the document asks for, read together."""
    loader = context.loaders.get("job")
    if loader is None:
        jobs = context.services.jobs
        caller = require_caller(context.caller)

        async def load(ids: list[str]) -> list["DomainJob | BaseException"]:
            return list(jobs.get_many(caller, ids))

        loader = DataLoader(load_fn=load)
        context.loaders["job"] = loader
    return loader
