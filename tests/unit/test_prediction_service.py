"""The prediction use cases over in-memory fakes of the registry, images, inference, uploads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from monolambda.domain.errors import BadUserInputError, NotFoundError
from monolambda.domain.identity import Caller
from monolambda.domain.models import InputSpec, ModelManifest
from monolambda.predictions import PredictionLimits, PredictionService

SPEC = InputSpec("x", "NC", 2, 2, "L", "any", "stretch", 1 / 255, (0.0,), (1.0,))
ALICE = Caller(sub="alice")


def manifest(version: str) -> ModelManifest:
    return ModelManifest("m", version, "", ("cat", "dog", "eel"), SPEC, "p", "0" * 64)


@dataclass
class FakeRegistry:
    current: str = "2"
    known: tuple[str, ...] = ("1", "2")

    def model_names(self) -> list[str]:
        return ["m"]

    def versions(self, name: str) -> list[str]:
        return list(self.known)

    def current_version(self, name: str) -> str:
        if name != "m":
            raise NotFoundError(f"no model named {name!r}")
        return self.current

    def manifest(self, name: str, version: str) -> ModelManifest:
        if name != "m" or version not in self.known:
            raise NotFoundError("no such version")
        return manifest(version)

    def model_file(self, m: ModelManifest) -> str:
        return f"/tmp/{m.name}/{m.version}"


@dataclass
class FakeBatch:
    count: int


class FakeImages:
    def prepare(self, images: Sequence[bytes], spec: InputSpec) -> FakeBatch:
        return FakeBatch(len(images))


class FakeInference:
    def run(self, m: ModelManifest, model_file: str, batch: Any) -> list[list[float]]:
        return [[0.1, 0.7, 0.2] for _ in range(batch.count)]


@dataclass
class FakeUploads:
    objects: dict[str, bytes] = field(default_factory=dict)

    def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires_s: int
    ) -> dict[str, Any]:
        return {
            "url": "https://bucket.example",
            "fields": {"key": key, "Content-Type": content_type},
        }

    def read(self, key: str, max_bytes: int) -> bytes:
        if key not in self.objects:
            raise NotFoundError("no such upload")
        return self.objects[key]


def service(**limits: int) -> PredictionService:
    return PredictionService(
        registry=FakeRegistry(),
        images=FakeImages(),
        inference=FakeInference(),
        uploads=FakeUploads({"uploads/alice/k1": b"img"}),
        limits=PredictionLimits(**limits),
    )


def test_predict_uses_the_current_version_and_ranks() -> None:
    (result,) = service().predict(caller=ALICE, model="m", version=None, images=[b"x"], top_k=2)
    assert (result.model, result.version) == ("m", "2")
    assert [(r.label, r.score) for r in result.labels] == [("dog", 0.7), ("eel", 0.2)]


def test_predict_a_named_version() -> None:
    (result,) = service().predict(caller=ALICE, model="m", version="1", images=[b"x"], top_k=1)
    assert result.version == "1"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"top_k": 0}, BadUserInputError, "topK"),
        ({"top_k": 21}, BadUserInputError, "topK"),
        ({"images": []}, BadUserInputError, "at least one"),
        ({"images": [b"x"] * 65}, BadUserInputError, "at most 64"),
        ({"images": [b"x" * 5_000_000]}, BadUserInputError, "total more than"),
        ({"model": "nope"}, BadUserInputError, "no model named"),
        ({"version": "9"}, BadUserInputError, "no such version"),
    ],
)
def test_predict_refuses(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    arguments: dict[str, Any] = {
        "caller": ALICE,
        "model": "m",
        "version": None,
        "images": [b"x"],
        "top_k": 3,
    }
    with pytest.raises(error, match=message):
        service().predict(**{**arguments, **kwargs})


def test_one_image_over_its_limit_points_at_uploads() -> None:
    with pytest.raises(BadUserInputError, match="use createUpload"):
        service(max_image_bytes=10).predict(
            caller=ALICE, model="m", version=None, images=[b"x" * 11], top_k=1
        )


def test_uploads_are_private_to_their_owner() -> None:
    assert service().uploaded_image(caller=ALICE, key="uploads/alice/k1") == b"img"
    for key in (
        "uploads/bob/k1",
        "uploads/alice/../bob/k1",
        "models/m/1/model.onnx",
        "uploads/alice/missing",
    ):
        with pytest.raises(NotFoundError):
            service().uploaded_image(caller=ALICE, key=key)


def test_create_upload_under_the_callers_prefix() -> None:
    post = service().create_upload(caller=ALICE, content_type="image/png", size=1000)
    assert post["key"].startswith("uploads/alice/")
    assert post["fields"]["Content-Type"] == "image/png"
    with pytest.raises(BadUserInputError, match="contentType"):
        service().create_upload(caller=ALICE, content_type="text/html", size=10)
    with pytest.raises(BadUserInputError, match="size"):
        service().create_upload(caller=ALICE, content_type="image/png", size=0)
