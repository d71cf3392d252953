"""API Gateway events (HTTP API payload v2, REST v1) in, API Gateway responses out.

First this refuses what Mangum would otherwise fail on with a 500 (oversized or undecodable
bodies) and copes with events that carry a body but no Content-Type, as
`sam local generate-event apigateway aws-proxy` makes them. A plain JSON operation is then
answered by the direct path (api/direct.py); everything else goes to Mangum, which turns the
event into an ASGI request for Strawberry's view.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
from collections.abc import Mapping
from typing import Any

from mangum import Mangum
from mangum.types import ASGI

from monolambda.api.context import CONTENT_TYPE_ASSUMED, request_id_for
from monolambda.api.direct import DirectExecution
from monolambda.api.errors import MASKED_MESSAGE, error_body
from monolambda.logs import logger

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


class HttpRoute:
    def __init__(
        self, app: ASGI, *, max_body_bytes: int, direct: DirectExecution | None = None
    ) -> None:
        _use_event_loop()
        self._mangum = Mangum(app, lifespan="off")
        self._max_body_bytes = max_body_bytes
        self._direct = direct if direct is not None and direct.enabled else None

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        _use_event_loop()
        body = event.get("body")
        if body:
            if len(body) > self._max_body_bytes * (4 / 3 if event.get("isBase64Encoded") else 1):
                return _refusal(
                    event, 413, "the request body is larger than the limit", "PAYLOAD_TOO_LARGE"
                )
            if event.get("isBase64Encoded"):
                try:
                    text = base64.b64decode(body, validate=True).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError):
                    return _refusal(event, 400, "the request body is not valid base64 UTF-8")
                if len(text) > self._max_body_bytes:
                    return _refusal(
                        event, 413, "the request body is larger than the limit", "PAYLOAD_TOO_LARGE"
                    )
                event = {**event, "body": text, "isBase64Encoded": False}
            if _method(event) == "POST" and not _has_header(event, "content-type"):
                event = _assume_json(event)
            elif self._direct is not None:
                answer = self._answer_directly(self._direct, event, context)
                if answer is not None:
                    return answer
        return self._mangum(event, context)

    @staticmethod
    def _answer_directly(
        direct: DirectExecution, event: dict[str, Any], context: Any
    ) -> dict[str, Any] | None:
        try:
            return direct.try_answer(event, event["body"], context)
        except Exception:  # noqa: BLE001 - as GraphQLPaths does for the ASGI path: mask, log
            request_id = request_id_for(event, context)
            logger().exception(
                "unexpected error in the HTTP layer", extra={"request_id": request_id}
            )
            return _refusal(event, 500, MASKED_MESSAGE, "INTERNAL", request_id=request_id)


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
    event: Mapping[str, Any],
    status: int,
    message: str,
    code: str = "BAD_REQUEST",
    *,
    request_id: str | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(error_body(message, code, request_id)),
        "isBase64Encoded": False,
    }
    if event.get("version") != "2.0":
        response["multiValueHeaders"] = {}
    return response
