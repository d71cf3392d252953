"""The schema: its root fields, which only translate between GraphQL and the use cases, and
how it is assembled from settings."""

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from monolambda import metrics
from monolambda.api.errors import log_unexpected, request_id_of, shape
from monolambda.api.graph.context import Context
from monolambda.api.graph.job_types import (
    Job,
    JobConnection,
    JobStatus,
    SubmitJobInput,
    SubmitJobPayload,
    job_loader,
)
from monolambda.api.graph.live_fields import listener_of
from monolambda.api.graph.prediction_types import (
    Base64Images,
    Model,
    PredictBatchInput,
    PredictInput,
    PredictionResult,
    Upload,
    UploadPurpose,
    decode_image,
)
from monolambda.api.graph.types import (
    CallerType,
    ClientErrorInput,
    ClientErrorReceipt,
    Health,
    Version,
)
from monolambda.api.guard.costly_fields import COSTLY
from monolambda.api.guard.limits import OperationGuard
from monolambda.api.guard.response_size import Declared, ListSize, Reads, ResponseSizes
from monolambda.domain.errors import BadUserInputError
from monolambda.domain.identity import require_caller
from monolambda.domain.sizes import MAX_PAGE, MAX_TOP_K
from monolambda.settings import DEFAULT_JOB_IMAGES, Settings

Info = strawberry.Info[Context, None]


