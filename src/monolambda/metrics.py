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
import time
from collections.abc import Callable
from contextvars import ContextVar, Token
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


class invocation:  # lower case: used as `with metrics.invocation(route):`
    """Records what the block's invocation does, and writes it when it ends, whatever the
    block raised (a failed invocation's metrics count too). A class rather than a generator:
    it runs once per request (about 2 us less)."""

    __slots__ = ("_recorded", "_route", "_token")

    def __init__(self, route: str) -> None:
        self._route = route
        self._recorded: Invocation | None = None
        self._token: Token[Invocation | None] | None = None

    def __enter__(self) -> Invocation | None:
        if disabled():
            return None
        self._recorded = Invocation()
        self._token = _CURRENT.set(self._recorded)
        return self._recorded

    def __exit__(self, *exc_info: object) -> None:
        recorded = self._recorded
        if recorded is None:
            return
        if self._token is not None:
            _CURRENT.reset(self._token)
        if _state["cold"]:
            _state["cold"] = False
            recorded.points.append(("ColdStart", "Count", 1, {"route": self._route}))
        if recorded.operation is not None or recorded.outcome is not None:
            outcome = recorded.outcome or "ok"
            requests = {
                "route": self._route,
                "operation": recorded.operation or "none",
                "outcome": outcome if outcome in OUTCOMES else "OTHER",
            }
            recorded.points.append(("Requests", "Count", 1, requests))
        _flush(recorded.points)


def _flush(points: list[tuple[str, str, float, Dimensions]]) -> None:
    if not points:
        return
    try:
        namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "monolambda"
        by_dimensions: dict[tuple[tuple[str, str], ...], dict[tuple[str, str], list[float]]] = {}
        for name, unit, value, dimensions in points:
            key = tuple(sorted(dimensions.items()))
            by_dimensions.setdefault(key, {}).setdefault((name, unit), []).append(float(value))
        lines = [_line(namespace, key, values) for key, values in by_dimensions.items()]
        sys.stdout.write("".join(lines))
        for observer in _observers:
            for line in lines:
                observer(json.loads(line))
    except Exception:  # noqa: BLE001 - metrics never fail an invocation
        from monolambda.logs import logger  # noqa: PLC0415

        logger().warning("metrics were not written", exc_info=True)


# Powertools' document for each shape of metric set (namespace, dimensions, metric names and
# units), made and validated by its provider the first time that shape is written, kept as
# a format string: every later line differs only in its timestamp and values. Through the
# provider a set costs ~17 us, about a tenth of a warm request; the format, ~2 us. Bounded:
# dimensions come from bounded sets (and at most _MAX_SHAPES are kept).
_SHAPES: dict[tuple[Any, ...], str] = {}
_MAX_SHAPES = 1024
_MARK = "\\u0000"  # how json.dumps writes the NUL that marks a value's place


def _line(
    namespace: str,
    key: tuple[tuple[str, str], ...],
    values: dict[tuple[str, str], list[float]],
) -> str:
    metrics = tuple(sorted(values))  # (name, unit) pairs
    shape = (namespace, key, metrics)
    known = _SHAPES.get(shape)
    if known is None:
        known = _template(namespace, key, metrics)
        if len(_SHAPES) < _MAX_SHAPES:
            _SHAPES[shape] = known
    numbers = [",".join(map(repr, values[metric])) for metric in metrics]
    return known.format(int(time.time() * 1000), *numbers)


def _template(
    namespace: str, key: tuple[tuple[str, str], ...], metrics: tuple[tuple[str, str], ...]
) -> str:
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (  # noqa: PLC0415
        AmazonCloudWatchEMFProvider,
    )

    provider = AmazonCloudWatchEMFProvider(namespace=namespace, service="monolambda")
    for name, unit in metrics:
        provider.add_metric(name=name, unit=unit, value=0)
    for dimension, label in key:  # one dimension set: service and these
        provider.add_dimension(name=dimension, value=label)
    document: dict[str, Any] = dict(provider.serialize_metric_set())
    document["_aws"] = {**document["_aws"], "Timestamp": "\0T"}
    for index, (name, _) in enumerate(metrics):
        document[name] = f"\0{index}"
    text = json.dumps(document, separators=(",", ":")).replace("{", "{{").replace("}", "}}")
    text = text.replace(f'"{_MARK}T"', "{0}")
    for index in range(len(metrics)):
        text = text.replace(f'"{_MARK}{index}"', f"[{{{index + 1}}}]")
    return text + "\n"
