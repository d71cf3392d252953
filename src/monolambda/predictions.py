"""Prediction use cases: which model and version, the images made ready, one batched run."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monolambda.domain.errors import BadUserInputError, NotFoundError
from monolambda.domain.identity import Caller
from monolambda.domain.models import ModelManifest, Prediction, RankedLabel
from monolambda.domain.ports import Images, Inference, ModelRegistry, Uploads

MAX_TOP_K = 20
UPLOAD_CONTENT_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


@dataclass(frozen=True, slots=True)
class PredictionLimits:
    max_image_bytes: int = 4 * 1024 * 1024
    max_batch_images: int = 64
    max_batch_bytes: int = 4 * 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024
    upload_expiry_s: int = 300


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    current: str
    versions: list[str]
    manifest: ModelManifest


def uploads_prefix(caller: Caller) -> str:
    return f"uploads/{caller.sub}/"


class PredictionService:
    def __init__(
        self,
        *,
        registry: ModelRegistry,
        images: Images,
        inference: Inference,
        uploads: Uploads,
        limits: PredictionLimits | None = None,
    ) -> None:
        self._registry = registry
        self._images = images
        self._inference = inference
        self._uploads = uploads
        self.limits = limits or PredictionLimits()

    def models(self) -> list[ModelInfo]:
        found = []
        for name in self._registry.model_names():
            current = self._registry.current_version(name)
            found.append(
                ModelInfo(
                    name=name,
                    current=current,
                    versions=self._registry.versions(name),
                    manifest=self._registry.manifest(name, current),
                )
            )
        return found

    def predict(
        self,
        *,
        caller: Caller,
        model: str,
        version: str | None,
        images: Sequence[bytes],
        top_k: int,
    ) -> list[Prediction]:
        del caller  # every signed-in caller may predict; kept for auditing and quotas
        if not 1 <= top_k <= MAX_TOP_K:
            raise BadUserInputError(f"topK must be from 1 to {MAX_TOP_K}")
        if not images:
            raise BadUserInputError("give at least one image")
        self.check_batch_count(len(images))
        if sum(len(i) for i in images) > self.limits.max_batch_bytes:
            raise BadUserInputError(f"images total more than {self.limits.max_batch_bytes} bytes")
        for image in images:
            if len(image) > self.limits.max_image_bytes:
                raise BadUserInputError(
                    f"an image is larger than {self.limits.max_image_bytes} bytes; "
                    "use createUpload and s3Key"
                )
        manifest = self._manifest(model, version)
        model_file = self._registry.model_file(manifest)
        started = time.perf_counter()
        batch = self._images.prepare(images, manifest.input)
        decoded = time.perf_counter()
        scores = self._inference.run(manifest, model_file, batch)
        finished = time.perf_counter()
        decode_ms = (decoded - started) * 1000 / len(images)
        inference_ms = (finished - decoded) * 1000 / len(images)
        return [
            Prediction(
                model=manifest.name,
                version=manifest.version,
                labels=_ranked(manifest.labels, row, top_k),
                decode_ms=decode_ms,
                inference_ms=inference_ms,
            )
            for row in scores
        ]

    def check_batch_count(self, count: int) -> None:
        """Callable before decoding anything, so a huge batch is refused cheaply."""
        if count > self.limits.max_batch_images:
            raise BadUserInputError(f"at most {self.limits.max_batch_images} images per call")

    def uploaded_image(self, *, caller: Caller, key: str) -> bytes:
        # Another caller's key, or any other key, is indistinguishable from a missing one.
        if not key.startswith(uploads_prefix(caller)) or ".." in key:
            raise NotFoundError("no such upload")
        return self._uploads.read(key, self.limits.max_upload_bytes)

    def create_upload(self, *, caller: Caller, content_type: str, size: int) -> dict[str, Any]:
        if content_type not in UPLOAD_CONTENT_TYPES:
            raise BadUserInputError(
                f"contentType must be one of {', '.join(sorted(UPLOAD_CONTENT_TYPES))}"
            )
        if not 1 <= size <= self.limits.max_upload_bytes:
            raise BadUserInputError(f"size must be from 1 to {self.limits.max_upload_bytes} bytes")
        key = f"{uploads_prefix(caller)}{uuid.uuid4()}"
        post = self._uploads.presigned_post(key, content_type, size, self.limits.upload_expiry_s)
        return {**post, "key": key, "expires_in_s": self.limits.upload_expiry_s}

    def _manifest(self, model: str, version: str | None) -> ModelManifest:
        # To the caller, a model or version that does not exist is a mistake in their input.
        try:
            chosen = version or self._registry.current_version(model)
            return self._registry.manifest(model, chosen)
        except NotFoundError as e:
            raise BadUserInputError(str(e)) from e


def _ranked(labels: Sequence[str], scores: Sequence[float], top_k: int) -> tuple[RankedLabel, ...]:
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)[:top_k]
    return tuple(RankedLabel(label=labels[i], score=round(float(scores[i]), 6)) for i in order)
