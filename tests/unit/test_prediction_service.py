"""The prediction use cases over in-memory fakes of the registry, images, inference, uploads."""

from __future__ import annotations

from typing import Any

import pytest

from monolambda.domain.budget import WorkBudget, WorkLimits
from monolambda.domain.errors import BadUserInputError, NotFoundError
from monolambda.domain.identity import Caller
from monolambda.services.predictions import PredictionLimits
from tests.support.fakes import NOT_AN_IMAGE, FakeImages, FakeUploads, prediction_service

ALICE = Caller(sub="alice")


def budget(images: int = 64, pixels: int = 1_000_000) -> WorkBudget:
    return WorkBudget(WorkLimits(max_images=images, max_pixels=pixels))


def predict(**overrides: Any) -> Any:
    images = overrides.pop("fake_images", None)
    arguments: dict[str, Any] = {
        "caller": ALICE,
        "budget": budget(),
        "model": "m",
        "version": None,
        "images": [b"x"],
        "top_k": 3,
    }
    return prediction_service(images=images).predict(**{**arguments, **overrides})


def test_predict_uses_the_current_version_and_ranks() -> None:
    (result,) = predict(top_k=2)
    assert (result.model, result.version) == ("m", "2")
    assert [(r.label, r.score) for r in result.labels] == [("dog", 0.7), ("eel", 0.2)]


def test_predict_a_named_version_and_the_default_model() -> None:
    (result,) = predict(version="1", top_k=1)
    assert result.version == "1"
    (result,) = predict(model=None)
    assert result.model == "m"  # the service's default model


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"top_k": 0}, "topK"),
        ({"top_k": 21}, "topK"),
        ({"images": []}, "at least one"),
        ({"images": [b"x"] * 65}, "at most 64 images per request"),
        ({"images": [b"x" * 5_000_000]}, "total more than"),
        ({"model": "nope"}, "no model named"),
        ({"version": "9"}, "no version '9'"),
        ({"images": [b"x", NOT_AN_IMAGE]}, r"images\[1\] is not"),
    ],
)
def test_predict_refuses(overrides: dict[str, Any], message: str) -> None:
    images = FakeImages()
    with pytest.raises(BadUserInputError, match=message):
        predict(fake_images=images, **overrides)
    assert images.prepared == []  # refused before anything was decoded


def test_one_image_over_its_limit_points_at_uploads() -> None:
    service = prediction_service(limits=PredictionLimits(max_image_bytes=10))
    with pytest.raises(BadUserInputError, match="use createUpload"):
        service.predict(
            caller=ALICE, budget=budget(), model="m", version=None, images=[b"x" * 11], top_k=1
        )


def test_the_pixel_budget_is_checked_from_headers_before_decoding() -> None:
    images = FakeImages(sizes={b"big": (1000, 1000), b"small": (10, 10)})
    shared = budget(pixels=1_500_000)
    predict(fake_images=images, images=[b"big"], budget=shared)  # 1.0 M of 1.5 M
    with pytest.raises(BadUserInputError, match="at most 1,500,000"):
        predict(fake_images=images, images=[b"small", b"big"], budget=shared)
    assert images.prepared == [b"big"]  # the refused call decoded nothing
    assert images.measured[-2:] == [b"small", b"big"]


def test_the_image_budget_is_shared_by_every_call_of_a_request() -> None:
    shared = budget(images=3)
    predict(images=[b"a", b"b"], budget=shared)
    with pytest.raises(BadUserInputError, match=r"at most 3 images per request \(1 left\)"):
        predict(images=[b"c", b"d"], budget=shared)
    predict(images=[b"e"], budget=shared)


def one(**overrides: Any) -> Any:
    uploads = FakeUploads({"uploads/alice/k1": b"img", "uploads/alice/big": b"y" * 6_000_000})
    arguments: dict[str, Any] = {
        "caller": ALICE,
        "budget": budget(),
        "model": None,
        "version": None,
        "image": None,
        "s3_key": None,
        "top_k": 3,
    }
    return prediction_service(uploads=uploads).predict_one(**{**arguments, **overrides})


def test_predict_one_takes_exactly_one_of_image_and_key() -> None:
    assert one(image=b"x").model == "m"
    assert one(s3_key="uploads/alice/k1").model == "m"
    for both_or_neither in ({}, {"image": b"x", "s3_key": "uploads/alice/k1"}):
        with pytest.raises(BadUserInputError, match="exactly one of image and s3Key"):
            one(**both_or_neither)


def test_an_upload_may_be_larger_than_an_inline_image() -> None:
    # 6 MB: over the 4 MiB inline limit, under the 20 MiB upload limit.
    assert one(s3_key="uploads/alice/big").version == "2"


def test_uploads_are_private_to_their_owner() -> None:
    for key in (
        "uploads/bob/k1",
        "uploads/alice/../bob/k1",
        "models/m/1/model.onnx",
        "uploads/alice/missing",
    ):
        with pytest.raises(NotFoundError):
            one(s3_key=key)


def test_create_upload_under_the_callers_prefix() -> None:
    grant = prediction_service().create_upload(caller=ALICE, content_type="image/png", size=1000)
    assert grant.key.startswith("uploads/alice/")
    assert dict(grant.form.fields)["Content-Type"] == "image/png"
    assert grant.expires_in_s == 300
    with pytest.raises(BadUserInputError, match="contentType"):
        prediction_service().create_upload(caller=ALICE, content_type="text/html", size=10)
    with pytest.raises(BadUserInputError, match="size"):
        prediction_service().create_upload(caller=ALICE, content_type="image/png", size=0)
