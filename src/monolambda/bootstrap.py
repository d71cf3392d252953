"""The composition root: the one place that names concrete adapters and wires them together.

Each route has its own part of the container, built the first time that route is invoked
and kept for the container's life, so a cold start pays only for its own route: an SQS, S3,
DynamoDB-stream or schedule event never imports Strawberry, Starlette or Mangum, and a
`{ health }` request never imports boto3, numpy, Pillow or onnxruntime. Long-lived objects
are built with the garbage collector paused, then frozen so later collections skip them
(7-18 % of init saved, and no gen-2 pauses over the frozen heap).
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from monolambda import __version__
from monolambda.domain.about import BuildInfo
from monolambda.settings import JobSettings, LiveSettings, ModelSettings, Settings, load
from monolambda.tracing import traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    from monolambda.adapters.dynamo_connections import DynamoConnectionStore
    from monolambda.adapters.dynamo_jobs import DynamoJobStore
    from monolambda.adapters.dynamo_persisted_queries import DynamoPersistedQueries
    from monolambda.adapters.jwt_tokens import JwksTokenVerifier
    from monolambda.adapters.s3_models import S3ModelRegistry
    from monolambda.adapters.s3_results import S3Results
    from monolambda.adapters.s3_uploads import S3Uploads
    from monolambda.adapters.sqs_jobs import SqsJobQueue
    from monolambda.api.graph.schema import MonolambdaSchema
    from monolambda.api.guard.trusted_documents import TrustedDocuments
    from monolambda.api.transport.lambda_http import HttpRoute
    from monolambda.api.transport.live_operations import LiveOperations
    from monolambda.api.transport.websocket import WebSocketRoute
    from monolambda.domain.webhooks import CallbackPolicy
    from monolambda.services import Services
    from monolambda.services.jobs import JobService
    from monolambda.services.live import LiveService
    from monolambda.services.predictions import PredictionService
    from monolambda.services.webhooks import WebhookService
    from monolambda.triggers.schedule import ScheduleTrigger
    from monolambda.triggers.stream import StreamTrigger
    from monolambda.triggers.uploads import UploadTrigger
    from monolambda.worker import SqsWorker

T = TypeVar("T")

# Written into the artifact by scripts/build.sh; absent in a source tree.
BUILD_INFO_FILE = Path(__file__).with_name("build_info.json")
SCRATCH_DIR = "/tmp"  # noqa: S108 - Lambda's only writable directory

# graphql-core leaves ~30 small reference cycles per request, so young collections run every
# ~60 requests at the default threshold (2,000) and each costs ~300 us: a p99 of 2.5x p50.
# At 5,000 they run every ~160 requests (under 1 %), costing ~850 us each; the mean is
# unchanged (measured with bench/startup.py; README, "Performance").
YOUNG_GC_THRESHOLD = 5_000


def read_build_info(path: Path = BUILD_INFO_FILE) -> BuildInfo:
    recorded: dict[str, object] = {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            recorded = loaded
    except (OSError, ValueError):
        pass
    revision = recorded.get("git_revision")
    built = recorded.get("build_time")
    return BuildInfo(
        version=__version__,
        git_revision=revision if isinstance(revision, str) else None,
        build_time=built if isinstance(built, str) else None,
        python="{}.{}.{}".format(*sys.version_info[:3]),
    )


# --- shared by every route -----------------------------------------------------------------
@cache
def settings() -> Settings:
    """Read once; a missing or malformed variable fails the first invocation of any route."""
    return load()


@cache
def services() -> Services:
    """The use cases; predictions (boto3, numpy, Pillow, onnxruntime) built on first use."""
    with _long_lived():
        from monolambda.adapters.runtime_health import (  # noqa: PLC0415
            MemoryCheck,
            ScratchStorageCheck,
        )
        from monolambda.domain.health import HealthCheck  # noqa: PLC0415
        from monolambda.services import Services  # noqa: PLC0415
        from monolambda.services.health import HealthService  # noqa: PLC0415

        config = settings()
        checks: list[HealthCheck] = [
            ScratchStorageCheck(SCRATCH_DIR),
            MemoryCheck(config.memory_mb),
        ]
        models = config.models
        if models is not None:
            from monolambda.adapters import aws  # noqa: PLC0415 - boto3 itself only on a deep check
            from monolambda.adapters.aws_health import ParameterCheck, S3BucketCheck  # noqa: PLC0415

            checks += [
                S3BucketCheck(lambda: aws.client("s3"), models.bucket),
                ParameterCheck(
                    lambda: aws.client("ssm"),
                    f"{models.parameter_prefix}/{models.default_model}/current",
                ),
            ]
        return Services(
            health=HealthService(build_info=read_build_info(), checks=checks),
            work_limits=config.work,
            predictions=_built_later(_build_predictions) if models is not None else None,
            jobs=_built_later(_build_jobs) if config.jobs is not None else None,
        )


# --- one part per route --------------------------------------------------------------------
@cache
def http() -> HttpRoute:
    """API Gateway: the schema, Strawberry's ASGI view and Mangum."""
    with _long_lived():  # the imports too: most of a cold start, all of it long-lived
        from monolambda.api.transport.app import build_app  # noqa: PLC0415
        from monolambda.api.transport.lambda_http import HttpRoute  # noqa: PLC0415

        config = settings()
        app = build_app(
            _schema(),
            services(),
            _trusted_documents(),
            graphiql=config.graphiql,
            anonymous_access=config.anonymous_access,
        )
        route = HttpRoute(app, max_body_bytes=config.max_body_bytes)
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, middle, old)
    if config.anonymous_access:
        from monolambda.logs import logger  # noqa: PLC0415

        logger().warning(
            "ANONYMOUS_ACCESS is on: no authorizer stands in front of this API, and every "
            "request without claims acts as the caller 'anonymous'"
        )
    return route


