"""Live job updates on the local stack, with the clients users use: Python's gql
(WebsocketsTransport) and the npm graphql-ws client in Node, over the stack's WebSocket API
at ws://.../graphql.

The idle stack runs no event source, and this test process runs the stream (and, when a test
says so, the worker) through the local stack's own pollers (tests/support/in_process.py): a
job stays QUEUED until the test lets it move, so what a subscriber sees is decided by the
test, not by how fast the machine is. Every wait is for a message or a condition."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportProtocolError, TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from devstack import auth
from tests.support.in_process import Function, submit
from tests.support.processes import ROOT
from tests.support.stack import RunningStack
from tests.support.stack import gql as http_gql
from tests.support.waiting import eventually

WATCH = "subscription($id: ID!) { jobUpdated(id: $id) { id status progress { done total } } }"
TIMEOUT_S = 60


def watching(job_id: str) -> GraphQLRequest:
    return GraphQLRequest(WATCH, variable_values={"id": job_id})


def ws_url(stack: RunningStack) -> str:
    return stack.api.replace("http://", "ws://", 1) + "/graphql"


def token_for(stack: RunningStack, user: str) -> str:
    return auth.mint(user, key=auth.signing_key(stack.state_dir / auth.KEY_FILE.name))


@asynccontextmanager
async def session(stack: RunningStack, token: str | None) -> AsyncIterator[Any]:
    payload = {} if token is None else {"Authorization": f"Bearer {token}"}
    transport = WebsocketsTransport(url=ws_url(stack), init_payload=payload, ack_timeout=TIMEOUT_S)
    async with Client(transport=transport) as opened:
        yield opened


async def watch(
    stack: RunningStack, job_id: str, token: str, started: threading.Event
) -> list[Any]:
    """Every jobUpdated message until the server completes the subscription."""
    seen: list[Any] = []
    async with session(stack, token) as opened:
        async for result in opened.subscribe(watching(job_id)):
            seen.append(result["jobUpdated"])
            started.set()
    return seen


class Watcher:
    """A gql subscriber on its own thread and event loop, while the test moves the job."""

    def __init__(self, stack: RunningStack, job_id: str, token: str | None = None) -> None:
        self.started = threading.Event()
        self.result: list[Any] | BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(stack, job_id, token or stack.token), daemon=True
        )
        self._thread.start()

    def _run(self, stack: RunningStack, job_id: str, token: str) -> None:
        try:
            self.result = asyncio.run(
                asyncio.wait_for(watch(stack, job_id, token, self.started), TIMEOUT_S)
            )
        except BaseException as e:  # noqa: BLE001 - handed to the test
            self.result = e
            self.started.set()

    def wait_started(self) -> None:
        assert self.started.wait(TIMEOUT_S), "no first message"

    def messages(self) -> list[Any]:
        self._thread.join(TIMEOUT_S)
        assert isinstance(self.result, list), self.result
        return self.result


def statuses(messages: list[Any]) -> list[str]:
    """The states shown, repeats of one state (a change of progress, or a publication that
    raced the first message) taken as one."""
    shown: list[str] = []
    for message in messages:
        if not shown or shown[-1] != message["status"]:
            shown.append(message["status"])
    return shown


def cancel(stack: RunningStack, job_id: str) -> None:
    result = http_gql(stack, "mutation($id: ID!) { cancelJob(id: $id) { status } }", id=job_id)
    assert result["data"]["cancelJob"]["status"] == "CANCELLED", result


def test_a_job_is_watched_from_queued_to_succeeded(function: Function) -> None:
    (job_id,) = submit(function.stack)
    watcher = Watcher(function.stack, job_id)
    watcher.wait_started()  # subscribed, and shown QUEUED: nothing runs the job yet
    function.start()  # the worker and the stream
    messages = watcher.messages()
    assert statuses(messages) == ["QUEUED", "RUNNING", "SUCCEEDED"]
    assert messages[-1]["progress"] == {"done": 1, "total": 1}
    assert all(m["id"] == job_id for m in messages)


def test_subscribing_after_the_job_finished_shows_its_end_and_completes(
    function: Function,
) -> None:
    (job_id,) = submit(function.stack)
    cancel(function.stack, job_id)
    function.start(worker=False)
    watcher = Watcher(function.stack, job_id)
    assert [m["status"] for m in watcher.messages()] == ["CANCELLED"]


def test_a_cancelled_job_ends_its_subscription(function: Function) -> None:
    (job_id,) = submit(function.stack)
    function.start(worker=False)
    watcher = Watcher(function.stack, job_id)
    watcher.wait_started()
    cancel(function.stack, job_id)
    assert statuses(watcher.messages()) == ["QUEUED", "CANCELLED"]


def test_another_users_job_is_not_found(function: Function) -> None:
    (job_id,) = submit(function.stack)

    async def as_bob() -> None:
        async with session(function.stack, token_for(function.stack, "bob")) as opened:
            async for _ in opened.subscribe(watching(job_id)):
                pytest.fail("bob saw alice's job")

    with pytest.raises(TransportQueryError) as refused:
        asyncio.run(asyncio.wait_for(as_bob(), TIMEOUT_S))
    assert refused.value.errors is not None
    assert refused.value.errors[0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("token", [None, "not-a-jwt"])
def test_a_connection_without_a_good_token_is_closed_before_any_answer(
    idle_stack: RunningStack, token: str | None
) -> None:
    async def connect() -> None:
        async with session(idle_stack, token) as opened:
            await opened.execute(gql("{ me { sub } }"))

    # API Gateway cannot close with the protocol's 4403: the function's last message says
    # it, and the client, which takes anything but an ack as fatal, stops.
    with pytest.raises(TransportProtocolError) as refused:
        asyncio.run(asyncio.wait_for(connect(), TIMEOUT_S))
    assert "4403" in str(refused.value)


def test_a_client_that_vanishes_is_forgotten(function: Function) -> None:
    """A subscriber's process killed (no close frame): the connection and its subscriptions
    are gone from the table, and the job's next change fails nothing."""
    (job_id,) = submit(function.stack)
    function.start(worker=False)
    table = function.stack.client("dynamodb")
    connections = function.environment["CONNECTIONS_TABLE"]
    script = f"""
import asyncio, sys
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

async def main():
    transport = WebsocketsTransport(
        url={ws_url(function.stack)!r},
        init_payload={{"Authorization": "Bearer {function.stack.token}"}},
    )
    async with Client(transport=transport) as opened:
        request = GraphQLRequest({WATCH!r}, variable_values={{"id": {job_id!r}}})
        async for _ in opened.subscribe(request):
            print("subscribed", flush=True)
            await asyncio.sleep(3600)

asyncio.run(main())
"""
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as client:
        try:
            assert client.stdout is not None
            assert client.stdout.readline().strip() == "subscribed"
            assert table.scan(TableName=connections)["Count"] == 2  # it, and its subscription
        finally:
            client.kill()
    assert eventually(lambda: table.scan(TableName=connections)["Count"] == 0, TIMEOUT_S)
    cancel(function.stack, job_id)
    assert eventually(lambda: function.stream().batches > 0, TIMEOUT_S)
    assert function.stream().errors == 0


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runs the npm client")
def test_fifty_subscribers_with_the_npm_graphql_ws_client(function: Function) -> None:
    (job_id,) = submit(function.stack)
    script = str(ROOT / "tests" / "node" / "watch_job.cjs")
    command = ["node", script, ws_url(function.stack), function.stack.token, job_id, "50"]
    events: list[dict[str, Any]] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as node:
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            for line in node.stdout or ():
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()

        def read_until(done: Any) -> None:
            while not done():
                line = lines.get(timeout=TIMEOUT_S)
                if line.strip() == "done":
                    return
                events.append(json.loads(line))

        read_until(lambda: len({e["n"] for e in events if "next" in e}) == 50)
        function.start()  # every subscriber has its first message: now the job runs
        read_until(lambda: sum("complete" in e for e in events) == 50)
        assert node.wait(TIMEOUT_S) == 0
    for n in range(50):
        mine = [e["next"]["data"]["jobUpdated"] for e in events if e["n"] == n and "next" in e]
        assert statuses(mine) == ["QUEUED", "RUNNING", "SUCCEEDED"], (n, mine)
    assert not [e for e in events if "error" in e]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runs the npm client")