@strawberry.type
class Query:
    @strawberry.field(
        description="The function's state. `deep` also probes remote dependencies "
        "(read-only calls); the shallow form makes no network call."
    )
    def health(self, info: Info, deep: bool = False) -> Health:
        return Health.of(info.context.services.health.report(deep=deep))

    @strawberry.field(description="The deployed code: package version, git revision, build time.")
    def version(self, info: Info) -> Version:
        return Version.of(info.context.services.health.version())

    @strawberry.field(description="The signed-in caller. UNAUTHENTICATED without a token.")
    def me(self, info: Info) -> CallerType | None:
        return CallerType.of(require_caller(info.context.caller))

    @strawberry.field(description="The image classifiers in the registry.")
    def models(self, info: Info) -> list[Model]:
        require_caller(info.context.caller)
        return [Model.of(m) for m in info.context.services.predictions.models()]

    @strawberry.field(
        description="Classify one image (base64, or your upload's s3Key).",
        metadata={COSTLY: True},
    )
    def predict(self, info: Info, input: PredictInput) -> PredictionResult:
        context = info.context
        prediction = context.services.predictions.predict_one(
            caller=require_caller(context.caller),
            budget=context.budget,
            model=input.model,
            version=input.version,
            image=None if input.image is None else decode_image(input.image),
            s3_key=input.s3_key,
            top_k=input.top_k,
        )
        return PredictionResult.of(prediction)

    @strawberry.field(
        description="Classify several images in one batched inference.",
        metadata={COSTLY: True},
    )
    def predict_batch(self, info: Info, input: PredictBatchInput) -> list[PredictionResult]:
        context = info.context
        predictions = context.services.predictions.predict(
            caller=require_caller(context.caller),
            budget=context.budget,
            model=input.model,
            version=input.version,
            images=Base64Images(input.images),
            top_k=input.top_k,
        )
        return [PredictionResult.of(p) for p in predictions]

    @strawberry.field(description="One of your jobs. NOT_FOUND for any other id.")
    async def job(self, info: Info, id: strawberry.ID) -> Job:
        require_caller(info.context.caller)
        return Job.of(await job_loader(info.context).load(str(id)))

    @strawberry.field(description="Your jobs, newest first, optionally in one state.")
    def jobs(
        self,
        info: Info,
        status: JobStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> JobConnection:
        # Here, not at the top: the job modules are no part of a { health } cold start.
        from monolambda.domain.jobs import JobStatus as DomainJobStatus  # noqa: PLC0415

        context = info.context
        page = context.services.jobs.page(
            require_caller(context.caller),
            status=None if status is None else DomainJobStatus(status.value),
            first=first,
            after=after,
        )
        return JobConnection.of(page)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Record an error a client saw in the function's logs.")
    def report_client_error(self, info: Info, input: ClientErrorInput) -> ClientErrorReceipt:
        context = info.context
        context.services.client_errors.report(
            caller=require_caller(context.caller),
            message=input.message,
            location=input.location,
            request_id=context.request_id,
        )
        return ClientErrorReceipt(request_id=context.request_id)

    @strawberry.mutation(
        description="A presigned S3 POST for one image under your own prefix. For images too "
        "big for a request (then predict(input: {s3Key}) or submitJob(input: {s3Keys})), or, "
        "with purpose JOB, a file that starts a job of its own once stored: follow it with "
        "job(id: jobId)."
    )
    def create_upload(
        self,
        info: Info,
        content_type: str,
        size: int,
        purpose: UploadPurpose = UploadPurpose.PREDICTION,
        model: str | None = None,
    ) -> Upload:
        context = info.context
        caller = require_caller(context.caller)
        if purpose is UploadPurpose.JOB:
            grant = context.services.jobs.create_upload(
                caller=caller, content_type=content_type, size=size, model=model or None
            )
        else:
            if model:
                raise BadUserInputError("model is for purpose JOB only")
            grant = context.services.predictions.create_upload(
                caller=caller, content_type=content_type, size=size
            )
        return Upload.of(grant)

    @strawberry.mutation(
        description="Queue a batch prediction over your uploads (s3Keys) or small inline "
        "images; answered at once. With dryRun, only checked."
    )
    def submit_job(self, info: Info, input: SubmitJobInput) -> SubmitJobPayload:
        context = info.context
        submission = context.services.jobs.submit(
            caller=require_caller(context.caller),
            model=input.model,
            version=input.version,
            images=[decode_image(i) for i in input.images or ()],
            s3_keys=list(input.s3_keys or ()),
            top_k=input.top_k,
            idempotency_key=input.idempotency_key,
            correlation_id=context.request_id,
            dry_run=input.dry_run,
            callback_url=input.callback_url,
        )
        return SubmitJobPayload.of(submission)

    @strawberry.mutation(
        description="Cancel a QUEUED or RUNNING job (a running one stops at its next "
        "progress check); a finished job is answered as it is."
    )
    def cancel_job(self, info: Info, id: strawberry.ID) -> Job:
        context = info.context
        return Job.of(context.services.jobs.cancel(require_caller(context.caller), str(id)))


@strawberry.type
class Subscription:
    """Served over the WebSocket API (graphql-transport-ws); each later message is the
    subscription's document executed again against the job's new state."""

    @strawberry.subscription(
        description="One of your jobs: first as it is now, then once per change of its status "
        "or progress; completes after its terminal state. NOT_FOUND for any other id."
    )
    async def job_updated(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Job, None]:
        context = info.context
        caller = require_caller(context.caller)
        listener = listener_of(context)
        # Opened before the job is read: a change between the two is published to it too.
        listener.open_job(str(id))
        job = context.services.jobs.get(caller, str(id))
        listener.first_state(job)
        yield Job.of(job)

    @strawberry.subscription(
        description="Every change to any of your jobs (a new job, a status, progress), "
        "optionally only changes into one status. Nothing is sent until a change."
    )
    async def jobs_updated(
        self, info: Info, status: JobStatus | None = None
    ) -> AsyncGenerator[Job, None]:
        require_caller(info.context.caller)
        listener_of(info.context).open_jobs(None if status is None else status.value)
        now: tuple[Job, ...] = ()  # nothing to show at subscribe: changes come later
        for job in now:
            yield job


class MonolambdaSchema(strawberry.Schema):
    """Strawberry's schema with our operation guard (limits, caches) and error policy."""

    def __init__(
        self, *, settings: Settings, trusted: frozenset[str] = frozenset(), **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._detailed_errors = settings.validation_messages
        self._guard = OperationGuard(
            self._schema,
            settings.limits,
            sizes=ResponseSizes(self._schema, declared_sizes(settings)),
            introspection=settings.introspection,
            validation_messages=settings.validation_messages,
            trusted=trusted,
        )

    def _warn_for_federation_directives(self) -> None:
        # Strawberry checks every schema for Apollo Federation's directives, importing 18
        # directive classes to do it: 10 ms, a fifth of building the schema. This schema is
        # not federated and uses no directive (tests/unit/test_schema.py checks).
        return

    @property
    def guard(self) -> OperationGuard:
        return self._guard

    def _create_execution_context(self, *args: Any, **kwargs: Any) -> ExecutionContext:
        # Strawberry's one seam between "a request arrived" and "parse it" (pinned version;
        # the unit tests cover it): the guard bounds the operation, picks it, and fills in the
        # cached document and validation result.
        context = super()._create_execution_context(*args, **kwargs)
        self._guard.prepare(context, kwargs.get("operation_name"))
        return context

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        return self.shaped(await super().execute(*args, **kwargs), kwargs.get("context_value"))

    def execute_sync(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        return self.shaped(super().execute_sync(*args, **kwargs), kwargs.get("context_value"))

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error, the client's mistakes included; log only ours.
        context = execution_context.context if execution_context else None
        log_unexpected(errors, request_id_of(context))

    def shaped(self, result: ExecutionResult, context: object) -> ExecutionResult:
        """Errors as they leave the API: coded, masked where unexpected (api.errors)."""
        if result.errors:
            request_id = request_id_of(context)
            shaped = [shape(e, request_id, detailed=self._detailed_errors) for e in result.errors]
            metrics.note_outcome(str((shaped[0].extensions or {}).get("code", "INTERNAL")))
            if not self._detailed_errors:
                # How many times one masked message repeats would say how many fields of an
                # input were wrong: once is enough.
                shaped = list({(e.message, tuple(e.path or ())): e for e in shaped}.values())
            result.errors = shaped
        return result


def declared_sizes(settings: Settings) -> Declared:
    """What the answer's estimate cannot read from the types (api.guard.response_size): how long
    each list can be (a test checks that none is missing; where the data has no bound of its
    own, a generous one), the strings whose usual length differs from the default, and the
    fields that read the job store. Whatever is answered is serialised within the byte limit
    in any case."""
    results = settings.jobs.max_images if settings.jobs else DEFAULT_JOB_IMAGES
    return Declared(
        lists={
            "Query.models": ListSize(50),
            "Query.predictBatch": ListSize(settings.work.max_images),
            "Health.checks": ListSize(16),
            "Caller.groups": ListSize(100),
            "Model.versions": ListSize(100),
            "Model.labels": ListSize(1_000),
            "PredictionResult.labels": ListSize(MAX_TOP_K),
            "Job.results": ListSize(results, "first"),
            "ImageResult.labels": ListSize(MAX_TOP_K),
            "JobConnection.edges": ListSize(MAX_PAGE, parent_argument="first"),
            "Upload.fields": ListSize(16),
        },
        strings={
            # A model's labels: a word or two ("7", "golden retriever").
            "LabelScore.label": 24,
            "Model.labels": 24,
            "Model.versions": 8,
            "Job.id": 36,  # a UUID
            "Job.version": 8,
            "Job.model": 32,
            "JobEdge.cursor": 160,
            "PageInfo.startCursor": 160,
            "PageInfo.endCursor": 160,
            "Job.resultUrl": 1_500,  # a presigned URL
            "Job.callbackUrl": 256,
            "Upload.url": 256,
            "FormField.value": 1_500,  # the policy document, base64
            "JobError.message": 256,
            "DependencyCheck.detail": 128,
        },
        reads={
            "Query.job": Reads(per_field=1),
            "Subscription.jobUpdated": Reads(per_field=1),
            # A page: one query, and one summary per job.
            "Query.jobs": Reads(per_field=1),
            "JobConnection.edges": Reads(per_item=1),
            # A page's summary has none of these: each reads its whole job (a request's reads
            # of one job are batched and shared, but each field is counted).
            "Job.results": Reads(per_field=1),
            "Job.callbackUrl": Reads(per_field=1),
            "Job.webhook": Reads(per_field=1),
            "JobProgress.failed": Reads(per_field=1),
        },
    )


def build_schema(settings: Settings, trusted: frozenset[str] = frozenset()) -> MonolambdaSchema:
    """The schema; `trusted`: the texts of the clients' documents (api.guard.trusted_documents)."""
    limits = settings.limits
    config = StrawberryConfig(
        disable_field_suggestions=not settings.field_suggestions,
        batching_config={"max_operations": limits.max_batch} if limits.max_batch else None,
    )
    return MonolambdaSchema(
        settings=settings,
        trusted=trusted,
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=config,
    )