@cache
def websocket() -> WebSocketRoute:
    """The WebSocket API: graphql-transport-ws over API Gateway's connections. The schema
    is built only when a `subscribe` arrives; connection_init needs the token check alone."""
    with _long_lived():
        from monolambda.api.transport.websocket import WebSocketRoute  # noqa: PLC0415

        _live_settings()
        return WebSocketRoute(live=_live, operations=_live_operations)


@cache
def worker() -> SqsWorker:
    """SQS: job messages through the runner (PynamoDB, the prediction service)."""
    with _long_lived():
        from monolambda.services.job_runner import JobRunner, RunnerSettings  # noqa: PLC0415
        from monolambda.services.jobs import JobLimits  # noqa: PLC0415
        from monolambda.worker import SqsWorker  # noqa: PLC0415

        jobs = _job_settings()
        runner = JobRunner(
            store=_job_store(),
            predictions=lambda: services().predictions,
            results=_results,
            limits=JobLimits(max_images=jobs.max_images),
            settings=RunnerSettings(
                lease_s=jobs.function_timeout_s + 10,
                progress_interval_s=jobs.progress_interval_s,
                max_receives=jobs.max_receives,
            ),
        )
        return SqsWorker(
            runner=runner,
            queue=_job_queue,
            retry_delay_s=jobs.retry_delay_s,
            webhooks=_built_later(_build_webhooks),
        )


@cache
def upload_trigger() -> UploadTrigger:
    """S3: a job upload's notification writes its job (the registry, PynamoDB)."""
    with _long_lived():
        from monolambda.triggers.uploads import UploadTrigger  # noqa: PLC0415

        _job_settings()
        return UploadTrigger(jobs=lambda: services().jobs)


@cache
def stream_trigger() -> StreamTrigger:
    """DynamoDB stream: the jobs table's outbox (SQS), and the live updates' source (the
    schema, PynamoDB and the management API, on the first change with a subscriber)."""
    with _long_lived():
        from monolambda.triggers.stream import StreamTrigger  # noqa: PLC0415

        _job_settings()
        return StreamTrigger(
            queue=_job_queue, publish=_publish if settings().live is not None else None
        )


