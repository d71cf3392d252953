"""The S3 + SSM registry adapter against the local stack's moto: pointer changes take effect
without a redeploy, files are fetched once and checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monolambda.adapters.model_cache import ModelFileCache
from monolambda.adapters.s3_models import S3ModelRegistry
from monolambda.domain.errors import NotFoundError
from monolambda.domain.models import ModelUnavailableError
from tests.support.stack import LOCAL_BUCKET, RunningStack

BUCKET = LOCAL_BUCKET
POINTER = "/monolambda-local/models/digits/current"


def registry(stack: RunningStack, cache: Path, max_age: int = 0) -> S3ModelRegistry:
    return S3ModelRegistry(
        s3=lambda: stack.client("s3"),
        ssm=lambda: stack.client("ssm"),
        bucket=BUCKET,
        prefix="models/",
        parameter_prefix="/monolambda-local/models",
        pointer_max_age_s=max_age,
        files=ModelFileCache(cache, 10 * 1024 * 1024),
    )


def publish_copy(stack: RunningStack, version: str) -> None:
    """Version `version` of digits: the same files as version 1, as a release would upload
    (the stack is seeded with versions 1 and 2, the template's pointer naming 2)."""
    s3 = stack.client("s3")
    for name in ("manifest.json", "model.onnx"):
        s3.copy_object(
            Bucket=BUCKET,
            Key=f"models/digits/{version}/{name}",
            CopySource={"Bucket": BUCKET, "Key": f"models/digits/1/{name}"},
        )


def test_a_new_version_ships_by_moving_the_pointer(stack: RunningStack, tmp_path: Path) -> None:
    models = registry(stack, tmp_path)
    assert models.current_version("digits") == "3"
    publish_copy(stack, "4")
    stack.client("ssm").put_parameter(Name=POINTER, Value="4", Type="String", Overwrite=True)
    assert models.current_version("digits") == "4"  # max age 0: read again
    assert models.versions("digits") == ["1", "2", "3", "4"]
    # And back: an older version is still there to point at.
    stack.client("ssm").put_parameter(Name=POINTER, Value="1", Type="String", Overwrite=True)
    assert models.current_version("digits") == "1"


def test_the_pointer_is_cached_for_its_max_age(stack: RunningStack, tmp_path: Path) -> None:
    models = registry(stack, tmp_path, max_age=300)
    assert models.current_version("digits") == "3"
    stack.client("ssm").put_parameter(Name=POINTER, Value="5", Type="String", Overwrite=True)
    assert models.current_version("digits") == "3"


def test_model_files_are_downloaded_once_and_checked(stack: RunningStack, tmp_path: Path) -> None:
    models = registry(stack, tmp_path)
    manifest = models.manifest("digits", "1")
    path = models.model_file(manifest)
    assert Path(path).is_file()
    models.model_file(manifest)
    assert models._files.fetches == 1
    # A model file that does not match its manifest never lands.
    s3 = stack.client("s3")
    s3.put_object(Bucket=BUCKET, Key="models/digits/3/model.onnx", Body=b"tampered")
    body = json.loads(
        s3.get_object(Bucket=BUCKET, Key="models/digits/1/manifest.json")["Body"].read()
    )
    s3.put_object(
        Bucket=BUCKET, Key="models/digits/3/manifest.json", Body=json.dumps(body).encode()
    )
    with pytest.raises(ModelUnavailableError, match="does not match"):
        models.model_file(models.manifest("digits", "3"))


def test_unknown_and_broken_pointers(stack: RunningStack, tmp_path: Path) -> None:
    models = registry(stack, tmp_path)
    with pytest.raises(NotFoundError):
        models.current_version("unknown-model")
    stack.client("ssm").put_parameter(
        Name=POINTER, Value="../../etc", Type="String", Overwrite=True
    )
    with pytest.raises(ModelUnavailableError, match="not a valid version"):
        models.current_version("digits")
