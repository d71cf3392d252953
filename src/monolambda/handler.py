"""The Lambda entry point: picks a route by the event's shape. No logic lives here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from monolambda import bootstrap
from monolambda.events import EventKind, describe, kind_of
from monolambda.logs import logger

Route = Callable[[Any, Any], Any]


class UnroutableEventError(Exception):
    """The function was invoked with an event it has no route for."""


def _http(event: Any, context: Any) -> Any:
    return bootstrap.container().http(event, context)


# One entry per trigger; the worker, S3 and schedule routes join here.
ROUTES: dict[EventKind, Route] = {
    EventKind.API_GATEWAY_V2: _http,
    EventKind.API_GATEWAY_V1: _http,
}


def handler(event: Any, context: Any) -> Any:
    kind = kind_of(event)
    route = ROUTES.get(kind) if kind is not None else None
    if route is None:
        logger().error("no route for event", extra={"event_kind": kind, "event": describe(event)})
        raise UnroutableEventError(
            f"monolambda has no route for {kind or 'this'} event ({describe(event)})"
        )
    return route(event, context)
