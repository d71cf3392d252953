"""Predictions through the local stack: API gateway, JWT, the function, S3 and SSM in moto."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_digits

from devstack import auth
from tests.support.images import digit_drawing, encode, solid
from tests.support.processes import predict_command
from tests.support.stack import LOCAL_BUCKET, RunningStack, post_form
from training import mnist, scenes

PREDICT = """query($i: PredictInput!) {
  predict(input: $i) { model version labels { label score } timings { decodeMs inferenceMs } }
}"""
BATCH = "query($i: PredictBatchInput!) { predictBatch(input: $i) { version labels { label } } }"
BUCKET = LOCAL_BUCKET


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def digits(n: int) -> tuple[list[bytes], list[int]]:
    """`n` reserved MNIST digits, spread over 0-9, each drawn dark on white at a random place
    and scale on a 480 x 320 canvas (the evaluation's canvas scene)."""
    reserved = mnist.reserved()
    picked = [(i % 10) * mnist.RESERVED + i // 10 for i in range(n)]
    rng = np.random.default_rng(n)
    pictures = [scenes.encoded(scenes.on_canvas(reserved.images[i], rng)) for i in picked]
    return pictures, [int(reserved.labels[i]) for i in picked]


def small_digits(n: int) -> tuple[list[bytes], list[int]]:
    """scikit-learn's 8x8 digits, as version 1 of the model learnt them, drawn at 28 x 28."""
    data = load_digits()
    return [encode(digit_drawing(x, 28)) for x in data.data[-n:]], list(data.target[-n:])


def errors(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def test_predict_a_drawn_digit(stack: RunningStack) -> None:
    images, labels = digits(1)
    status, body = stack.graphql(
        {"query": PREDICT, "variables": {"i": {"image": b64(images[0])}}}, stack.token
    )
    assert status == 200, body
    result = body["data"]["predict"]
    assert (result["model"], result["version"]) == ("digits", "3")  # the template's pointer
    assert result["labels"][0]["label"] == str(labels[0])
    assert len(result["labels"]) == 3
    assert result["timings"]["inferenceMs"] >= 0


def test_predict_with_a_data_url_and_the_rgb_model(stack: RunningStack) -> None:
    image = "data:image/png;base64," + b64(encode(solid((10, 200, 20))))
    variables = {"i": {"model": "colours", "image": image, "topK": 1}}
    _, body = stack.graphql({"query": PREDICT, "variables": variables}, stack.token)
    assert body["data"]["predict"]["labels"] == [
        {"label": "green", "score": pytest.approx(1, abs=0.05)}
    ]


def test_a_batch_of_64_in_one_call(stack: RunningStack) -> None:
    images, labels = digits(64)
    variables = {"i": {"images": [b64(i) for i in images], "topK": 1}}
    _, body = stack.graphql({"query": BATCH, "variables": variables}, stack.token)
    assert {r["version"] for r in body["data"]["predictBatch"]} == {"3"}  # the current version
    predicted = [int(r["labels"][0]["label"]) for r in body["data"]["predictBatch"]]
    assert float(np.mean(np.asarray(predicted) == np.asarray(labels))) >= 0.98
    variables = {"i": {"images": [b64(images[0])] * 65}}
    _, body = stack.graphql({"query": BATCH, "variables": variables}, stack.token)
    assert errors(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"model": "nope", "image": "AAAA"}, "BAD_USER_INPUT"),
        ({"version": "42", "image": b64(encode(solid((0, 0, 0))))}, "BAD_USER_INPUT"),
        ({"image": "not base64!"}, "BAD_USER_INPUT"),
        ({"image": b64(b"GIF89a but not really")}, "BAD_USER_INPUT"),
        ({"image": b64(encode(solid((0, 0, 0)))), "topK": 0}, "BAD_USER_INPUT"),
        ({"image": "AAAA", "s3Key": "uploads/x"}, "BAD_USER_INPUT"),
        ({}, "BAD_USER_INPUT"),
        ({"s3Key": "uploads/someone-else/photo"}, "NOT_FOUND"),
    ],
)
def test_bad_predictions(stack: RunningStack, variables: dict[str, Any], code: str) -> None:
    status, body = stack.graphql({"query": PREDICT, "variables": {"i": variables}}, stack.token)
    assert status == 200
    assert errors(body) == [code], body


