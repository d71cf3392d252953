"""External finding 7, against the local stack: its S3 stored uploads that S3 refuses, all
with a correctly signed form from createUpload: a text/html Content-Type, bodies larger than
declared (6 KB, 21 MiB), a key under another user's prefix, and a key over the digits
model (which it overwrote). Each is refused now, as S3 refuses it, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.stack import LOCAL_BUCKET, RunningStack, gql, post_form, post_form_answer

CREATE = """mutation($t: String!, $s: Int!) {
  createUpload(contentType: $t, size: $s) { url key fields { name value } }
}"""
MODEL = "models/digits/2/model.onnx"


def upload_form(stack: RunningStack, size: int) -> tuple[str, str, dict[str, str]]:
    upload = gql(stack, CREATE, t="image/png", s=size)["data"]["createUpload"]
    return upload["url"], upload["key"], {f["name"]: f["value"] for f in upload["fields"]}


def stored(stack: RunningStack, key: str) -> Any:
    listed = stack.client("s3").list_objects_v2(Bucket=LOCAL_BUCKET, Prefix=key)
    return listed.get("Contents", [])


def test_the_form_createupload_answers_is_stored_as_declared(stack: RunningStack) -> None:
    url, key, fields = upload_form(stack, 100)
    post_form(url, fields, b"x" * 100)
    head = stack.client("s3").head_object(Bucket=LOCAL_BUCKET, Key=key)
    assert (head["ContentLength"], head["ContentType"]) == (100, "image/png")


@pytest.mark.parametrize(
    ("change", "size", "status", "code"),
    [
        ({"Content-Type": "text/html"}, 100, 403, "AccessDenied"),
        ({}, 6 * 1024, 400, "EntityTooLarge"),
        ({"key": "uploads/someone-else/x.png"}, 100, 403, "AccessDenied"),
        ({"key": MODEL}, 100, 403, "AccessDenied"),
        ({"x-amz-signature": "0" * 64}, 100, 403, "SignatureDoesNotMatch"),
    ],
    ids=["text/html", "larger than declared", "another user's prefix", "a model", "forged"],
)
def test_what_s3_refuses_the_local_stack_refuses(
    stack: RunningStack, change: dict[str, str], size: int, status: int, code: str
) -> None:
    model_before = stack.client("s3").head_object(Bucket=LOCAL_BUCKET, Key=MODEL)["ETag"]
    url, key, fields = upload_form(stack, 100)
    answer, body = post_form_answer(url, {**fields, **change}, b"x" * size)
    assert answer == status
    assert f"<Code>{code}</Code>".encode() in body
    assert stored(stack, key) == []
    assert stored(stack, "uploads/someone-else/") == []
    assert stack.client("s3").head_object(Bucket=LOCAL_BUCKET, Key=MODEL)["ETag"] == model_before


def test_a_body_over_the_upload_limit_is_refused(stack: RunningStack) -> None:
    url, key, fields = upload_form(stack, 20 * 1024 * 1024)  # the most createUpload grants
    answer, body = post_form_answer(url, fields, b"x" * (21 * 1024 * 1024))
    assert answer == 400
    assert b"<Code>EntityTooLarge</Code>" in body
    assert stored(stack, key) == []
