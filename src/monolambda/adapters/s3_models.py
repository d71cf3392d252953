"""The model registry in S3, with the current versions in SSM Parameter Store.

Manifests are read once per (name, version) and kept, in memory and beside the model file in
/tmp (a version is immutable); the pointer is read through Powertools Parameters with a bounded
cache age, so a new version ships by changing one parameter, no redeploy. The SDK clients are
made on first need: a fresh process whose /tmp already holds the model never builds the S3
client (~85 ms).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from monolambda.adapters.model_cache import ModelFileCache
from monolambda.domain.errors import NotFoundError
from monolambda.domain.models import (
    InvalidManifestError,
    ModelManifest,
    ModelUnavailableError,
)
from monolambda.domain.names import MODEL_NAME, MODEL_VERSION


class S3ModelRegistry:
    def __init__(
        self,
        *,
        s3: Callable[[], Any],
        ssm: Callable[[], Any],
        bucket: str,
        prefix: str,
        parameter_prefix: str,
        pointer_max_age_s: int,
        files: ModelFileCache,
    ) -> None:
        self._make_s3 = s3
        self._make_ssm = ssm
        self._bucket = bucket
        self._prefix = prefix
        self._parameter_prefix = parameter_prefix.rstrip("/")
        self._max_age = pointer_max_age_s
        self._files = files
        self._manifests: dict[tuple[str, str], ModelManifest] = {}

    @cached_property
    def _s3(self) -> Any:
        return self._make_s3()

    @cached_property
    def _pointers(self) -> Any:
        from aws_lambda_powertools.utilities.parameters import SSMProvider  # noqa: PLC0415

        return SSMProvider(boto3_client=self._make_ssm())

    def model_names(self) -> list[str]:
        return sorted(n for n in self._children(self._prefix) if MODEL_NAME.match(n))

    def versions(self, name: str) -> list[str]:
        return sorted(
            v for v in self._children(f"{self._prefix}{_name(name)}/") if MODEL_VERSION.match(v)
        )

    def current_version(self, name: str) -> str:
        from aws_lambda_powertools.utilities.parameters.exceptions import (  # noqa: PLC0415
            GetParameterError,
        )

        parameter = f"{self._parameter_prefix}/{_name(name)}/current"
        try:
            value = self._pointers.get(parameter, max_age=self._max_age)
        except GetParameterError as e:
            if _is_missing(e):
                raise NotFoundError(f"no model named {name!r}") from e
            raise ModelUnavailableError(f"the current version of {name!r} cannot be read") from e
        version = str(value).strip()
        if not MODEL_VERSION.match(version):
            raise ModelUnavailableError(f"the current version of {name!r} is not a valid version")
        return version

    def manifest(self, name: str, version: str) -> ModelManifest:
        key = (_name(name), _version(version))
        if key not in self._manifests:
            local = self._files.root / key[0] / key[1] / "manifest.json"
            raw = _read(local)
            if raw is None:
                raw = self._get(f"{self._prefix}{key[0]}/{key[1]}/manifest.json", name, version)
            try:
                manifest = ModelManifest.parse(json.loads(raw), name=key[0], version=key[1])
            except (ValueError, InvalidManifestError) as e:
                raise ModelUnavailableError(
                    f"{name} version {version} is unavailable: its manifest is invalid ({e})"
                ) from e
            if not local.exists():
                self._files.keep(local, raw)
            self._manifests[key] = manifest
        return self._manifests[key]

    def model_file(self, manifest: ModelManifest) -> str:
        key = f"{self._prefix}{manifest.name}/{manifest.version}/model.onnx"

        def fetch(path: Any) -> None:
            from botocore.exceptions import ClientError  # noqa: PLC0415

            try:
                self._s3.download_file(self._bucket, key, str(path))
            except ClientError as e:
                raise ModelUnavailableError(
                    f"{manifest.name} version {manifest.version}: the model file cannot be read"
                ) from e

        return self._files.path_for(
            f"{manifest.name}/{manifest.version}/model.onnx", manifest.sha256, fetch
        )

    def _children(self, prefix: str) -> list[str]:
        paginator = self._s3.get_paginator("list_objects_v2")
        names: list[str] = []
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix, Delimiter="/"):
            names.extend(
                p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])
            )
        return names

    def _get(self, key: str, name: str, version: str) -> bytes:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            body: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFoundError(f"no version {version!r} of model {name!r}") from e
            raise ModelUnavailableError(f"{name} version {version} cannot be read") from e
        return body


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _name(name: str) -> str:
    if not MODEL_NAME.match(name):
        raise NotFoundError(f"no model named {name!r}")
    return name


def _version(version: str) -> str:
    if not MODEL_VERSION.match(version):
        raise NotFoundError(f"no version {version!r}")
    return version


def _is_missing(error: Exception) -> bool:
    # Powertools raises GetParameterError while handling the SDK's ClientError (its context).
    sdk_error = error.__cause__ or error.__context__
    response = getattr(sdk_error, "response", None) or {}
    return bool(response.get("Error", {}).get("Code") == "ParameterNotFound")
