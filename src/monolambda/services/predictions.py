"""Prediction use cases: which model and version, the images checked against the request's
budget before any is decoded, one batched run; and uploads for images too big to inline."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monolambda import metrics
from monolambda.domain.budget import WorkBudget
from monolambda.domain.errors import (
    BadUserInputError,
    DomainError,
    NotFoundError,
    TransientError,
)
from monolambda.domain.identity import Caller
from monolambda.domain.models import (
    ModelInfo,
    ModelManifest,
    Prediction,
    RankedLabel,
)
from monolambda.domain.sizes import MAX_TOP_K
from monolambda.domain.uploads import UploadGrant
from monolambda.domain.uploads import uploads_prefix as owner_prefix

# Protocols, for annotations only: importing them defines 13 (~7 M instructions).
if TYPE_CHECKING:
    from monolambda.domain.ports import Images, Inference, ModelRegistry, Uploads

UPLOAD_CONTENT_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


@dataclass(frozen=True, slots=True)
class PredictionLimits:
    # Images sent inline (base64 in the request): one, and all of a batch together.
    max_image_bytes: int = 4 * 1024 * 1024
    max_batch_bytes: int = 4 * 1024 * 1024
    # Images uploaded with createUpload first.
    max_upload_bytes: int = 20 * 1024 * 1024
    upload_expiry_s: int = 300


def uploads_prefix(caller: Caller) -> str:
    return owner_prefix(caller.sub)


def grant_upload(
    uploads: Uploads, limits: PredictionLimits, key: str, content_type: str, size: int
) -> UploadGrant:
    """A presigned POST for exactly `key`, once the file's type and size are checked."""
    if content_type not in UPLOAD_CONTENT_TYPES:
        raise BadUserInputError(
            f"contentType must be one of {', '.join(sorted(UPLOAD_CONTENT_TYPES))}"
        )
    if not 1 <= size <= limits.max_upload_bytes:
        raise BadUserInputError(f"size must be from 1 to {limits.max_upload_bytes} bytes")
    form = uploads.presigned_post(key, content_type, size, limits.upload_expiry_s)
    return UploadGrant(key=key, form=form, expires_in_s=limits.upload_expiry_s)


