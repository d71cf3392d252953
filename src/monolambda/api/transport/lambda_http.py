"""API Gateway events (HTTP API payload v2, REST v1) in, API Gateway responses out.

First this refuses what Mangum would otherwise fail on with a 500 (oversized or undecodable
bodies) and copes with events that carry a body but no Content-Type, as
`sam local generate-event apigateway aws-proxy` makes them. Then every request goes to Mangum,
which turns the event into an ASGI request for Strawberry's view: the one HTTP path.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from mangum import Mangum
from mangum.handlers import HTTPGateway
from mangum.types import ASGI, Scope

from monolambda import metrics
from monolambda.api.errors import error_body
from monolambda.api.transport.requests import CONTENT_TYPE_ASSUMED

_thread_state = threading.local()


def _use_event_loop() -> None:
    """Give this thread the one event loop it keeps for its life.

    Mangum runs each request on the thread's current loop (asyncio.get_event_loop()), which
    Python 3.12+ no longer creates implicitly. Lambda calls the handler from one thread; the
    local API server calls it from its own.
    """
    loop = getattr(_thread_state, "loop", None)
    if loop is None:
        loop = _thread_state.loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)


class HttpApiEvents(HTTPGateway):
    """Mangum's handler of HTTP API events (payloads 2.0 and 1.0), through its custom_handlers,
    with the scope built once a request: Mangum's own builds it a second time to read the
    payload's version as it answers."""

    @cached_property
    def scope(self) -> Scope:
        return super().scope


class HttpRoute:
    def __init__(self, app: ASGI, *, max_body_bytes: int) -> None:
        _use_event_loop()
        self._mangum = Mangum(app, lifespan="off", custom_handlers=[HttpApiEvents])
        self._max_body_bytes = max_body_bytes

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        _use_event_loop()
        body = event.get("body")
        if body:
            if event.get("isBase64Encoded"):
                try:
                    raw = _decoded(body, self._max_body_bytes)
                    text = raw.decode("utf-8") if raw is not None else None
                except (binascii.Error, UnicodeDecodeError):
                    return _refusal(event, 400, "the request body is not valid base64 UTF-8")
                if text is None:
                    return _too_large(event)
                event = {**event, "body": text, "isBase64Encoded": False}
            elif _utf8_size_over(body, self._max_body_bytes):
                return _too_large(event)
            if _method(event) == "POST" and not _has_header(event, "content-type"):
                event = _assume_json(event)
        return self._mangum(event, context)


def _decoded(body: str, limit: int) -> bytes | None:
    """The body's bytes, or None when they are more than `limit` (told from the base64
    text's length before decoding a byte of an obviously larger one)."""
    if len(body) > (limit + 2) // 3 * 4 + 4:
        return None
    raw = base64.b64decode(body, validate=True)
    return raw if len(raw) <= limit else None


def _utf8_size_over(body: str, limit: int) -> bool:
    # The limit is on bytes, as Lambda's is. A character is 1 to 4 bytes in UTF-8, so most
    # bodies are decided from their length alone; the rest are encoded to be counted.
    if len(body) > limit:
        return True
    if len(body) * 4 <= limit:
        return False
    return len(body.encode("utf-8", "surrogatepass")) > limit


def _too_large(event: Mapping[str, Any]) -> dict[str, Any]:
    return _refusal(event, 413, "the request body is larger than the limit", "PAYLOAD_TOO_LARGE")


def _method(event: Mapping[str, Any]) -> str:
    method = event.get("httpMethod") or (event.get("requestContext") or {}).get("http", {}).get(
        "method", ""
    )
    return str(method).upper()


def _has_header(event: Mapping[str, Any], name: str) -> bool:
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key) or {}
        if any(k.lower() == name for k in headers):
            return True
    return False


def _assume_json(event: dict[str, Any]) -> dict[str, Any]:
    """Read a body without Content-Type as JSON, marking the request read-only (see Context)."""
    event = {**event, CONTENT_TYPE_ASSUMED: True}
    event["headers"] = {**(event.get("headers") or {}), "content-type": "application/json"}
    if event.get("multiValueHeaders") is not None:
        event["multiValueHeaders"] = {
            **event["multiValueHeaders"],
            "content-type": ["application/json"],
        }
    return event


def _refusal(
    event: Mapping[str, Any], status: int, message: str, code: str = "BAD_REQUEST"
) -> dict[str, Any]:
    metrics.note_outcome(code)
    response: dict[str, Any] = {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(error_body(message, code)),
        "isBase64Encoded": False,
    }
    if event.get("version") != "2.0":
        response["multiValueHeaders"] = {}
    return response
