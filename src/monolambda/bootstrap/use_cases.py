"""The use cases every route shares: health, predictions, jobs and webhooks.

Predictions (boto3, numpy, Pillow, onnxruntime) and jobs are built on first use, so a
`{ health }` request never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from monolambda.bootstrap import adapters
from monolambda.bootstrap.config import job_settings, model_settings, read_build_info, settings
from monolambda.bootstrap.lifetime import built_later, long_lived, part
from monolambda.tracing import traced

if TYPE_CHECKING:
    from monolambda.services import Services
    from monolambda.services.health import HealthService
    from monolambda.services.jobs import JobService
    from monolambda.services.predictions import PredictionService
    from monolambda.services.webhooks import WebhookService

SCRATCH_DIR = "/tmp"  # noqa: S108 - Lambda's only writable directory


@part
def services() -> Services:
    """The use cases; health, predictions (boto3, numpy, Pillow, onnxruntime) and jobs built
    on first use."""
    with long_lived():
        from monolambda.services import Services  # noqa: PLC0415

        config = settings()
        return Services(
            health=built_later(_build_health),
            work_limits=config.work,
            predictions=built_later(_build_predictions) if config.models is not None else None,
            jobs=built_later(_build_jobs) if config.jobs is not None else None,
        )


def _build_health() -> HealthService:
    from monolambda.adapters.runtime_health import MemoryCheck, ScratchStorageCheck  # noqa: PLC0415
    from monolambda.domain.health import HealthCheck  # noqa: PLC0415
    from monolambda.services.health import HealthService  # noqa: PLC0415

    config = settings()
    checks: list[HealthCheck] = [ScratchStorageCheck(SCRATCH_DIR), MemoryCheck(config.memory_mb)]
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
    return HealthService(build_info=read_build_info(), checks=checks)


def _build_predictions() -> PredictionService:
    from monolambda.adapters import aws  # noqa: PLC0415
    from monolambda.adapters.images import PillowImages  # noqa: PLC0415
    from monolambda.adapters.onnx_inference import OnnxInference  # noqa: PLC0415
    from monolambda.services.predictions import PredictionService  # noqa: PLC0415

    config = settings()
    aws.session()  # boto3's import, now rather than at the first client
    return PredictionService(
        registry=adapters.registry(),
        images=traced(
            PillowImages(max_pixels=min(config.work.max_pixels, PillowImages.MAX_PIXELS)),
            "Images",
        ),
        inference=traced(OnnxInference(config.memory_mb), "Inference"),
        uploads=adapters.uploads(),
        default_model=model_settings().default_model,
    )


def _build_jobs() -> JobService:
    from monolambda.services.jobs import JobLimits, JobService  # noqa: PLC0415

    jobs = job_settings()
    callbacks: Callable[[str], str] | None = None
    if jobs.webhook_key_parameter is not None:  # webhooks are on
        from monolambda.adapters.webhook_http import SocketResolver  # noqa: PLC0415
        from monolambda.services.webhooks import check_callback  # noqa: PLC0415

        callbacks = partial(check_callback, adapters.callback_policy(), SocketResolver())

    return JobService(
        store=adapters.job_store(),
        registry=adapters.registry,
        uploads=adapters.uploads,
        results=adapters.results,
        cursor_key=adapters.cursor_key,
        default_model=model_settings().default_model,
        limits=JobLimits(max_images=jobs.max_images),
        callbacks=callbacks,
        queue=adapters.job_queue,
    )


def build_webhooks() -> WebhookService:
    from monolambda.adapters.webhook_http import CheckedHttpSender  # noqa: PLC0415
    from monolambda.services.webhooks import WebhookService  # noqa: PLC0415

    policy = adapters.callback_policy()
    sender = traced(CheckedHttpSender(policy), "WebhookSender", "remote")
    return WebhookService(
        store=adapters.job_store(),
        sender=lambda: sender,
        results=adapters.results,
        key=adapters.webhook_key,
        policy=policy,
        max_attempts=job_settings().max_receives,
    )
