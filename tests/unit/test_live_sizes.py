"""Issue 26, findings 3 and 4, and the WebSocket's smaller items: no message over API
Gateway's 128 KiB is ever posted; an operation whose answer could be larger is refused
before it runs, with an `error` for its id, and one whose message turns out larger (strings
longer than declared) ends alone; the connection and its other subscriptions carry on.

Finding 3: `{ jobs(first: 40) { edges { node { id results(first: 10) { index labels { label
score } } } } } }` over the socket became an internal error (PayloadTooLargeException) that
closed the connection, with the code BAD_REQUEST beside the close code 4500. Finding 4: one
subscription whose update was too large stopped every later update on its connection.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from monolambda.domain.jobs import ItemResult, JobStatus
from monolambda.domain.live import Close, farewell
from monolambda.domain.models import RankedLabel
from tests.support.job_fakes import submit
from tests.support.live_socket import Socket, Stack

LIMIT = "131,072"
BIG_PAGE = (
    "{ jobs(first: 40) { edges { node { id results(first: 10) { index labels { label score } } "
    "} } } }"
)


def finished(stack: Stack, count: int, *, label: str = "cat", images: int = 10) -> list[str]:
    ids = []
    for _ in range(count):
        job_id = submit(stack.job_service).job.id
        stack.jobs.jobs[job_id] = stack.jobs.jobs[job_id]._replace(
            status=JobStatus.SUCCEEDED,
            results=tuple(
                ItemResult(i, tuple(RankedLabel(label, 0.5) for _ in range(20)))
                for i in range(images)
            ),
        )
        ids.append(job_id)
    return ids


def of(socket: Socket, message_id: str) -> list[dict[str, Any]]:
    return [m for m in socket.received if m.get("id") == message_id]


@pytest.fixture
def stack() -> Stack:
    return Stack()


def test_the_findings_query_is_refused_for_its_size_and_the_connection_stays(
    stack: Stack,
) -> None:
    finished(stack, 40)
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe("big", BIG_PAGE)
    (error,) = of(socket, "big")
    assert error["type"] == "error"
    (detail,) = error["payload"]
    assert detail["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"bytes; at most {LIMIT}" in detail["message"]
    assert not socket.closed
    socket.subscribe("small", "{ me { sub } }")
    assert [m["type"] for m in of(socket, "small")] == ["next", "complete"]
    assert stack.poster.refused == 0  # nothing over the limit was posted


def test_an_answer_larger_than_its_estimate_ends_its_operation_alone(stack: Stack) -> None:
    """Labels far longer than a label is declared to be: the estimate lets the query
    through, the message would pass 128 KiB, and only this operation ends."""
    finished(stack, 20, label="L" * 5_000, images=1)
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe(
        "long", "{ jobs(first: 20) { edges { node { results(first: 1) { labels { label } } } } } }"
    )
    (error,) = of(socket, "long")
    assert error["type"] == "error"
    assert error["payload"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert f"over {LIMIT} bytes" in error["payload"][0]["message"]
    assert not socket.closed
    assert stack.poster.refused == 0  # stopped before posting, not refused by the API
    socket.subscribe("me", "{ me { sub } }")
    assert [m["type"] for m in of(socket, "me")] == ["next", "complete"]


def test_a_refused_post_ends_its_operation_alone(stack: Stack, monkeypatch: Any) -> None:
    """The management API's own refusal (PayloadTooLargeException), whatever made the
    message large: that operation's error, the connection kept."""
    monkeypatch.setattr("monolambda.services.live.MAX_MESSAGE_BYTES", 10_000_000)
    finished(stack, 20, label="L" * 5_000, images=1)
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe(
        "long", "{ jobs(first: 20) { edges { node { results(first: 1) { labels { label } } } } } }"
    )
    assert stack.poster.refused == 1
    assert [m["type"] for m in of(socket, "long")] == ["error"]
    assert not socket.closed


SUBSCRIBE_ALL = "subscription {{ jobsUpdated {{ id status {fields} }} }}"


