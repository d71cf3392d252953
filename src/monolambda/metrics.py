"""The function's metrics, in CloudWatch's embedded metric format (EMF), as Powertools writes it.

An invocation records counts and timings here (`count`, `milliseconds`); the handler flushes
them once as the invocation ends: one JSON line per metric and set of dimension values on
stdout, which CloudWatch Logs turns into metrics (no API call, nothing waited on). Every
metric is declared in METRICS with its unit and dimensions, and every dimension has a bounded
set of values: a route, a root field of the schema (else "other"), an error code of the
API's own set (else OTHER), a job status, a worker or webhook outcome, a model of the registry.

Each declared metric's line is Powertools' own document (its EMF provider, which validates
names, units and dimensions), made by `make metrics-templates` (scripts/emf_templates.py)
with places for the namespace, timestamp, dimension values and values, and shipped as
emf-templates.json; a test fails when Powertools would write it otherwise. So no invocation
imports Powertools for its metrics (8 ms of a cold start, and 17 us a warm request, through
the provider each time); a series' line is made from its template once, then filled in
with the timestamp and values. POWERTOOLS_METRICS_DISABLED=true records nothing.
POWERTOOLS_METRICS_NAMESPACE names the namespace (the template: monolambda); both are read
once per container. Another part
of the process may watch what is written (`observe`): the local stack's /_devstack/metrics.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar, Token
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

Dimensions = dict[str, str]
# Every metric the function writes: its unit and its dimensions' names (besides `service`).
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Requests": ("Count", ("route", "operation", "outcome")),
    # Per client a request names (apollographql-client-name): a registered client's name, or
    # "other" (api.guard.trusted_documents.TrustedDocuments.client_of); unnamed requests are not.
    "RequestsByClient": ("Count", ("client", "outcome")),
    "ColdStart": ("Count", ("route",)),
    "PredictLatency": ("Milliseconds", ("model",)),
    "ImagesClassified": ("Count", ("model",)),
    "JobsSubmitted": ("Count", ()),
    "JobsFinished": ("Count", ("status",)),
    "JobAttempts": ("Count", ("outcome",)),
    "JobAttemptsRetried": ("Count", ()),
    "JobAttemptsFailed": ("Count", ()),
    "MalformedMessages": ("Count", ()),
    "DeadLetterSends": ("Count", ()),
    "Webhooks": ("Count", ("outcome",)),
    "SweeperRequeued": ("Count", ()),
    "SweeperFailed": ("Count", ()),
    # What became of a stream batch's live updates: sent, gone (the connection had gone),
    # failed (the management API failed), ended (too large to carry; its operation ended).
    "LiveUpdates": ("Count", ("outcome",)),
}
TEMPLATES_FILE = Path(__file__).with_name("emf-templates.json")
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

    __slots__ = ("client", "operation", "outcome", "points")

    def __init__(self) -> None:
        self.points: list[tuple[str, float, Dimensions]] = []
        self.operation: str | None = None
        self.outcome: str | None = None
        self.client: str | None = None


_CURRENT: ContextVar[Invocation | None] = ContextVar("monolambda_metrics", default=None)
_observers: list[Callable[[dict[str, Any]], None]] = []
_state = {"cold": True}


class _Environment(NamedTuple):
    disabled: bool
    namespace: str  # as JSON


@cache
def _environment() -> _Environment:
    """Read once per container: Lambda sets a function's environment before it starts (each
    read of os.environ is a microsecond or two of every request)."""
    return _Environment(
        disabled=os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() in ("1", "true"),
        namespace=json.dumps(os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "monolambda"),
    )


def forget_environment() -> None:
    """Read the environment again (a test's new container: bootstrap.reset)."""
    _environment.cache_clear()
    _LINES.clear()


def disabled() -> bool:
    return _environment().disabled


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """A count of a metric METRICS declares (its unit: Count)."""
    invocation = _CURRENT.get()
    if invocation is not None:
        invocation.points.append((name, value, dimensions))


def milliseconds(name: str, value: float, **dimensions: str) -> None:
    """A duration of a metric METRICS declares (its unit: Milliseconds)."""
    invocation = _CURRENT.get()
    if invocation is not None:
        invocation.points.append((name, value, dimensions))


def note_operation(operation: str) -> None:
    invocation = _CURRENT.get()
    if invocation is not None and invocation.operation is None:
        invocation.operation = operation


def note_client(client: str) -> None:
    """The client a request named, as a bounded value (a registered client's name, "other",
    "none")."""
    invocation = _CURRENT.get()
    if invocation is not None:
        invocation.client = client


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
            recorded.points.append(("ColdStart", 1, {"route": self._route}))
        if recorded.operation is not None or recorded.outcome is not None:
            outcome = recorded.outcome or "ok"
            counted = outcome if outcome in OUTCOMES else "OTHER"
            requests = {
                "route": self._route,
                "operation": recorded.operation or "none",
                "outcome": counted,
            }
            recorded.points.append(("Requests", 1, requests))
            if recorded.client is not None:
                by_client = {"client": recorded.client, "outcome": counted}
                recorded.points.append(("RequestsByClient", 1, by_client))
        _flush(recorded.points)


def _flush(points: list[tuple[str, float, Dimensions]]) -> None:
    if not points:
        return
    try:
        timestamp = str(int(time.time() * 1000))
        by_series: dict[tuple[str, tuple[str, ...]], list[float]] = {}
        for name, value, dimensions in points:
            labels = tuple(str(dimensions[d]) for d in METRICS[name][1])
            by_series.setdefault((name, labels), []).append(float(value))
        lines = []
        for series, values in by_series.items():
            head, middle, end = _line(series)
            lines.append(head + timestamp + middle + ",".join(map(repr, values)) + end)
        sys.stdout.write("".join(lines))
        for observer in _observers:
            for line in lines:
                observer(json.loads(line))
    except Exception:  # noqa: BLE001 - metrics never fail an invocation
        from monolambda.logs import logger  # noqa: PLC0415

        logger().warning("metrics were not written", exc_info=True)


# A series' line (a metric and its dimension values) but for its timestamp and values, made
# from its template once: the series are few (bounded dimensions), each request's the same.
_LINES: dict[tuple[str, tuple[str, ...]], tuple[str, str, str]] = {}
_MAX_LINES = 4096  # well above the bounded sets' product
_TIMESTAMP, _VALUES = "\x00", "\x01"  # never in a template's text or a JSON-quoted label


def _line(series: tuple[str, tuple[str, ...]]) -> tuple[str, str, str]:
    """The line's text before its timestamp, between its timestamp and its values, and after
    its values."""
    found = _LINES.get(series)
    if found is None:
        name, labels = series
        template = _templates()[name]
        quoted = (json.dumps(label) for label in labels)
        line = template.format(_environment().namespace, _TIMESTAMP, *quoted, _VALUES)
        head, rest = line.split(_TIMESTAMP)
        middle, end = rest.split(_VALUES)
        found = (head, middle, end)
        if len(_LINES) < _MAX_LINES:
            _LINES[series] = found
    return found


@cache
def _templates() -> dict[str, str]:
    """Each declared metric's line, with places for the namespace, timestamp, dimension
    values and values (scripts/emf_templates.py writes the file)."""
    loaded: dict[str, str] = json.loads(TEMPLATES_FILE.read_text())
    return loaded
