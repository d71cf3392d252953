"""The prediction API's resolvers, through the schema, over in-memory fakes of the ports:
each field translates its input, calls one use case and translates the answer back."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from monolambda.domain.identity import ANONYMOUS, Caller
from tests.support.fakes import NOT_AN_IMAGE, FakeImages, FakeUploads, prediction_service
from tests.support.schema import execute, make_schema, make_services

ALICE = Caller(sub="alice")
PREDICT = "query($i: PredictInput!) { predict(input: $i) { model version labels { label score } } }"
BATCH = "query($i: PredictBatchInput!) { predictBatch(input: $i) { version labels { label } } }"
UPLOAD = (
    'mutation { createUpload(contentType: "image/png", size: 100) '
    "{ url key fields { name value } expiresInSeconds } }"
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def run(
    query: str,
    variables: dict[str, Any] | None = None,
    caller: Caller | None = ALICE,
    images: FakeImages | None = None,
) -> Any:
    uploads = FakeUploads({"uploads/alice/k": b"uploaded"})
    services = make_services(predictions=prediction_service(images=images, uploads=uploads))
    return execute(make_schema(), query, variables=variables, caller=caller, services=services)


def codes(result: Any) -> list[str]:
    return [e.extensions["code"] for e in result.errors or ()]


def test_models_lists_the_registry() -> None:
    result = run("{ models { name current versions description labels input { layout width } } }")
    assert result.errors is None
    assert result.data["models"][0] == {
        "name": "m",
        "current": "2",
        "versions": ["1", "2"],
        "description": "m v2",
        "labels": ["cat", "dog", "eel"],
        "input": {"layout": "NC", "width": 2},
    }


def test_predict_an_inline_image_with_the_default_model() -> None:
    images = FakeImages()
    result = run(PREDICT, {"i": {"image": b64(b"pixels"), "topK": 2}}, images=images)
    assert result.errors is None
    assert result.data["predict"] == {
        "model": "m",
        "version": "2",
        "labels": [{"label": "dog", "score": 0.7}, {"label": "eel", "score": 0.2}],
    }
    assert images.prepared == [b"pixels"]  # the base64 was decoded for the use case


def test_predict_a_data_url_and_an_upload() -> None:
    images = FakeImages()
    run(PREDICT, {"i": {"image": "data:image/png;base64," + b64(b"d")}}, images=images)
    run(PREDICT, {"i": {"s3Key": "uploads/alice/k", "model": "n"}}, images=images)
    assert images.prepared == [b"d", b"uploaded"]


@pytest.mark.parametrize(
    ("variables", "code", "message"),
    [
        ({}, "BAD_USER_INPUT", "exactly one of image and s3Key"),
        ({"image": "AAAA", "s3Key": "uploads/alice/k"}, "BAD_USER_INPUT", "exactly one"),
        ({"image": "not base64!"}, "BAD_USER_INPUT", "not valid base64"),
        ({"image": "data:image/png,raw"}, "BAD_USER_INPUT", "must be base64-encoded"),
        ({"image": b64(NOT_AN_IMAGE)}, "BAD_USER_INPUT", "the image is not a PNG"),
        ({"image": "AAAA", "model": "nope"}, "BAD_USER_INPUT", "no model named 'nope'"),
        ({"image": "AAAA", "topK": 0}, "BAD_USER_INPUT", "topK"),
        ({"s3Key": "uploads/bob/k"}, "NOT_FOUND", "no such upload"),
    ],
)
def test_predict_refusals_carry_codes(variables: dict[str, Any], code: str, message: str) -> None:
    result = run(PREDICT, {"i": variables})
    assert codes(result) == [code]
    assert message in result.errors[0].message
    assert result.errors[0].path == ["predict"]


def test_predict_needs_a_caller() -> None:
    assert codes(run(PREDICT, {"i": {"image": "AAAA"}}, caller=None)) == ["UNAUTHENTICATED"]


def test_predict_batch_translates_every_image() -> None:
    images = FakeImages()
    result = run(BATCH, {"i": {"images": [b64(b"a"), b64(b"b")], "version": "1"}}, images=images)
    assert result.errors is None
    assert [p["version"] for p in result.data["predictBatch"]] == ["1", "1"]
    assert images.prepared == [b"a", b"b"]


def test_a_batch_over_the_image_budget_is_refused_before_decoding_base64() -> None:
    images = FakeImages()
    result = run(BATCH, {"i": {"images": ["not base64!"] * 65}}, images=images)
    assert codes(result) == ["BAD_USER_INPUT"]
    assert "at most 64 images per request" in result.errors[0].message  # not a base64 error
    assert images.measured == []


def test_a_bad_image_of_a_batch_is_named() -> None:
    result = run(BATCH, {"i": {"images": [b64(b"a"), "%%%"]}})
    assert result.errors[0].message == "images[1] is not valid base64"


def test_create_upload_answers_a_form_under_the_callers_prefix() -> None:
    result = run(UPLOAD)
    assert result.errors is None
    upload = result.data["createUpload"]
    assert upload["key"].startswith("uploads/alice/")
    assert {"name": "Content-Type", "value": "image/png"} in upload["fields"]
    assert upload["expiresInSeconds"] == 300


def test_the_anonymous_caller_has_its_own_prefix() -> None:
    upload = run(UPLOAD, caller=ANONYMOUS).data["createUpload"]
    assert upload["key"].startswith("uploads/anonymous/")


def test_without_a_registry_the_prediction_fields_are_unavailable() -> None:
    result = execute(make_schema(), "{ models { name } }", caller=ALICE, services=make_services())
    assert codes(result) == ["UNAVAILABLE"]