def test_a_subscription_too_large_for_one_update_ends_alone_and_the_others_carry_on(
    stack: Stack,
) -> None:
    """Finding 4's order: `big` then `small` on one connection, then a job's changes."""
    socket = stack.socket("c1")
    socket.init()
    big = SUBSCRIBE_ALL.format(fields="results(first: 64) { labels { label score } }")
    socket.subscribe("big", big)
    socket.subscribe("small", SUBSCRIBE_ALL.format(fields=""))
    job_id = submit(stack.job_service).job.id
    stack.change(job_id, status=JobStatus.RUNNING)
    stack.change(
        job_id,
        status=JobStatus.SUCCEEDED,
        results=tuple(
            ItemResult(i, tuple(RankedLabel("L" * 200, 0.5) for _ in range(20))) for i in range(64)
        ),
    )
    small = [m["payload"]["data"]["jobsUpdated"]["status"] for m in of(socket, "small")]
    assert small == ["RUNNING", "SUCCEEDED"]
    big_messages = of(socket, "big")
    assert [m["type"] for m in big_messages] == ["next", "error"]
    assert "over 131,072 bytes" in big_messages[-1]["payload"][0]["message"]
    assert [s for _, s in stack.store.subscriptions] == ["small"]  # `big` ended, alone
    # Later changes reach `small` still; `big` hears nothing more.
    later = submit(stack.job_service).job.id
    stack.change(later, status=JobStatus.RUNNING)
    assert len(of(socket, "small")) == 3
    assert len(of(socket, "big")) == 2
    assert not socket.closed
    assert stack.poster.refused == 0


def test_a_subscription_whose_update_could_exceed_the_limit_is_refused_at_subscribe(
    stack: Stack,
) -> None:
    socket = stack.socket("c1")
    socket.init()
    key = "K" * 64
    fields = " ".join(f"r{n}: results {{ labels {{ {key}: score }} }}" for n in range(2))
    socket.subscribe("huge", SUBSCRIBE_ALL.format(fields=fields))
    (error,) = of(socket, "huge")
    assert error["type"] == "error"
    assert f"bytes; at most {LIMIT}" in error["payload"][0]["message"]
    assert stack.store.subscriptions == {}  # nothing stored
    # The finding's own document: its 2,000-character alias is refused for its length.
    finding = SUBSCRIBE_ALL.format(
        fields=f"results(first: 64) {{ labels {{ {'A' * 2_000}: score }} }}"
    )
    socket.subscribe("finding", finding)
    (error,) = of(socket, "finding")
    assert error["payload"][0]["message"] == "a name of 2,000 characters; names are at most 64"
    assert stack.store.subscriptions == {}
    assert not socket.closed


def test_an_internal_close_says_internal() -> None:
    """The code beside a close code agrees with it."""
    (detail,) = farewell(Close(4500, "Internal server error"))["payload"]
    assert detail["extensions"] == {"code": "INTERNAL", "closeCode": 4500}
    for code, named in ((4400, "BAD_REQUEST"), (4401, "UNAUTHENTICATED"), (4429, "BAD_REQUEST")):
        (detail,) = farewell(Close(code, "x"))["payload"]
        assert detail["extensions"]["code"] == named


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_frame_that_is_not_strict_json_closes_the_connection(stack: Stack, constant: str) -> None:
    socket = stack.socket("c1")
    socket.init()
    socket.send('{"type": "ping", "payload": {"x": ' + constant + "}}")
    assert socket.close_code == 4400
    assert "pong" not in socket.types


def test_a_large_pings_payload_is_not_echoed(stack: Stack) -> None:
    socket = stack.socket("c1")
    socket.init()
    socket.send({"type": "ping", "payload": {"x": "y" * 120_000}})
    socket.send({"type": "ping", "payload": {"x": "y"}})
    assert socket.received[1:] == [{"type": "pong"}, {"type": "pong", "payload": {"x": "y"}}]
    assert json.dumps(socket.received)  # every message JSON (no NaN echoed)