class PredictionService:
    def __init__(
        self,
        *,
        registry: ModelRegistry,
        images: Images,
        inference: Inference,
        uploads: Uploads,
        default_model: str,
        limits: PredictionLimits | None = None,
    ) -> None:
        self._registry = registry
        self._images = images
        self._inference = inference
        self._uploads = uploads
        self._default_model = default_model
        self.limits = limits or PredictionLimits()

    def models(self) -> list[ModelInfo]:
        found = []
        for name in self._registry.model_names():
            current = self._registry.current_version(name)
            found.append(
                ModelInfo(
                    name=name,
                    current=current,
                    versions=tuple(self._registry.versions(name)),
                    manifest=self._registry.manifest(name, current),
                )
            )
        return found

    def predict_one(
        self,
        *,
        caller: Caller,
        budget: WorkBudget,
        model: str | None,
        version: str | None,
        image: bytes | None,
        s3_key: str | None,
        top_k: int,
    ) -> Prediction:
        """One image, sent inline or uploaded first (exactly one of the two)."""
        if (image is None) == (s3_key is None):
            raise BadUserInputError("give exactly one of image and s3Key")
        if image is not None:
            (result,) = self.predict(
                caller=caller,
                budget=budget,
                model=model,
                version=version,
                images=[image],
                top_k=top_k,
            )
            return result
        check_top_k(top_k)
        budget.spend_images(1)
        manifest = self.manifest(model, version)
        data = self._uploaded(caller, str(s3_key))
        (result,) = self._run(manifest, [data], top_k, budget)
        return result

    def predict(
        self,
        *,
        caller: Caller,
        budget: WorkBudget,
        model: str | None,
        version: str | None,
        images: Sequence[bytes],
        top_k: int,
    ) -> list[Prediction]:
        """Images sent inline, classified in one batched run. `images` may decode lazily:
        its length is checked before any item is read."""
        del caller  # every signed-in caller may predict; kept for auditing and quotas
        check_top_k(top_k)
        if not images:
            raise BadUserInputError("give at least one image")
        budget.spend_images(len(images))
        if sum(len(i) for i in images) > self.limits.max_batch_bytes:
            raise BadUserInputError(f"images total more than {self.limits.max_batch_bytes} bytes")
        for image in images:
            if len(image) > self.limits.max_image_bytes:
                raise BadUserInputError(
                    f"an image is larger than {self.limits.max_image_bytes} bytes; "
                    "use createUpload and s3Key"
                )
        return self._run(self.manifest(model, version), images, top_k, budget)

    def create_upload(self, *, caller: Caller, content_type: str, size: int) -> UploadGrant:
        key = f"{uploads_prefix(caller)}{uuid.uuid4()}"
        return grant_upload(self._uploads, self.limits, key, content_type, size)

    def classify_each(
        self, manifest: ModelManifest, images: Sequence[bytes | DomainError], top_k: int
    ) -> list[Prediction | DomainError]:
        """A job's images, each with its own outcome: an unreadable image is that image's
        error, not its batch-mates'. Items that are already errors (an upload that vanished)
        pass through."""
        outcomes: dict[int, Prediction | DomainError] = {}
        usable: list[tuple[int, bytes]] = []
        for index, data in enumerate(images):
            if isinstance(data, DomainError):
                outcomes[index] = data
                continue
            try:
                # Each item's error is reported beside its own index: "the image", not the
                # request field a batch prediction would name.
                self._images.measure(data, "the image")
            except TransientError:
                raise  # not this image's fault: the job is retried
            except DomainError as e:
                outcomes[index] = e
            else:
                usable.append((index, data))
        outcomes.update(self._classify(manifest, usable, top_k))
        return [outcomes[i] for i in range(len(images))]

    def _classify(
        self, manifest: ModelManifest, usable: list[tuple[int, bytes]], top_k: int
    ) -> dict[int, Prediction | DomainError]:
        if not usable:
            return {}
        # Measured already, by classify_each; a job has no request budget (the pixel limit
        # per image is the Images adapter's).
        try:
            found = self._infer(manifest, [data for _, data in usable], top_k)
            return {index: p for (index, _), p in zip(usable, found, strict=True)}
        except TransientError:
            raise
        except DomainError as e:
            if len(usable) == 1:
                return {usable[0][0]: e}
        # An image whose header read well but whose pixels did not: find it, one by one.
        outcomes: dict[int, Prediction | DomainError] = {}
        for item in usable:
            outcomes.update(self._classify(manifest, [item], top_k))
        return outcomes

    def read_upload(self, key: str) -> bytes:
        """An upload a job was accepted with (its owner was checked then)."""
        return self._uploads.read(key, self.limits.max_upload_bytes)

    def _run(
        self, manifest: ModelManifest, images: Sequence[bytes], top_k: int, budget: WorkBudget
    ) -> list[Prediction]:
        # Every image's size comes from its header before any is decoded, so a request over
        # its pixel budget is refused without decoding one.
        pixels = 0
        for index, data in enumerate(images):
            which = f"images[{index}]" if len(images) > 1 else "the image"
            width, height = self._images.measure(data, which)
            pixels += width * height
        budget.spend_pixels(pixels)
        return self._infer(manifest, images, top_k)

    def _infer(
        self, manifest: ModelManifest, images: Sequence[bytes], top_k: int
    ) -> list[Prediction]:
        """Decode and classify images already measured and paid for."""
        model_file = self._registry.model_file(manifest)
        started = time.perf_counter()
        batch = self._images.prepare(images, manifest.input)
        decoded = time.perf_counter()
        scores = self._inference.run(manifest, model_file, batch)
        finished = time.perf_counter()
        decode_ms = (decoded - started) * 1000 / len(images)
        inference_ms = (finished - decoded) * 1000 / len(images)
        metrics.milliseconds("PredictLatency", (finished - started) * 1000, model=manifest.name)
        metrics.count("ImagesClassified", len(images), model=manifest.name)
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

    def _uploaded(self, caller: Caller, key: str) -> bytes:
        # Another caller's key, or any other key, is indistinguishable from a missing one.
        if not key.startswith(uploads_prefix(caller)) or ".." in key:
            raise NotFoundError("no such upload")
        return self._uploads.read(key, self.limits.max_upload_bytes)

    def manifest(self, model: str | None, version: str | None) -> ModelManifest:
        return resolve_manifest(self._registry, model or self._default_model, version)


def check_top_k(top_k: int) -> None:
    if not 1 <= top_k <= MAX_TOP_K:
        raise BadUserInputError(f"topK must be from 1 to {MAX_TOP_K}")


def resolve_manifest(registry: ModelRegistry, name: str, version: str | None) -> ModelManifest:
    """The version asked for, else the current one. To the caller, a model or version that
    does not exist is a mistake in their input."""
    try:
        chosen = version or registry.current_version(name)
        return registry.manifest(name, chosen)
    except NotFoundError as e:
        raise BadUserInputError(str(e)) from e


def _ranked(labels: Sequence[str], scores: Sequence[float], top_k: int) -> tuple[RankedLabel, ...]:
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)[:top_k]
    return tuple(RankedLabel(label=labels[i], score=round(float(scores[i]), 6)) for i in order)
