"""X-Ray subsegments sent by hand over UDP: to a daemon stand-in on 127.0.0.1, only for a
sampled invocation, nested under what was running, a failure's type and never its message."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from monolambda import tracing
from tests.conftest import Invoke
from tests.support.apigw import http_api_event

ROOT = "1-67a0c3b1-0123456789abcdef01234567"
PARENT = "53995c3f42cd8ad8"


@pytest.fixture
def daemon(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(10)
    host, port = listener.getsockname()
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"{host}:{port}")
    monkeypatch.setenv("TRACING", "Active")
    yield listener
    listener.close()
    tracing.forget_socket()


def sampled(monkeypatch: pytest.MonkeyPatch, flag: str = "1") -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={ROOT};Parent={PARENT};Sampled={flag}")


def received(daemon: socket.socket) -> dict[str, Any]:
    payload = daemon.recv(65536)
    header, _, body = payload.partition(b"\n")
    assert json.loads(header) == {"format": "json", "version": 1}
    document: dict[str, Any] = json.loads(body)
    return document


def test_an_invocation_is_a_subsegment_of_lambdas_segment(
    daemon: socket.socket, monkeypatch: pytest.MonkeyPatch, invoke: Invoke
) -> None:
    sampled(monkeypatch)
    invoke(http_api_event({"query": "{ health { status } }"}, claims={"sub": "alice"}))
    document = received(daemon)
    assert document["name"] == "http"
    assert document["trace_id"] == ROOT
    assert document["parent_id"] == PARENT
    assert document["type"] == "subsegment"
    assert len(document["id"]) == 16  # 64 bits in hex
    assert document["start_time"] <= document["end_time"]
    assert document["annotations"] == {"route": "http"}


def test_nothing_is_sent_for_an_invocation_not_sampled(
    daemon: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    sampled(monkeypatch, "0")
    with tracing.subsegment("not sampled"):
        pass
    sampled(monkeypatch)
    with tracing.subsegment("sampled"):
        pass
    # The first datagram to arrive is the sampled one's: the other was never sent.
    assert received(daemon)["name"] == "sampled"


class Port:
    def fetch(self, key: str) -> str:
        return key.upper()

    def broken(self) -> None:
        raise ValueError("the caller's secret data")


def test_a_traced_ports_calls_nest_under_the_running_subsegment(
    daemon: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    sampled(monkeypatch)
    port = tracing.traced(Port(), "Store", "aws")
    with tracing.subsegment("outer"):
        assert port.fetch("a") == "A"
        with pytest.raises(ValueError, match="secret"):
            port.broken()
    call, failure, outer = received(daemon), received(daemon), received(daemon)
    assert (call["name"], call["namespace"]) == ("Store.fetch", "aws")
    assert call["parent_id"] == outer["id"]
    assert outer["parent_id"] == PARENT
    assert failure["name"] == "Store.broken"
    assert failure["fault"] is True
    assert failure["cause"] == {"exceptions": [{"type": "ValueError"}]}
    assert "secret" not in json.dumps(failure)


def test_without_active_tracing_a_port_is_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACING", raising=False)
    port = Port()
    assert tracing.traced(port, "Store") is port
