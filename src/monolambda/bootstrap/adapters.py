"""The concrete adapters, each made on first use: the one place that names them.

Each import sits inside its builder, so a route imports only the SDKs and libraries its own
adapters need: reading a job pays for PynamoDB and the table's client, not for boto3.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from monolambda.bootstrap.config import job_settings, live_settings, model_settings, settings
from monolambda.bootstrap.lifetime import long_lived, part
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
    from monolambda.domain.webhooks import CallbackPolicy

# How long a secret read from SSM is trusted: a rotation reaches every container within this
# long, with no redeploy.
SECRET_MAX_AGE_S = 300


@part
def registry() -> S3ModelRegistry:
    from monolambda.adapters import aws  # noqa: PLC0415
    from monolambda.adapters.model_cache import ModelFileCache  # noqa: PLC0415
    from monolambda.adapters.s3_models import S3ModelRegistry  # noqa: PLC0415

    models = model_settings()
    found = S3ModelRegistry(
        s3=lambda: aws.client("s3"),
        ssm=lambda: aws.client("ssm"),
        bucket=models.bucket,
        prefix=models.prefix,
        parameter_prefix=models.parameter_prefix,
        pointer_max_age_s=models.pointer_max_age_s,
        files=ModelFileCache(Path(models.cache_dir), models.cache_mb * 1024 * 1024),
    )
    return traced(found, "ModelRegistry", "aws")


@part
def uploads() -> S3Uploads:
    from monolambda.adapters import aws  # noqa: PLC0415
    from monolambda.adapters.s3_uploads import S3Uploads  # noqa: PLC0415

    made = S3Uploads(s3=lambda: aws.client("s3"), bucket=model_settings().bucket)
    return traced(made, "Uploads", "aws")


@part
def results() -> S3Results:
    from monolambda.adapters import aws  # noqa: PLC0415
    from monolambda.adapters.s3_results import S3Results  # noqa: PLC0415

    made = S3Results(s3=lambda: aws.client("s3"), bucket=model_settings().bucket)
    return traced(made, "Results", "aws")


@part
def job_store() -> DynamoJobStore:
    # PynamoDB and botocore, not boto3: reading a job pays for the table's client alone.
    from monolambda.adapters.dynamo_jobs import DynamoJobStore  # noqa: PLC0415

    return traced(DynamoJobStore(job_settings().table), "JobStore", "aws")


@part
def job_queue() -> SqsJobQueue:
    from monolambda.adapters import aws  # noqa: PLC0415
    from monolambda.adapters.sqs_jobs import SqsJobQueue  # noqa: PLC0415

    queue = SqsJobQueue(sqs=lambda: aws.client("sqs"), queue_url=job_settings().queue_url)
    return traced(queue, "JobQueue", "aws")


@part
def persisted_queries() -> DynamoPersistedQueries:
    from monolambda.adapters.dynamo_persisted_queries import (  # noqa: PLC0415
        DynamoPersistedQueries,
    )

    table = settings().persisted_queries_table
    if table is None:  # trusted_documents builds no store without it
        raise RuntimeError("this needs PERSISTED_QUERIES_TABLE")
    return DynamoPersistedQueries(table)


@part
def connection_store() -> DynamoConnectionStore:
    from monolambda.adapters.dynamo_connections import DynamoConnectionStore  # noqa: PLC0415

    return DynamoConnectionStore(live_settings().connections_table)


@part
def token_verifier() -> JwksTokenVerifier:
    with long_lived():
        from monolambda.adapters.jwt_tokens import JwksTokenVerifier  # noqa: PLC0415

        config = live_settings()
        if config.issuer is None or config.jwks_url is None:
            raise RuntimeError("tokens need JWT_ISSUER")
        return JwksTokenVerifier(
            issuer=config.issuer, audiences=config.audiences, jwks_url=config.jwks_url
        )


@part
def parameters() -> SSMProvider:
    from aws_lambda_powertools.utilities.parameters import SSMProvider  # noqa: PLC0415

    from monolambda.adapters import aws  # noqa: PLC0415

    return SSMProvider(boto3_client=aws.client("ssm"))


def secret(name: str) -> bytes:
    """An SSM SecureString, read on first use and again once SECRET_MAX_AGE_S has passed."""
    return str(parameters().get(name, decrypt=True, max_age=SECRET_MAX_AGE_S)).encode()


def cursor_key() -> bytes:
    """The key that signs list cursors."""
    name = job_settings().cursor_key_parameter
    if name is None:
        from monolambda.services import NotConfiguredError  # noqa: PLC0415

        raise NotConfiguredError("listing jobs is not configured (no CURSOR_KEY_PARAMETER)")
    return secret(name)


def webhook_key() -> bytes:
    """The key that signs webhooks."""
    name = job_settings().webhook_key_parameter
    if name is None:
        raise RuntimeError("webhooks need WEBHOOK_KEY_PARAMETER")
    return secret(name)


def callback_policy() -> CallbackPolicy:
    from monolambda.domain.webhooks import CallbackPolicy  # noqa: PLC0415

    return CallbackPolicy(allow_loopback=job_settings().webhook_allow_loopback)


_PYNAMODB_MODELS = {
    "monolambda.adapters.dynamo_job_items": "JobRecord",
    "monolambda.adapters.dynamo_connections": "ConnectionRecord",
    "monolambda.adapters.dynamo_persisted_queries": "PersistedQueryRecord",
}


def prepare_sdk() -> None:
    """Before a SnapStart snapshot: what making each configured client reads, read into the
    SDK's session (adapters.aws.prepare); no client is made, no connection opened."""
    from monolambda.adapters import aws  # noqa: PLC0415

    config = settings()
    services: list[str] = []
    if config.jobs is not None:
        services += ["dynamodb", "sqs"]
    if config.persisted_queries_table is not None or config.live is not None:
        services.append("dynamodb")
    if config.models is not None:
        services += ["s3", "ssm"]
    if config.live is not None:
        services.append("apigatewaymanagementapi")
    aws.prepare(*dict.fromkeys(services))  # each once, in order


def forget_connections() -> None:
    """After a SnapStart restore (monolambda.snapstart): the routes stay built, their
    connections are made again on first use (SDK clients, PynamoDB's per model)."""
    from monolambda.adapters import aws  # noqa: PLC0415

    aws.forget_clients()
    # Only the models a route has imported (a restore must not import the others).
    for module, model in _PYNAMODB_MODELS.items():
        if module in sys.modules:
            getattr(sys.modules[module], model)._connection = None  # PynamoDB's, per model