def test_the_npm_client_without_a_token_gets_no_answer(idle_stack: RunningStack) -> None:
    finished = subprocess.run(
        ["node", str(ROOT / "tests" / "node" / "watch_job.cjs"), ws_url(idle_stack), "-", "x"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=True,
    )
    events = [json.loads(line) for line in finished.stdout.splitlines() if line != "done"]
    assert [e for e in events if "next" in e] == []
    assert [e for e in events if "error" in e]


def test_the_sample_websocket_events(function: Function) -> None:
    """events/websocket-*.json through the handler, against the stack's management API:
    the handshake names the protocol; a ping to a connection that is not there finds it
    gone (410) and fails nothing; a disconnect forgets it."""
    events = ROOT / "events"
    connect = json.loads((events / "websocket-connect.json").read_text())
    assert function.invoke(connect) == {
        "statusCode": 200,
        "headers": {"Sec-WebSocket-Protocol": "graphql-transport-ws"},
    }
    for name in ("websocket-message-ping.json", "websocket-disconnect.json"):
        assert function.invoke(json.loads((events / name).read_text())) == {"statusCode": 200}


SUBSCRIBE_IN_A_FRESH_INTERPRETER = """
import json, sys
from monolambda.handler import handler
from tests.support.apigw import FakeLambdaContext
answer = handler(json.loads(sys.argv[1]), FakeLambdaContext())
watched = ("strawberry", "graphql", "starlette", "mangum", "cross_web", "numpy")
loaded = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in watched})
print(json.dumps({"answer": answer, "loaded": loaded}))
"""


def test_subscribe_runs_the_schema_without_the_http_stack(function: Function) -> None:
    """A cold `subscribe` imports Strawberry and graphql-core, never Starlette or Mangum."""
    (job_id,) = submit(function.stack)
    sub = http_gql(function.stack, "{ me { sub } }")["data"]["me"]["sub"]
    function.stack.client("dynamodb").put_item(  # an acknowledged connection, as init leaves it
        TableName=function.environment["CONNECTIONS_TABLE"],
        Item={
            "connection_id": {"S": "cold-connection"},
            "item": {"S": "$connection"},
            "caller": {"S": sub},
            "subscriptions": {"N": "0"},
            "connected_at": {"S": "2026-12-03T12:00:00.000000+0000"},
        },
    )
    event = json.loads((ROOT / "events" / "websocket-message-ping.json").read_text())
    event["requestContext"]["connectionId"] = "cold-connection"
    event["body"] = json.dumps(
        {"id": "1", "type": "subscribe", "payload": {"query": WATCH, "variables": {"id": job_id}}}
    )
    finished = subprocess.run(
        [sys.executable, "-c", SUBSCRIBE_IN_A_FRESH_INTERPRETER, json.dumps(event)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={
            **os.environ,
            **function.environment,
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        },
    )
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert result["answer"] == {"statusCode": 200}
    assert result["loaded"] == ["graphql", "strawberry"]
