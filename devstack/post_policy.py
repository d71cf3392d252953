"""S3's checks of a browser upload (a presigned POST), in front of moto, which stores whatever
it is sent: the signature, the policy's expiry and every condition, as S3 documents them.

No local S3 stand-in that runs here without Docker does this: moto ignores the policy,
s3rver does not verify Signature Version 4, and LocalStack checks conditions but not the
signature. What is checked, from "Authenticating Requests in Browser-Based Uploads Using
POST" and "Creating a POST Policy" (Amazon S3 API Reference, Signature Version 4):

- the form has `key`, `policy`, `x-amz-algorithm` (AWS4-HMAC-SHA256), `x-amz-credential`,
  `x-amz-date`, `x-amz-signature` and, last, `file`; Signature Version 2 is refused;
- `x-amz-signature` is the hex HMAC-SHA256 of the base64 policy with the signing key derived
  from the credential's secret, date, region and service;
- the policy's `expiration` has not passed;
- every condition holds: exact matches (`{"field": "value"}`, `["eq", "$field", "value"]`),
  `["starts-with", "$field", "prefix"]` (for Content-Type, each comma-separated value),
  `["content-length-range", min, max]` against the file's size, and `bucket` against the
  bucket posted to;
- every form field but `x-amz-signature`, `file`, `policy` and `x-ignore-*` has a condition.

Form field names are matched without regard to case, values exactly. Refusals are S3's XML
errors with its codes and statuses (AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId,
EntityTooLarge, EntityTooSmall, InvalidArgument, InvalidPolicyDocument).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.formparser import parse_form_data

# The stack's own credentials (devstack.resources.LOCAL_CREDENTIALS): access key -> secret.
LOCAL_SECRETS = {"local": "local"}
# A POST's body is read whole before it is checked; S3 takes up to 5 GB, the stack this much.
MAX_BODY_BYTES = 100 * 1024 * 1024
_SIGNED_FIELDS = ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
_UNCONDITIONED = frozenset({"x-amz-signature", "file", "policy"})

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message

    def xml(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{escape(self.message)}</Message></Error>"
        ).encode()


@dataclass(frozen=True, slots=True)
class Upload:
    """A POST's form: its fields (names lower-cased) and its file's size."""

    fields: Mapping[str, str]
    file_size: int | None


def check(upload: Upload, bucket: str, now: datetime, secrets: Mapping[str, str]) -> None:
    """Refusal unless S3 would store this upload."""
    fields = upload.fields
    if "signature" in fields or "awsaccesskeyid" in fields:
        # S3 refuses Signature Version 2 for every bucket made since June 2020.
        raise Refusal(400, "InvalidArgument", "Signature Version 2 is not accepted; use V4")
    for name in ("key", "policy", *_SIGNED_FIELDS):
        if not fields.get(name):
            raise Refusal(
                400, "InvalidArgument", f"Bucket POST must contain a field named '{name}'."
            )
    if upload.file_size is None:
        raise Refusal(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    if fields["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
        raise Refusal(400, "InvalidArgument", "x-amz-algorithm must be AWS4-HMAC-SHA256")
    _check_signature(fields, secrets)
    policy = _policy(fields["policy"])
    _check_expiration(policy, now)
    conditions = policy.get("conditions")
    if not isinstance(conditions, list):
        raise Refusal(400, "InvalidPolicyDocument", "Invalid Policy: conditions must be a list")
    named = set()
    for condition in conditions:
        named.add(_check_condition(condition, fields, bucket, upload.file_size))
    extra = sorted(
        name
        for name in fields
        if name not in _UNCONDITIONED and not name.startswith("x-ignore-") and name not in named
    )
    if extra:
        raise Refusal(
            403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {extra[0]}"
        )


def _check_signature(fields: Mapping[str, str], secrets: Mapping[str, str]) -> None:
    parts = fields["x-amz-credential"].split("/")
    if len(parts) != len(("key", "date", "region", "s3", "aws4_request")) or parts[3:] != [
        "s3",
        "aws4_request",
    ]:
        raise Refusal(400, "InvalidArgument", "x-amz-credential is not a Signature V4 scope")
    access_key, date, region, service, terminator = parts
    secret = secrets.get(access_key)
    if secret is None:
        raise Refusal(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, fields["policy"].encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["x-amz-signature"].lower()):
        raise Refusal(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )


def _policy(encoded: str) -> dict[str, Any]:
    try:
        policy = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        raise Refusal(
            400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON or base64."
        ) from None
    if not isinstance(policy, dict):
        raise Refusal(400, "InvalidPolicyDocument", "Invalid Policy: not a JSON object.")
    return policy


def _check_expiration(policy: Mapping[str, Any], now: datetime) -> None:
    expiration = policy.get("expiration")
    if not isinstance(expiration, str):
        raise Refusal(400, "InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.")
    try:
        expires = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    except ValueError:
        raise Refusal(
            400, "InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value."
        ) from None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if now >= expires:
        raise Refusal(403, "AccessDenied", "Invalid according to Policy: Policy expired.")


def _check_condition(
    condition: object, fields: Mapping[str, str], bucket: str, file_size: int
) -> str:
    """The field the condition is about, once it holds; else Refusal."""
    failed = Refusal(
        403,
        "AccessDenied",
        f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}",
    )
    if isinstance(condition, dict) and len(condition) == 1:
        ((name, value),) = condition.items()
        name = str(name).lower()
        if _value(name, fields, bucket) != value:
            raise failed
        return name
    if isinstance(condition, list) and len(condition) == 3:  # noqa: PLR2004 - [op, $field, value]
        operator, subject, value = condition
        if operator == "content-length-range":
            low, high = _bound(subject), _bound(value)
            if file_size > high:
                raise Refusal(
                    400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
                )
            if file_size < low:
                raise Refusal(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                )
            return "content-length-range"
        if isinstance(subject, str) and subject.startswith("$") and isinstance(value, str):
            name = subject[1:].lower()
            given = _value(name, fields, bucket)
            if operator == "eq" and given == value:
                return name
            if operator == "starts-with" and given is not None and _starts(name, given, value):
                return name
            raise failed
    raise Refusal(
        400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {json.dumps(condition)}"
    )


def _value(name: str, fields: Mapping[str, str], bucket: str) -> str | None:
    return bucket if name == "bucket" else fields.get(name)


def _starts(name: str, given: str, prefix: str) -> bool:
    if name == "content-type":  # S3: each of a comma-separated list
        return all(part.strip().startswith(prefix) for part in given.split(","))
    return given.startswith(prefix)


def _bound(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise Refusal(
            400, "InvalidPolicyDocument", "Invalid Policy: content-length-range bounds"
        ) from None


class PostPolicyGate:
    """WSGI: S3 POST uploads (multipart/form-data to a bucket) are checked before moto gets
    them; every other request goes straight to moto."""

    def __init__(self, app: WsgiApp, secrets: Mapping[str, str] = LOCAL_SECRETS) -> None:
        self._app = app
        self._secrets = secrets

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        content_type = environ.get("CONTENT_TYPE", "")
        if environ.get("REQUEST_METHOD") != "POST" or not content_type.startswith(
            "multipart/form-data"
        ):
            return self._app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            return _refuse(
                Refusal(
                    400, "EntityTooLarge", f"the local stack takes POSTs up to {MAX_BODY_BYTES}"
                ),
                start_response,
            )
        body = environ["wsgi.input"].read(length)
        try:
            check(_upload(environ, body), _bucket(environ), datetime.now(UTC), self._secrets)
        except Refusal as refusal:
            return _refuse(refusal, start_response)
        return self._app({**environ, "wsgi.input": io.BytesIO(body)}, start_response)


def _upload(environ: dict[str, Any], body: bytes) -> Upload:
    copy = {**environ, "wsgi.input": io.BytesIO(body)}
    _, form, files = parse_form_data(copy, max_form_memory_size=MAX_BODY_BYTES)
    try:
        file = files.get("file")
        size = None
        if file is not None:
            file.stream.seek(0, io.SEEK_END)
            size = file.stream.tell()
        return Upload({k.lower(): v for k, v in form.items()}, size)
    finally:
        for stored in files.values():
            stored.close()


def _bucket(environ: Mapping[str, Any]) -> str:
    """The bucket posted to: path style (/bucket), or virtual-hosted (bucket.host)."""
    path = str(environ.get("PATH_INFO", "")).strip("/")
    if path:
        return path.split("/", 1)[0]
    host = str(environ.get("HTTP_HOST", "")).split(":", 1)[0]
    return host.split(".", 1)[0]


def _refuse(refusal: Refusal, start_response: StartResponse) -> list[bytes]:
    body = refusal.xml()
    reason = {400: "Bad Request", 403: "Forbidden"}.get(refusal.status, "Error")
    start_response(
        f"{refusal.status} {reason}",
        [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
    )
    return [body]
