"""External finding 7: the local S3 stand-in stored uploads S3 refuses (a text/html
Content-Type, bodies larger than declared, keys under another user's prefix, a key over a
model). devstack.post_policy checks a presigned POST as S3 documents it, in front of moto;
here the forms are made by boto3's own generate_presigned_post, as the function makes them."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from werkzeug.test import Client

from devstack.post_policy import LOCAL_SECRETS, PostPolicyGate, Refusal, Upload, check

BUCKET = "data"
KEY = "uploads/alice/one.png"


def form(
    *,
    size: int = 100,
    content_type: str = "image/png",
    expires: int = 900,
    secret: str = "local",  # noqa: S107 - the local stack's own stand-in secret
) -> dict[str, str]:
    """What createUpload answers (adapters/s3_uploads.py makes it the same way)."""
    s3 = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4"),  # as adapters/aws.py configures it
    )
    post = s3.generate_presigned_post(
        Bucket=BUCKET,
        Key=KEY,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size]],
        ExpiresIn=expires,
    )
    return {k: str(v) for k, v in post["fields"].items()}


def refusal(fields: dict[str, str], file_size: int | None = 50, bucket: str = BUCKET) -> Refusal:
    with pytest.raises(Refusal) as refused:
        check(
            Upload({k.lower(): v for k, v in fields.items()}, file_size),
            bucket,
            datetime.now(UTC),
            LOCAL_SECRETS,
        )
    return refused.value


def test_the_form_as_given_is_accepted() -> None:
    check(
        Upload({k.lower(): v for k, v in form().items()}, 100),
        BUCKET,
        datetime.now(UTC),
        LOCAL_SECRETS,
    )


@pytest.mark.parametrize(
    ("change", "size", "code"),
    [
        ({"Content-Type": "text/html"}, 50, "AccessDenied"),
        ({}, 6 * 1024, "EntityTooLarge"),  # larger than declared
        ({}, 0, "EntityTooSmall"),
        ({"key": "uploads/bob/one.png"}, 50, "AccessDenied"),  # another user's prefix
        ({"key": "models/digits/2/model.onnx"}, 50, "AccessDenied"),  # over a model
        ({"acl": "public-read"}, 50, "AccessDenied"),  # a field with no condition
        ({"x-amz-signature": "0" * 64}, 50, "SignatureDoesNotMatch"),
        (
            {"x-amz-credential": "nobody/20261203/us-east-1/s3/aws4_request"},
            50,
            "InvalidAccessKeyId",
        ),
        ({"x-amz-algorithm": "AWS4-HMAC-SHA1"}, 50, "InvalidArgument"),
        ({"policy": ""}, 50, "InvalidArgument"),
        ({"AWSAccessKeyId": "local", "signature": "x"}, 50, "InvalidArgument"),  # V2
    ],
    ids=[
        "text/html",
        "larger than declared",
        "empty",
        "another user's key",
        "a model's key",
        "unconditioned field",
        "forged signature",
        "unknown access key",
        "other algorithm",
        "no policy",
        "signature v2",
    ],
)
def test_what_s3_refuses_is_refused(change: dict[str, str], size: int, code: str) -> None:
    assert refusal({**form(), **change}, size).code == code


def test_a_policy_signed_with_another_secret_is_refused() -> None:
    assert refusal(form(secret="not-local")).code == "SignatureDoesNotMatch"


def test_an_expired_policy_is_refused() -> None:
    refused = refusal(form(expires=-5))
    assert (refused.status, refused.message) == (
        403,
        "Invalid according to Policy: Policy expired.",
    )


def test_another_bucket_is_refused() -> None:
    assert refusal(form(), bucket="other").code == "AccessDenied"


def test_a_form_without_a_file_is_refused() -> None:
    assert refusal(form(), file_size=None).code == "InvalidArgument"


class Moto:
    """Stands in for moto: records what reaches it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.bodies.append(environ["wsgi.input"].read())
        start_response("204 No Content", [])
        return [b""]


def multipart(fields: dict[str, str], content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for name, value in fields.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    body.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


def test_the_gate_passes_a_good_upload_to_moto_whole_and_stops_a_bad_one() -> None:
    moto = Moto()
    client = Client(PostPolicyGate(moto))
    good, content_type = multipart(form(), b"x" * 80)
    answer = client.post(f"/{BUCKET}", data=good, content_type=content_type)
    assert answer.status_code == 204
    assert moto.bodies == [good]  # exactly what was sent
    bad, content_type = multipart({**form(), "key": "models/digits/2/model.onnx"}, b"x" * 80)
    answer = client.post(f"/{BUCKET}", data=bad, content_type=content_type)
    assert answer.status_code == 403
    assert b"<Code>AccessDenied</Code>" in answer.data
    assert len(moto.bodies) == 1


def test_other_requests_reach_moto_unchecked() -> None:
    moto = Moto()
    client = Client(PostPolicyGate(moto))
    answer = client.post(
        "/", data="Action=ListQueues", content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 204
    assert moto.bodies == [b"Action=ListQueues"]


def test_form_field_names_are_matched_without_case() -> None:
    fields = form()
    fields["content-type"] = fields.pop("Content-Type")
    check(
        Upload({k.lower(): v for k, v in fields.items()}, 10),
        BUCKET,
        datetime.now(UTC),
        LOCAL_SECRETS,
    )
