"""What the prediction use cases need from the outside world, as small protocols.

Adapters implement them (S3 + SSM, Pillow, onnxruntime); tests use in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from monolambda.domain.models import InputSpec, ModelManifest
from monolambda.domain.uploads import UploadForm


class ModelRegistry(Protocol):
    def model_names(self) -> list[str]: ...

    def versions(self, name: str) -> list[str]: ...

    def current_version(self, name: str) -> str:
        """The pointer's version; NotFoundError for an unknown model."""
        ...

    def manifest(self, name: str, version: str) -> ModelManifest:
        """NotFoundError for an unknown version; ModelUnavailableError for a broken one."""
        ...

    def model_file(self, manifest: ModelManifest) -> str:
        """A local path to the model file, its SHA-256 checked."""
        ...


class ImageBatch(Protocol):
    """Images made ready for one model: opaque to the services, understood by Inference."""

    count: int


class Images(Protocol):
    def measure(self, data: bytes, which: str) -> tuple[int, int]:
        """Width and height from the image's header alone (nothing decoded);
        BadUserInputError for anything that is not a usable image, or one too large."""
        ...

    def prepare(self, images: Sequence[bytes], spec: InputSpec) -> ImageBatch:
        """Decoded one at a time, each shrunk before the next is read;
        BadUserInputError for anything that is not a usable image."""
        ...


class Inference(Protocol):
    def run(self, manifest: ModelManifest, model_file: str, batch: ImageBatch) -> list[list[float]]:
        """One list of per-label scores per image."""
        ...


class Uploads(Protocol):
    def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires_s: int
    ) -> UploadForm:
        """A form for a browser's multipart POST straight to storage."""
        ...

    def read(self, key: str, max_bytes: int) -> bytes:
        """NotFoundError when absent; BadUserInputError when larger than max_bytes."""
        ...
