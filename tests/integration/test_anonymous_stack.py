"""External finding: deployed with AuthEnabled=false, models and predict answered
UNAUTHENTICATED, so a stack without an authorizer could not predict at all, and
scripts/predict.py insisted on a token. Such a stack serves the one anonymous caller."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.support.images import encode
from tests.support.processes import predict_command
from tests.support.stack import RunningStack, launch, shut_down

PREDICT = "query($i: PredictInput!) { predict(input: $i) { model labels { label } } }"


@pytest.fixture(scope="module")
def open_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = launch(
        tmp_path_factory.mktemp("open-stack"), "--parameter-overrides", "AuthEnabled=false"
    )
    yield stack
    shut_down(stack)


def digit_one() -> bytes:
    image = Image.new("L", (28, 28), 255)
    image.paste(0, (12, 4, 16, 24))  # a vertical stroke
    return encode(image)


def test_without_a_token_requests_are_the_anonymous_caller(open_stack: RunningStack) -> None:
    status, body = open_stack.graphql({"query": "{ me { sub groups anonymous } }"})
    assert status == 200
    assert body == {"data": {"me": {"sub": "anonymous", "groups": [], "anonymous": True}}}
    assert open_stack.token == ""  # nothing to sign in to: the state says so


def test_models_and_predict_work_without_a_token(open_stack: RunningStack) -> None:
    _, body = open_stack.graphql({"query": "{ models { name } }"})
    assert {m["name"] for m in body["data"]["models"]} == {"digits", "colours"}
    image = base64.b64encode(digit_one()).decode()
    _, body = open_stack.graphql({"query": PREDICT, "variables": {"i": {"image": image}}})
    assert body["data"]["predict"]["model"] == "digits", body


def test_uploads_go_under_the_anonymous_prefix(open_stack: RunningStack) -> None:
    query = 'mutation { createUpload(contentType: "image/png", size: 10) { key } }'
    _, body = open_stack.graphql({"query": query})
    assert body["data"]["createUpload"]["key"].startswith("uploads/anonymous/")


def test_the_predict_command_needs_no_token(open_stack: RunningStack, tmp_path: Path) -> None:
    picture = tmp_path / "digit.png"
    picture.write_bytes(digit_one())
    result = predict_command(picture, "--url", f"{open_stack.api}/graphql")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("digits v3:")
