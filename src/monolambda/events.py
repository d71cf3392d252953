"""Which trigger sent an event, told from the event's shape alone."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    API_GATEWAY_V2 = "api-gateway-v2"  # HTTP API, payload format 2.0
    API_GATEWAY_V1 = "api-gateway-v1"  # REST API proxy (or HTTP API payload 1.0)
    SQS = "sqs"
    S3 = "s3"
    DYNAMODB_STREAM = "dynamodb-stream"
    SCHEDULE = "schedule"
    WEBSOCKET = "websocket"  # API Gateway's WebSocket API: $connect, $default, $disconnect


_RECORD_SOURCES = {
    "aws:sqs": EventKind.SQS,
    "aws:s3": EventKind.S3,
    "aws:dynamodb": EventKind.DYNAMODB_STREAM,
}

_WEBSOCKET_EVENTS = frozenset({"CONNECT", "MESSAGE", "DISCONNECT"})


def kind_of(event: object) -> EventKind | None:  # noqa: PLR0911 - one return per shape reads best
    if not isinstance(event, Mapping):
        return None
    request_context = event.get("requestContext")
    if isinstance(request_context, Mapping):
        if event.get("version") == "2.0" and isinstance(request_context.get("http"), Mapping):
            return EventKind.API_GATEWAY_V2
        if isinstance(event.get("httpMethod"), str) and "resource" in event:
            return EventKind.API_GATEWAY_V1
        if request_context.get("eventType") in _WEBSOCKET_EVENTS and isinstance(
            request_context.get("connectionId"), str
        ):
            return EventKind.WEBSOCKET
        return None
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        # Lambda never mixes sources in one batch; the first record speaks for all.
        first: Mapping[str, Any] = records[0]
        return _RECORD_SOURCES.get(str(first.get("eventSource") or first.get("EventSource")))
    if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
        return EventKind.SCHEDULE
    return None


def describe(event: object) -> str:
    """A log-safe outline of an event: its top-level keys, never its values."""
    if isinstance(event, Mapping):
        return "object with keys " + ", ".join(sorted(str(k) for k in event)[:20])
    return type(event).__name__
