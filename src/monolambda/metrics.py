"""The function's metrics, in CloudWatch's embedded metric format (EMF), written by Powertools.

An invocation records counts and timings here (`count`, `milliseconds`); the handler flushes
them once as the invocation ends: one JSON line per set of dimensions on stdout, which
CloudWatch Logs turns into metrics (no API call, nothing waited on). Every dimension has a
bounded set of values: a route, a root field of the schema (else "other"), an error code of
the API's own set (else OTHER), a job status, a webhook outcome, a model of the registry.

Powertools is imported at the first flush, not at start-up (README, "Observability": its
cost in the first invocation). POWERTOOLS_METRICS_DISABLED=true records and imports
nothing. POWERTOOLS_METRICS_NAMESPACE names the namespace (the template: monolambda).
Another part of the process may watch what is written (`observe`): the local stack's
/_devstack/metrics page does.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

Dimensions = dict[str, str]
# What the API answers with: anything else is counted as OTHER.
OUTCOMES = frozenset(
    {
        "ok",
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "RATE_LIMITED",
        "UNAVAILABLE",
        "INTERNAL",
        "BAD_REQUEST",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "PERSISTED_QUERY_NOT_FOUND",
        "TRUSTED_DOCUMENTS_ONLY",
        "PAYLOAD_TOO_LARGE",
        "METHOD_NOT_ALLOWED",
    }
)


class Invocation:
    """What one invocation recorded; the API's request also notes its operation (a root
    field of the schema) and its outcome (ok, or the first error's code)."""

    __slots__ = ("operation", "outcome", "points")

    def __init__(self) -> None:
        self.points: list[tuple[str, str, float, Dimensions]] = []
        self.operation: str | None = None
        self.outcome: str | None = None


_CURRENT: ContextVar[Invocation | None] = ContextVar("monolambda_metrics", default=None)
_observers: list[Callable[[dict[str, Any]], None]] = []
_state = {"cold": True}


def disabled() -> bool:
    return os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() in ("1", "true")


def count(name: str, value: float = 1, **dimensions: str) -> None:
    invocation = _CURRENT.get()
    if invocation is not None:
        invocation.points.append((name, "Count", value, dimensions))


def milliseconds(name: str, value: float, **dimensions: str) -> None:
    invocation = _CURRENT.get()
    if invocation is not None:
        invocation.points.append((name, "Milliseconds", value, dimensions))


def note_operation(operation: str) -> None:
    invocation = _CURRENT.get()
    if invocation is not None and invocation.operation is None:
        invocation.operation = operation


def note_outcome(outcome: str) -> None:
    """The first outcome noted stands (the first error's code)."""
    invocation = _CURRENT.get()
    if invocation is not None and invocation.outcome is None:
        invocation.outcome = outcome


def count_next_as_cold_start() -> None:
    """A container restored from a SnapStart snapshot: its first invocation is its start."""
    _state["cold"] = True


def observe(observer: Callable[[dict[str, Any]], None]) -> None:
    """Also hand each EMF document written to `observer` (the local stack's metrics page)."""
    _observers.append(observer)


@contextmanager
def invocation(route: str) -> Iterator[Invocation | None]:
    """Records what the block's invocation does, and writes it when it ends, whatever the
    block raised (a failed invocation's metrics count too)."""
    if disabled():
        yield None
        return
    recorded = Invocation()
    token = _CURRENT.set(recorded)
    try:
        yield recorded
    finally:
        _CURRENT.reset(token)
        if _state["cold"]:
            _state["cold"] = False
            recorded.points.append(("ColdStart", "Count", 1, {"route": route}))
        if recorded.operation is not None or recorded.outcome is not None:
            outcome = recorded.outcome or "ok"
            requests = {
                "route": route,
                "operation": recorded.operation or "none",
                "outcome": outcome if outcome in OUTCOMES else "OTHER",
            }
            recorded.points.append(("Requests", "Count", 1, requests))
        _flush(recorded.points)


def _flush(points: list[tuple[str, str, float, Dimensions]]) -> None:
    if not points:
        return
    try:
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (  # noqa: PLC0415
            AmazonCloudWatchEMFProvider,
        )

        namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "monolambda"
        by_dimensions: dict[tuple[tuple[str, str], ...], list[tuple[str, str, float]]] = {}
        for name, unit, value, dimensions in points:
            key = tuple(sorted(dimensions.items()))
            by_dimensions.setdefault(key, []).append((name, unit, value))
        for key, metrics in by_dimensions.items():
            provider = AmazonCloudWatchEMFProvider(namespace=namespace, service="monolambda")
            for name, unit, value in metrics:
                provider.add_metric(name=name, unit=unit, value=value)
            for dimension, label in key:  # one dimension set: service and these
                provider.add_dimension(name=dimension, value=label)
            document = dict(provider.serialize_metric_set())
            sys.stdout.write(json.dumps(document, separators=(",", ":")) + "\n")
            for observer in _observers:
                observer(document)
    except Exception:  # noqa: BLE001 - metrics never fail an invocation
        from monolambda.logs import logger  # noqa: PLC0415

        logger().warning("metrics were not written", exc_info=True)