@cache
def schedule_trigger() -> ScheduleTrigger:
    """The schedule: the sweeper (PynamoDB only)."""
    with _long_lived():
        from monolambda.services.sweeper import Sweeper, SweepSettings  # noqa: PLC0415
        from monolambda.triggers.schedule import ScheduleTrigger  # noqa: PLC0415

        jobs = _job_settings()
        sweeper = Sweeper(
            store=_job_store(),
            settings=SweepSettings(
                stale_after_s=jobs.sweep_stale_after_s,
                max_jobs=jobs.sweep_max_jobs,
                max_requeues=jobs.sweep_max_requeues,
                max_receives=jobs.max_receives,
            ),
        )
        return ScheduleTrigger(sweeper=lambda: sweeper)


def reset() -> None:
    """Forget every part built so far (tests change the environment between containers)."""
    for part in (
        settings,
        services,
        http,
        websocket,
        _schema,
        _trusted_documents,
        _persisted_queries,
        _live,
        _live_operations,
        _connection_store,
        _token_verifier,
        worker,
        upload_trigger,
        stream_trigger,
        schedule_trigger,
        _registry,
        _uploads,
        _results,
        _job_store,
        _job_queue,
        _parameters,
    ):
        part.cache_clear()


_PYNAMODB_MODELS = {
    "monolambda.adapters.dynamo_jobs": "JobRecord",
    "monolambda.adapters.dynamo_connections": "ConnectionRecord",
    "monolambda.adapters.dynamo_persisted_queries": "PersistedQueryRecord",
}


def forget_connections() -> None:
    """After a SnapStart restore (monolambda.snapstart): the routes stay built, their
    connections are made again on first use (SDK clients, PynamoDB's per model)."""
    from monolambda.adapters import aws  # noqa: PLC0415

    aws.forget_clients()
    # Only the models a route has imported (a restore must not import the others).
    for module, model in _PYNAMODB_MODELS.items():
        if module in sys.modules:
            getattr(sys.modules[module], model)._connection = None  # PynamoDB's, per model


# --- the parts the routes share, each made on first use -------------------------------------
@cache
def _schema() -> MonolambdaSchema:
    """One schema per container, for HTTP, WebSocket and the live updates alike."""
    with _long_lived():
        from monolambda.api.graph.schema import build_schema  # noqa: PLC0415

        return build_schema(settings(), _trusted_documents().texts)


@cache
def _trusted_documents() -> TrustedDocuments:
    """The clients' operations by hash (api.guard.trusted_documents), for HTTP and WebSocket, and
    the documents they register by APQ (its store built on the first unknown hash)."""
    from monolambda.api.guard.trusted_documents import Registered, TrustedDocuments  # noqa: PLC0415

    table = settings().persisted_queries_table
    registered = None if table is None else Registered(_built_later(_persisted_queries))
    return TrustedDocuments.load(only=settings().trusted_documents_only, registered=registered)


@cache
def _persisted_queries() -> DynamoPersistedQueries:
    from monolambda.adapters.dynamo_persisted_queries import (  # noqa: PLC0415
        DynamoPersistedQueries,
    )

    table = settings().persisted_queries_table
    if table is None:  # _trusted_documents builds no store without it
        raise RuntimeError("this needs PERSISTED_QUERIES_TABLE")
    return DynamoPersistedQueries(table)


def _live_settings() -> LiveSettings:
    live = settings().live
    if live is None:
        raise RuntimeError("the WebSocket route needs CONNECTIONS_TABLE")
    return live


@cache
def _connection_store() -> DynamoConnectionStore:
    from monolambda.adapters.dynamo_connections import DynamoConnectionStore  # noqa: PLC0415

    return DynamoConnectionStore(_live_settings().connections_table)


@cache
def _live() -> LiveService:
    with _long_lived():
        from monolambda.adapters import aws  # noqa: PLC0415
        from monolambda.adapters.apigw_connections import ManagementApiPoster  # noqa: PLC0415
        from monolambda.services.live import LiveLimits, LiveService  # noqa: PLC0415

        config = _live_settings()
        management = config.management_url
        poster = ManagementApiPoster(lambda: aws.management_client(management))
        return LiveService(
            store=_connection_store(),
            poster=lambda: poster,
            # No issuer: no authorizer, and every connection is the anonymous caller.
            tokens=_token_verifier if config.issuer is not None else None,
            limits=LiveLimits(max_subscriptions=config.max_subscriptions),
        )