def test_upload_then_predict_by_key(stack: RunningStack) -> None:
    images, labels = digits(1)
    create = """mutation($t: String!, $s: Int!) {
      createUpload(contentType: $t, size: $s) { url key expiresInSeconds fields { name value } }
    }"""
    _, body = stack.graphql(
        {"query": create, "variables": {"t": "image/png", "s": len(images[0])}}, stack.token
    )
    upload = body["data"]["createUpload"]
    assert upload["key"].startswith(f"uploads/{auth.user_sub('dev')}/")
    post_form(upload["url"], {f["name"]: f["value"] for f in upload["fields"]}, images[0])
    _, body = stack.graphql(
        {"query": PREDICT, "variables": {"i": {"s3Key": upload["key"]}}}, stack.token
    )
    assert body["data"]["predict"]["labels"][0]["label"] == str(labels[0])
    # The same key is not found for anyone else.
    bob = auth.mint("bob", key=auth.signing_key(stack.state_dir / auth.KEY_FILE.name))
    _, body = stack.graphql({"query": PREDICT, "variables": {"i": {"s3Key": upload["key"]}}}, bob)
    assert errors(body) == ["NOT_FOUND"]


def test_a_broken_version_is_unavailable_and_the_rest_still_works(stack: RunningStack) -> None:
    s3 = stack.client("s3")
    s3.put_object(Bucket=BUCKET, Key="models/digits/7/manifest.json", Body=b'{"labels": []}')
    image = b64(encode(solid((255, 255, 255))))
    _, body = stack.graphql(
        {"query": PREDICT, "variables": {"i": {"version": "7", "image": image}}}, stack.token
    )
    assert errors(body) == ["UNAVAILABLE"]
    assert "manifest is invalid (labels must be a non-empty list" in body["errors"][0]["message"]
    _, body = stack.graphql({"query": PREDICT, "variables": {"i": {"image": image}}}, stack.token)
    assert body["data"]["predict"]["version"] == "3"


def test_version_1_stays_loadable_by_its_number(stack: RunningStack) -> None:
    images, labels = small_digits(20)
    variables = {"i": {"images": [b64(i) for i in images], "version": "1", "topK": 1}}
    _, body = stack.graphql({"query": BATCH, "variables": variables}, stack.token)
    assert {r["version"] for r in body["data"]["predictBatch"]} == {"1"}
    predicted = [int(r["labels"][0]["label"]) for r in body["data"]["predictBatch"]]
    assert float(np.mean(np.asarray(predicted) == np.asarray(labels))) >= 0.9


def test_predictions_need_a_caller(stack: RunningStack) -> None:
    status, _ = stack.graphql({"query": PREDICT, "variables": {"i": {"image": "AAAA"}}})
    assert status == 401  # the gateway's JWT authorizer


def test_models(stack: RunningStack) -> None:
    query = "{ models { name current versions labels input { width height colour layout } } }"
    _, body = stack.graphql({"query": query}, stack.token)
    found = {m["name"]: m for m in body["data"]["models"]}
    assert found["digits"]["input"] == {
        "width": 28,
        "height": 28,
        "colour": "L",
        "layout": "NCHW",
    }
    assert found["colours"]["labels"] == ["red", "green", "blue"]
    assert (found["digits"]["current"], found["digits"]["versions"]) == ("3", ["1", "2", "3"])


def test_the_predict_command(stack: RunningStack, tmp_path: Any) -> None:
    images, labels = digits(1)
    picture = tmp_path / "digit.png"
    picture.write_bytes(images[0])
    result = predict_command(picture, "--url", f"{stack.api}/graphql", "--token", stack.token)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split()[0] == str(labels[0])
