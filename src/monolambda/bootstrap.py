"""The composition root: the one place that names concrete adapters and wires them together.

Everything is built on first use, once per container (a warm Lambda reuses it), with the
garbage collector paused while the long-lived object graph is created, then frozen so later
collections skip it (7-18 % of init saved, and no gen-2 pauses over the frozen heap).
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from monolambda import __version__
from monolambda.domain.about import BuildInfo
from monolambda.settings import Settings, load

if TYPE_CHECKING:
    from collections.abc import Callable

    from monolambda.api.lambda_http import HttpRoute
    from monolambda.predictions import PredictionService
    from monolambda.services import Services

# Written into the artifact by scripts/build.sh; absent in a source tree.
BUILD_INFO_FILE = Path(__file__).with_name("build_info.json")
SCRATCH_DIR = "/tmp"  # noqa: S108 - Lambda's only writable directory


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    services: Services
    http: HttpRoute


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


def build(settings: Settings) -> Container:
    # Imported here so that routes which never serve HTTP don't pay for Strawberry.
    from monolambda.adapters.runtime_health import MemoryCheck, ScratchStorageCheck  # noqa: PLC0415
    from monolambda.api.app import build_app  # noqa: PLC0415
    from monolambda.api.direct import DirectExecution  # noqa: PLC0415
    from monolambda.api.lambda_http import HttpRoute  # noqa: PLC0415
    from monolambda.api.schema import build_schema  # noqa: PLC0415
    from monolambda.domain.health import HealthCheck  # noqa: PLC0415
    from monolambda.services import Services  # noqa: PLC0415

    checks: list[HealthCheck] = [ScratchStorageCheck(SCRATCH_DIR), MemoryCheck(settings.memory_mb)]
    if settings.models is not None:
        from monolambda.adapters import aws  # noqa: PLC0415 - boto3 itself only on a deep check
        from monolambda.adapters.aws_health import ParameterCheck, S3BucketCheck  # noqa: PLC0415

        checks += [
            S3BucketCheck(lambda: aws.client("s3"), settings.models.bucket),
            ParameterCheck(
                lambda: aws.client("ssm"), f"{settings.models.parameter_prefix}/digits/current"
            ),
        ]
    services = Services(
        build_info=read_build_info(),
        health_checks=checks,
        predictions=prediction_factory(settings) if settings.models else None,
    )
    schema = build_schema(settings)
    app = build_app(schema, services, graphiql=settings.graphiql)
    return Container(
        settings=settings,
        services=services,
        http=HttpRoute(
            app,
            max_body_bytes=settings.max_body_bytes,
            direct=DirectExecution(schema, services),
        ),
    )


# graphql-core leaves ~30 small reference cycles per request, so young collections run every
# ~60 requests at the default threshold (2,000) and each costs ~300 us: a p99 of 2.5x p50.
# At 5,000 they run every ~160 requests (under 1 %), costing ~850 us each; the mean is
# unchanged (measured with bench/startup.py; README, "Performance").
YOUNG_GC_THRESHOLD = 5_000


def prediction_factory(settings: Settings) -> Callable[[], PredictionService]:
    """Builds the prediction use cases when first needed (boto3, numpy, Pillow, onnxruntime)."""

    def build_predictions() -> PredictionService:
        # The predict path's libraries (boto3, numpy, Pillow, onnxruntime) are long-lived
        # too: imported with the collector paused, as the container is (~20 ms saved).
        with _long_lived():
            return _build_predictions(settings)

    return build_predictions


def _build_predictions(settings: Settings) -> PredictionService:
    from monolambda.adapters import aws  # noqa: PLC0415
    from monolambda.adapters.images import PillowImages  # noqa: PLC0415
    from monolambda.adapters.model_cache import ModelFileCache  # noqa: PLC0415
    from monolambda.adapters.onnx_inference import OnnxInference  # noqa: PLC0415
    from monolambda.adapters.s3_models import S3ModelRegistry  # noqa: PLC0415
    from monolambda.adapters.s3_uploads import S3Uploads  # noqa: PLC0415
    from monolambda.predictions import PredictionService  # noqa: PLC0415

    models = settings.models
    if models is None:
        raise RuntimeError("prediction_factory needs model settings")
    aws.session()  # boto3's import, now rather than at the first client
    registry = S3ModelRegistry(
        s3=lambda: aws.client("s3"),
        ssm=lambda: aws.client("ssm"),
        bucket=models.bucket,
        prefix=models.prefix,
        parameter_prefix=models.parameter_prefix,
        pointer_max_age_s=models.pointer_max_age_s,
        files=ModelFileCache(Path(models.cache_dir), models.cache_mb * 1024 * 1024),
    )
    return PredictionService(
        registry=registry,
        images=PillowImages(),
        inference=OnnxInference(settings.memory_mb),
        uploads=S3Uploads(s3=lambda: aws.client("s3"), bucket=models.bucket),
    )


@contextmanager
def _long_lived() -> Iterator[None]:
    """Objects made inside live as long as the container: no collections while they are
    made, then frozen so that later collections skip them."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


@cache
def container() -> Container:
    with _long_lived():
        built = build(load())
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, middle, old)
    return built