@cache
def _token_verifier() -> JwksTokenVerifier:
    with _long_lived():
        from monolambda.adapters.jwt_tokens import JwksTokenVerifier  # noqa: PLC0415

        config = _live_settings()
        if config.issuer is None or config.jwks_url is None:
            raise RuntimeError("tokens need JWT_ISSUER")
        return JwksTokenVerifier(
            issuer=config.issuer, audiences=config.audiences, jwks_url=config.jwks_url
        )


@cache
def _live_operations() -> LiveOperations:
    with _long_lived():
        from monolambda.api.transport.live_operations import LiveOperations  # noqa: PLC0415

        return LiveOperations(_schema(), services(), _live(), _trusted_documents())


def _publish(images: list[Mapping[str, Any]], context: object) -> None:
    """The stream's changed jobs to their subscribers (services.live.publish)."""
    from monolambda.adapters.dynamo_jobs import DynamoJobStore  # noqa: PLC0415

    jobs = [DynamoJobStore.from_image(image) for image in images]
    request_id = str(getattr(context, "aws_request_id", "") or "stream")
    # The schema is built only when a change has a subscriber to render it for.
    published = _live().publish(
        jobs, lambda job, found: _live_operations().render(job, found, request_id)
    )
    if published.subscribers:
        from monolambda.logs import logger  # noqa: PLC0415

        logger().info(
            "live updates published",
            extra={
                "jobs": len(jobs),
                "subscribers": published.subscribers,
                "sent": published.sent,
                "gone": published.gone,
                "failed": published.failed,
                "ended": published.ended,
            },
        )


def _built_later(build: Callable[[], T]) -> Callable[[], T]:
    """A part a route builds when first asked for, long-lived as the container is."""

    def built() -> T:
        with _long_lived():
            return build()

    return built


def _model_settings() -> ModelSettings:
    models = settings().models
    if models is None:
        raise RuntimeError("this needs model settings (MODELS_BUCKET)")
    return models


def _job_settings() -> JobSettings:
    jobs = settings().jobs
    if jobs is None:
        raise RuntimeError("this route needs job settings (JOBS_TABLE, JOBS_QUEUE_URL)")
    return jobs


@cache
def _registry() -> S3ModelRegistry:
    from monolambda.adapters import aws  # noqa: PLC0415
    from monolambda.adapters.model_cache import ModelFileCache  # noqa: PLC0415
    from monolambda.adapters.s3_models import S3ModelRegistry  # noqa: PLC0415

    models = _model_settings()
    registry = S3ModelRegistry(
        s3=lambda: aws.client("s3"),
        ssm=lambda: aws.client("ssm"),
        bucket=models.bucket,
        prefix=models.prefix,
        parameter_prefix=models.parameter_prefix,
        pointer_max_age_s=models.pointer_max_age_s,
        files=ModelFileCache(Path(models.cache_dir), models.cache_mb * 1024 * 1024),
    )
    return traced(registry, "ModelRegistry", "aws")


@cache
def _uploads() -> S3Uploads:
    from monolambda.adapters import aws  # noqa: PLC0415
    from monolambda.adapters.s3_uploads import S3Uploads  # noqa: PLC0415

    uploads = S3Uploads(s3=lambda: aws.client("s3"), bucket=_model_settings().bucket)
    return traced(uploads, "Uploads", "aws")


@cache
def _results() -> S3Results:
    from monolambda.adapters import aws  # noqa: PLC0415
    from monolambda.adapters.s3_results import S3Results  # noqa: PLC0415

    results = S3Results(s3=lambda: aws.client("s3"), bucket=_model_settings().bucket)
    return traced(results, "Results", "aws")


@cache
def _job_store() -> DynamoJobStore:
    # PynamoDB and botocore, not boto3: reading a job pays for the table's client alone.
    from monolambda.adapters.dynamo_jobs import DynamoJobStore  # noqa: PLC0415

    return traced(DynamoJobStore(_job_settings().table), "JobStore", "aws")


@cache
def _job_queue() -> SqsJobQueue:
    from monolambda.adapters import aws  # noqa: PLC0415
    from monolambda.adapters.sqs_jobs import SqsJobQueue  # noqa: PLC0415

    queue = SqsJobQueue(sqs=lambda: aws.client("sqs"), queue_url=_job_settings().queue_url)
    return traced(queue, "JobQueue", "aws")


