"""In-memory fakes of the prediction ports (mypy checks them against the protocols), for the
use cases and for the schema's resolvers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from monolambda.domain.errors import BadUserInputError, NotFoundError
from monolambda.domain.models import InputSpec, ModelManifest
from monolambda.domain.ports import ImageBatch, Images, Inference, ModelRegistry, Uploads
from monolambda.domain.uploads import UploadForm
from monolambda.services.predictions import PredictionLimits, PredictionService

SPEC = InputSpec("x", "NC", 2, 2, "L", "any", "stretch", 1 / 255, (0.0,), (1.0,))
NOT_AN_IMAGE = b"not an image"


def manifest(name: str, version: str) -> ModelManifest:
    return ModelManifest(
        name, version, f"{name} v{version}", ("cat", "dog", "eel"), SPEC, "p", "0" * 64
    )


@dataclass
class FakeRegistry:
    """Models `m` (versions 1 and 2, current 2) and `n` (version 1)."""

    versions_of: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"m": ("1", "2"), "n": ("1",)}
    )

    def model_names(self) -> list[str]:
        return sorted(self.versions_of)

    def versions(self, name: str) -> list[str]:
        return list(self.versions_of[name])

    def current_version(self, name: str) -> str:
        if name not in self.versions_of:
            raise NotFoundError(f"no model named {name!r}")
        return self.versions_of[name][-1]

    def manifest(self, name: str, version: str) -> ModelManifest:
        if version not in self.versions_of.get(name, ()):
            raise NotFoundError(f"no version {version!r} of model {name!r}")
        return manifest(name, version)

    def model_file(self, m: ModelManifest) -> str:
        return f"/models/{m.name}/{m.version}"


@dataclass
class FakeBatch:
    count: int


@dataclass
class FakeImages:
    """Every image is 2x2 unless `sizes` says otherwise; NOT_AN_IMAGE is refused."""

    sizes: dict[bytes, tuple[int, int]] = field(default_factory=dict)
    measured: list[bytes] = field(default_factory=list)
    prepared: list[bytes] = field(default_factory=list)

    def measure(self, data: bytes, which: str) -> tuple[int, int]:
        if data == NOT_AN_IMAGE:
            raise BadUserInputError(f"{which} is not a PNG, JPEG, WebP or GIF image")
        self.measured.append(data)
        return self.sizes.get(data, (2, 2))

    def prepare(self, images: Sequence[bytes], spec: InputSpec) -> FakeBatch:
        self.prepared.extend(images)
        return FakeBatch(len(images))


class FakeInference:
    def run(self, m: ModelManifest, model_file: str, batch: ImageBatch) -> list[list[float]]:
        return [[0.1, 0.7, 0.2] for _ in range(batch.count)]


@dataclass
class FakeUploads:
    objects: dict[str, bytes] = field(default_factory=dict)

    def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires_s: int
    ) -> UploadForm:
        return UploadForm(
            url="https://bucket.example",
            fields=(("key", key), ("Content-Type", content_type)),
        )

    def sizes(self, prefix: str, keys: Sequence[str]) -> dict[str, int]:
        return {k: len(v) for k, v in self.objects.items() if k in keys and k.startswith(prefix)}

    def read(self, key: str, max_bytes: int) -> bytes:
        if key not in self.objects:
            raise NotFoundError("no such upload")
        if len(self.objects[key]) > max_bytes:
            raise BadUserInputError(f"the upload is larger than {max_bytes} bytes")
        return self.objects[key]


def prediction_service(
    *,
    images: Images | None = None,
    uploads: FakeUploads | None = None,
    limits: PredictionLimits | None = None,
) -> PredictionService:
    registry: ModelRegistry = FakeRegistry()
    image_port: Images = images or FakeImages()
    inference: Inference = FakeInference()
    upload_port: Uploads = uploads or FakeUploads()
    return PredictionService(
        registry=registry,
        images=image_port,
        inference=inference,
        uploads=upload_port,
        default_model="m",
        limits=limits,
    )
