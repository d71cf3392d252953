"""X-Ray subsegments, sent by hand to the X-Ray daemon over UDP, as its protocol documents.

With active tracing (the template's Tracing=Active), Lambda records each invocation's segment
and hands the function its trace header in _X_AMZN_TRACE_ID ("Root=1-...;Parent=...;
Sampled=1"); the daemon listens on AWS_XRAY_DAEMON_ADDRESS. A subsegment is one JSON
document, sent as it ends, after the header line {"format": "json", "version": 1}: the
invocation's route, and (`traced`) each call of a port to AWS, the model or a webhook
receiver, nested under what was running when it began.

Why not Powertools' Tracer: it creates aws-xray-sdk's recorder, ~190 ms of a cold start
here (docs/operations.md, "Observability"); this costs a UDP datagram per subsegment and
nothing when the invocation is not sampled, or when TRACING is not Active (no proxy is even made).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

T = TypeVar("T")
HEADER = b'{"format": "json", "version": 1}\n'
TRACE_HEADER = "_X_AMZN_TRACE_ID"
DAEMON = "AWS_XRAY_DAEMON_ADDRESS"

# The subsegment running now (its id), per thread and task: what a new one nests under.
_PARENT: ContextVar[str | None] = ContextVar("monolambda_trace_parent", default=None)
_socket: list[socket.socket] = []


def active() -> bool:
    """Tracing asked for by the deployment (the template's Tracing parameter)."""
    return os.environ.get("TRACING") == "Active"


def _trace() -> tuple[str, str] | None:
    """(root, parent) of the current invocation when it is sampled."""
    header = os.environ.get(TRACE_HEADER)
    if not header or "Sampled=1" not in header:
        return None
    fields = dict(part.split("=", 1) for part in header.split(";") if "=" in part)
    root, parent = fields.get("Root"), fields.get("Parent")
    if not root or not parent:
        return None
    return root, parent


def _daemon() -> tuple[str, int]:
    # "127.0.0.1:2000", or "tcp:127.0.0.1:2000 udp:127.0.0.1:2000".
    address = os.environ.get(DAEMON) or "127.0.0.1:2000"
    for part in address.split():
        if part.startswith("udp:"):
            address = part[4:]
    host, _, port = address.rpartition(":")
    return host, int(port)


def _send(document: dict[str, Any]) -> None:
    try:
        if not _socket:
            _socket.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        payload = HEADER + json.dumps(document, separators=(",", ":")).encode()
        _socket[0].sendto(payload, _daemon())
    except (OSError, ValueError):
        pass  # a trace is never worth failing the invocation for


@contextmanager
def subsegment(
    name: str, *, namespace: str | None = None, annotations: dict[str, str] | None = None
) -> Iterator[None]:
    """Times the block as a subsegment of the current invocation's trace (when sampled)."""
    trace = _trace()
    if trace is None:
        yield
        return
    root, lambda_parent = trace
    identifier = secrets.token_hex(8)
    parent = _PARENT.get() or lambda_parent
    token = _PARENT.set(identifier)
    started = time.time()
    fault: BaseException | None = None
    try:
        yield
    except BaseException as e:
        fault = e
        raise
    finally:
        _PARENT.reset(token)
        document: dict[str, Any] = {
            "name": name[:200],
            "id": identifier,
            "trace_id": root,
            "parent_id": parent,
            "type": "subsegment",
            "start_time": started,
            "end_time": time.time(),
        }
        if namespace:
            document["namespace"] = namespace
        if annotations:
            document["annotations"] = annotations
        if fault is not None:
            # The exception's type only: its message may hold a caller's data.
            document["fault"] = True
            document["cause"] = {"exceptions": [{"type": type(fault).__name__}]}
        _send(document)


class _Traced:
    """A port whose public methods each run in a subsegment named `{name}.{method}`."""

    def __init__(self, port: Any, name: str, namespace: str | None) -> None:
        self._port = port
        self._name = name
        self._namespace = namespace

    def __getattr__(self, attribute: str) -> Any:
        found = getattr(self._port, attribute)
        if attribute.startswith("_") or not callable(found):
            return found
        label = f"{self._name}.{attribute}"
        namespace = self._namespace

        def call(*args: Any, **kwargs: Any) -> Any:
            with subsegment(label, namespace=namespace):
                return found(*args, **kwargs)

        return call


def traced(port: T, name: str, namespace: str | None = None) -> T:
    """The port itself when tracing is not Active; else one whose calls are subsegments.
    `namespace`: "aws" for a port that calls an AWS service, "remote" for another service."""
    if not active():
        return port
    return cast("T", _Traced(port, name, namespace))


def forget_socket() -> None:
    """After a SnapStart restore: a socket of this copy's own, made on the next send."""
    for sent in _socket:
        sent.close()
    _socket.clear()