@cache
def _parameters() -> SSMProvider:
    from aws_lambda_powertools.utilities.parameters import SSMProvider  # noqa: PLC0415

    from monolambda.adapters import aws  # noqa: PLC0415

    return SSMProvider(boto3_client=aws.client("ssm"))


# How long a secret read from SSM is trusted: a rotation reaches every container within this
# long, with no redeploy.
SECRET_MAX_AGE_S = 300


def _secret(name: str) -> bytes:
    """An SSM SecureString, read on first use and again once SECRET_MAX_AGE_S has passed."""
    return str(_parameters().get(name, decrypt=True, max_age=SECRET_MAX_AGE_S)).encode()


def _cursor_key() -> bytes:
    """The key that signs list cursors."""
    name = _job_settings().cursor_key_parameter
    if name is None:
        from monolambda.services import NotConfiguredError  # noqa: PLC0415

        raise NotConfiguredError("listing jobs is not configured (no CURSOR_KEY_PARAMETER)")
    return _secret(name)


def _build_predictions() -> PredictionService:
    from monolambda.adapters import aws  # noqa: PLC0415
    from monolambda.adapters.images import PillowImages  # noqa: PLC0415
    from monolambda.adapters.onnx_inference import OnnxInference  # noqa: PLC0415
    from monolambda.services.predictions import PredictionService  # noqa: PLC0415

    config = settings()
    aws.session()  # boto3's import, now rather than at the first client
    return PredictionService(
        registry=_registry(),
        images=traced(
            PillowImages(max_pixels=min(config.work.max_pixels, PillowImages.MAX_PIXELS)),
            "Images",
        ),
        inference=traced(OnnxInference(config.memory_mb), "Inference"),
        uploads=_uploads(),
        default_model=_model_settings().default_model,
    )


def _callback_policy() -> CallbackPolicy:
    from monolambda.domain.webhooks import CallbackPolicy  # noqa: PLC0415

    return CallbackPolicy(allow_loopback=_job_settings().webhook_allow_loopback)


def _webhook_key() -> bytes:
    """The key that signs webhooks."""
    name = _job_settings().webhook_key_parameter
    if name is None:
        raise RuntimeError("webhooks need WEBHOOK_KEY_PARAMETER")
    return _secret(name)


def _build_webhooks() -> WebhookService:
    from monolambda.adapters.webhook_http import CheckedHttpSender  # noqa: PLC0415
    from monolambda.services.webhooks import WebhookService  # noqa: PLC0415

    policy = _callback_policy()
    sender = traced(CheckedHttpSender(policy), "WebhookSender", "remote")
    return WebhookService(
        store=_job_store(),
        sender=lambda: sender,
        results=_results,
        key=_webhook_key,
        policy=policy,
        max_attempts=_job_settings().max_receives,
    )


def _build_jobs() -> JobService:
    from monolambda.services.jobs import JobLimits, JobService  # noqa: PLC0415

    jobs = _job_settings()
    callbacks: Callable[[str], str] | None = None
    if jobs.webhook_key_parameter is not None:  # webhooks are on
        from monolambda.adapters.webhook_http import SocketResolver  # noqa: PLC0415
        from monolambda.services.webhooks import check_callback  # noqa: PLC0415

        callbacks = partial(check_callback, _callback_policy(), SocketResolver())

    return JobService(
        store=_job_store(),
        registry=_registry,
        uploads=_uploads,
        results=_results,
        cursor_key=_cursor_key,
        default_model=_model_settings().default_model,
        limits=JobLimits(max_images=jobs.max_images),
        callbacks=callbacks,
        queue=_job_queue,
    )


_paused = 0


@contextmanager
def _long_lived() -> Iterator[None]:
    """Objects made inside (imported modules among them) live as long as the container: no
    collections while they are made, then frozen so that later collections skip them. Nested
    uses (a route building the shared services) collect once, at the outermost end."""
    global _paused  # noqa: PLW0603 - one flag per process, as the collector itself is
    if _paused == 0:
        gc.disable()
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0:
            gc.freeze()
            gc.enable()
