"""The Lambda entry point: picks a route by the event's shape. No logic lives here.

Each route's part of the container is built on its first event (bootstrap), so a cold start
pays only for its own route.
"""

from __future__ import annotations

# Before anything else is imported: the code Python generates while importing (dataclasses'
# methods, regular expressions, ...) comes compiled from the build (precompiled.py).
from monolambda import precompiled

precompiled.load()

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from monolambda import bootstrap, metrics, snapstart, tracing  # noqa: E402
from monolambda.events import EventKind, describe, kind_of  # noqa: E402
from monolambda.logs import logger  # noqa: E402

Route = Callable[[Any, Any], Any]


class UnroutableEventError(Exception):
    """The function was invoked with an event it has no route for."""


def _http(event: Any, context: Any) -> Any:
    return bootstrap.http()(event, context)


def _sqs(event: Any, context: Any) -> Any:
    return bootstrap.worker()(event, context)


def _s3(event: Any, context: Any) -> Any:
    return bootstrap.upload_trigger()(event, context)


def _stream(event: Any, context: Any) -> Any:
    return bootstrap.stream_trigger()(event, context)


def _websocket(event: Any, context: Any) -> Any:
    return bootstrap.websocket()(event, context)


def _schedule(event: Any, context: Any) -> Any:
    return bootstrap.schedule_trigger()(event, context)


# One entry per trigger.
ROUTES: dict[EventKind, Route] = {
    EventKind.API_GATEWAY_V2: _http,
    EventKind.API_GATEWAY_V1: _http,
    EventKind.SQS: _sqs,
    EventKind.S3: _s3,
    EventKind.DYNAMODB_STREAM: _stream,
    EventKind.SCHEDULE: _schedule,
    EventKind.WEBSOCKET: _websocket,
}


# The routes' names in metrics (a bounded dimension): the two API Gateway payloads are one.
_METRIC_ROUTES = {EventKind.API_GATEWAY_V2: "http", EventKind.API_GATEWAY_V1: "http"}


# In a SnapStart container, the hooks that build everything before the snapshot.
snapstart.register()


def handler(event: Any, context: Any) -> Any:
    kind = kind_of(event)
    route = ROUTES.get(kind) if kind is not None else None
    if route is None or kind is None:
        logger().error("no route for event", extra={"event_kind": kind, "event": describe(event)})
        raise UnroutableEventError(
            f"monolambda has no route for {kind or 'this'} event ({describe(event)})"
        )
    name = _METRIC_ROUTES.get(kind, kind.value)
    with metrics.invocation(name):
        if not tracing.active():
            return route(event, context)
        with tracing.subsegment(name, annotations={"route": name}):
            return route(event, context)
