"""graphql-transport-ws over API Gateway's WebSocket events, through the WebSocket route,
the one schema and the live-update service, with in-memory stores (the integration tests
run the same with real clients against the local stack)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest

from monolambda import metrics
from monolambda.api.guard.trusted_documents import TrustedDocuments
from monolambda.domain.identity import Caller
from monolambda.domain.jobs import Job, JobStatus
from tests.support.apigw import http_api_event, response_json
from tests.support.job_fakes import submit
from tests.support.live_socket import Stack
from tests.unit.test_metrics import values

ALICE = Caller("alice")
JOB_FIELDS = "id status progress { done total }"
WATCH = f"subscription($id: ID!) {{ jobUpdated(id: $id) {{ {JOB_FIELDS} }} }}"


@pytest.fixture
def stack() -> Stack:
    return Stack()


def test_the_handshake_names_the_protocol_the_client_offered(stack: Stack) -> None:
    answer = stack.socket("c1").connect("graphql-transport-ws")
    assert answer == {
        "statusCode": 200,
        "headers": {"Sec-WebSocket-Protocol": "graphql-transport-ws"},
    }
    assert stack.socket("c2").connect(None) == {"statusCode": 200}
    refused = stack.socket("c3").connect("graphql-ws")  # the old subscriptions-transport-ws
    assert refused["statusCode"] == 400


def test_init_is_acknowledged_and_ping_answered(stack: Stack) -> None:
    socket = stack.socket("c1")
    socket.init()
    socket.send({"type": "ping", "payload": {"n": 1}})
    assert socket.received == [
        {"type": "connection_ack"},
        {"type": "pong", "payload": {"n": 1}},
    ]
    assert stack.store.get("c1").caller == ALICE  # type: ignore[union-attr]


@pytest.mark.parametrize("token", [None, "forged"])
def test_init_without_a_good_token_closes_the_connection(stack: Stack, token: str | None) -> None:
    socket = stack.socket("c1")
    socket.init(token)
    assert socket.close_code == 4403
    assert socket.types == ["error"]  # no connection_ack: graphql-ws clients stop here
    assert stack.store.get("c1") is None


def test_a_second_init_closes_the_connection(stack: Stack) -> None:
    socket = stack.socket("c1")
    socket.init()
    socket.init()
    assert socket.types == ["connection_ack", "error"]
    assert socket.close_code == 4429


def test_without_an_authorizer_every_connection_is_the_anonymous_caller() -> None:
    stack = Stack(tokens=False)
    socket = stack.socket("c1")
    socket.init(None)
    assert socket.types == ["connection_ack"]
    assert stack.store.get("c1").caller.anonymous  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        json.dumps([1]),
        json.dumps({"type": "subscribe", "payload": {"query": "{ health { status } }"}}),
        json.dumps({"type": "subscribe", "id": "x" * 129, "payload": {}}),
        json.dumps({"type": "subscribe", "id": "1", "payload": "{ health }"}),
        json.dumps({"type": "what"}),
    ],
)
def test_a_bad_message_closes_the_connection(stack: Stack, frame: str) -> None:
    socket = stack.socket("c1")
    socket.init()
    socket.send(frame)
    assert socket.close_code == 4400


def test_subscribe_before_init_is_unauthorized(stack: Stack) -> None:
    socket = stack.socket("c1")
    socket.subscribe("1", "{ health { status } }")
    assert socket.close_code == 4401
    assert socket.types == ["error"]


def test_a_query_over_the_socket_is_one_next_then_complete(stack: Stack) -> None:
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe("q", "{ me { sub } }")
    assert socket.received[1:] == [
        {"id": "q", "type": "next", "payload": {"data": {"me": {"sub": "alice"}}}},
        {"id": "q", "type": "complete"},
    ]


def test_a_job_is_watched_from_queued_to_succeeded(stack: Stack) -> None:
    job_id = submit(stack.job_service).job.id
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe("w", WATCH, id=job_id)
    stack.change(job_id, status=JobStatus.RUNNING)
    stack.change(job_id, done=1)
    stack.change(job_id, status=JobStatus.SUCCEEDED)
    updates = [m["payload"]["data"]["jobUpdated"] for m in socket.received if m["type"] == "next"]
    assert [(u["status"], u["progress"]["done"]) for u in updates] == [
        ("QUEUED", 0),
        ("RUNNING", 0),
        ("RUNNING", 1),
        ("SUCCEEDED", 1),
    ]
    assert socket.types[-1] == "complete"
    assert stack.store.subscriptions == {}  # nothing left after the terminal state


def test_subscribing_to_a_finished_job_shows_it_and_completes(stack: Stack) -> None:
    job_id = submit(stack.job_service).job.id
    stack.change(job_id, status=JobStatus.CANCELLED)
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe("w", WATCH, id=job_id)
    assert socket.types == ["connection_ack", "next", "complete"]
    assert socket.received[1]["payload"]["data"]["jobUpdated"]["status"] == "CANCELLED"
    assert stack.store.subscriptions == {}


def test_another_users_job_is_not_found_as_over_http(stack: Stack) -> None:
    job_id = submit(stack.job_service).job.id
    socket = stack.socket("c1")
    socket.init("token-bob")
    socket.subscribe("w", WATCH, id=job_id)
    error = socket.received[-1]
    assert error["type"] == "error"
    assert error["id"] == "w"
    assert error["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    assert stack.store.subscriptions == {}
    stack.change(job_id, status=JobStatus.RUNNING)
    assert socket.types == ["connection_ack", "error"]  # and nothing of alice's job since


def test_jobs_updated_sends_every_change_of_the_callers_jobs_only(stack: Stack) -> None:
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe("all", f"subscription {{ jobsUpdated {{ {JOB_FIELDS} }} }}")
    running = stack.socket("c2")
    running.init()
    running.subscribe("r", "subscription { jobsUpdated(status: RUNNING) { id status } }")
    mine = submit(stack.job_service).job.id
    theirs = submit(stack.job_service, Caller("bob")).job.id
    for job_id in (mine, theirs):
        stack.change(job_id, status=JobStatus.RUNNING)
        stack.change(job_id, status=JobStatus.SUCCEEDED)
    seen = [m["payload"]["data"]["jobsUpdated"] for m in socket.received if m["type"] == "next"]
    assert [(u["id"], u["status"]) for u in seen] == [(mine, "RUNNING"), (mine, "SUCCEEDED")]
    assert "complete" not in socket.types  # an owner's stream has no end
    only_running = [m["payload"]["data"]["jobsUpdated"] for m in running.received[1:]]
    assert only_running == [{"id": mine, "status": "RUNNING"}]


def test_a_duplicate_id_closes_the_connection(stack: Stack) -> None:
    job_id = submit(stack.job_service).job.id
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe("w", WATCH, id=job_id)
    socket.subscribe("w", WATCH, id=job_id)
    assert socket.close_code == 4409
    assert stack.store.subscriptions == {}


def test_complete_from_the_client_ends_the_subscription(stack: Stack) -> None:
    job_id = submit(stack.job_service).job.id
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe("w", WATCH, id=job_id)
    socket.send({"id": "w", "type": "complete"})
    stack.change(job_id, status=JobStatus.RUNNING)
    assert socket.types == ["connection_ack", "next"]


def test_a_connection_holds_a_bounded_number_of_subscriptions() -> None:
    stack = Stack(limit=2)
    socket = stack.socket("c1")
    socket.init()
    for n in range(3):
        socket.subscribe(str(n), "subscription { jobsUpdated { id } }")
    assert socket.types == ["connection_ack", "error"]
    assert socket.received[-1]["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(stack.store.subscriptions) == 2


def test_limits_and_validation_apply_to_subscription_documents(stack: Stack) -> None:
    socket = stack.socket("c1")
    socket.init()
    deep = "subscription { jobsUpdated { " + "id " * 2000 + "} }"
    socket.subscribe("tokens", deep)
    socket.subscribe("unknown", "subscription { jobsUpdated { nope } }")
    codes = [m["payload"][0]["extensions"]["code"] for m in socket.received if m["type"] == "error"]
    assert codes == ["GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"]
    assert stack.store.subscriptions == {}


def test_a_gone_subscriber_is_dropped_and_a_broken_one_delays_nobody(stack: Stack) -> None:
    job_id = submit(stack.job_service).job.id
    sockets = [stack.socket(f"c{n}") for n in range(3)]
    for socket in sockets:
        socket.init()
        socket.subscribe("w", WATCH, id=job_id)
    stack.poster.gone.add("c0")
    stack.poster.broken.add("c1")
    stack.change(job_id, status=JobStatus.RUNNING)
    assert ("c0", "w") not in stack.store.subscriptions
    assert stack.store.get("c0") is None
    assert ("c1", "w") in stack.store.subscriptions  # a failure is not a departure
    assert sockets[2].types == ["connection_ack", "next", "next"]


def test_each_publication_counts_what_became_of_its_messages(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """A metric per outcome (sent, gone, failed) instead of a log line per stream batch: the
    stream's happy path writes no log line, so it never pays for building the logger."""
    job_id = submit(stack.job_service).job.id
    for n in range(4):
        socket = stack.socket(f"c{n}")
        socket.init()
        socket.subscribe("w", WATCH, id=job_id)
    stack.poster.gone.add("c0")
    stack.poster.broken.add("c1")
    capsys.readouterr()
    with metrics.invocation("dynamodb-stream"):
        stack.change(job_id, status=JobStatus.RUNNING)
    written = values(capsys.readouterr().out)
    assert {k: v for k, v in written.items() if k[0] == "LiveUpdates"} == {
        ("LiveUpdates", (("outcome", "sent"),)): 2,
        ("LiveUpdates", (("outcome", "gone"),)): 1,
        ("LiveUpdates", (("outcome", "failed"),)): 1,
    }


def test_fifty_subscribers_of_one_job_cost_one_query_and_one_execution(stack: Stack) -> None:
    job_id = submit(stack.job_service).job.id
    for n in range(50):
        socket = stack.socket(f"c{n}")
        socket.init()
        socket.subscribe("w", WATCH, id=job_id)
    stack.store.queries = 0
    calls: list[int] = []
    render = stack.operations.render

    def counted(job: Job, found: Any) -> Any:
        calls.append(len(found))
        return render(job, found, "stream-1")

    stack.live.publish([stack.jobs.jobs[job_id]], counted)
    assert stack.store.queries == 1
    assert calls == [50]
    assert all(stack.poster.types(f"c{n}")[-1] == "next" for n in range(50))


def test_disconnect_forgets_the_connection_and_its_subscriptions(stack: Stack) -> None:
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe("all", "subscription { jobsUpdated { id } }")
    socket.disconnect()
    assert stack.store.connections == {}
    assert stack.store.subscriptions == {}


def test_a_subscription_posted_over_http_gets_a_coded_refusal(invoke: Any) -> None:
    event = http_api_event({"query": "subscription { jobsUpdated { id } }"}, claims={"sub": "a"})
    response = invoke(event)
    assert response["statusCode"] == 200
    (error,) = response_json(response)["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "WebSocket" in error["message"]


def test_a_batch_of_changes_costs_one_query_per_owner(stack: Stack) -> None:
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe("all", "subscription { jobsUpdated { id status } }")
    jobs = [submit(stack.job_service).job for _ in range(5)]
    jobs += [submit(stack.job_service, Caller("bob")).job for _ in range(5)]
    stack.store.queries = 0
    changed = [j._replace(status=JobStatus.RUNNING) for j in jobs]
    stack.live.publish(changed, lambda j, found: stack.operations.render(j, found, "s"))
    assert stack.store.queries == 2  # alice's and bob's, whatever the number of changes
    assert len(socket.received) == 1 + 5  # the ack, and alice's five


def test_a_change_older_than_the_subscription_is_not_shown_after_it(stack: Stack) -> None:
    """A publication that lags behind (a RUNNING written before subscribing, published after
    the first message showed SUCCEEDED's predecessor) is not news."""
    job = submit(stack.job_service).job
    stack.store.now = job.updated_at + timedelta(seconds=5)
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe("w", WATCH, id=job.id)
    old = job._replace(status=JobStatus.RUNNING)  # updated_at: before subscribing
    stack.live.publish([old], lambda j, found: stack.operations.render(j, found, "s"))
    assert socket.types == ["connection_ack", "next"]
    new = job._replace(status=JobStatus.RUNNING, updated_at=job.updated_at + timedelta(seconds=6))
    stack.live.publish([new], lambda j, found: stack.operations.render(j, found, "s"))
    assert socket.types == ["connection_ack", "next", "next"]


def test_a_terminal_state_raced_by_subscribe_and_publication_is_sent_once(stack: Stack) -> None:
    """The job ends as it is subscribed to: the publication of its end and the subscribe's
    first read both see SUCCEEDED; whichever removes the subscription sends the end."""
    job_id = submit(stack.job_service).job.id
    socket = stack.socket("c1")
    socket.init()
    finished = stack.jobs.jobs[job_id]._replace(status=JobStatus.SUCCEEDED)
    original = stack.live.subscribe

    def subscribe_then_publish(subscription: Any) -> None:
        original(subscription)
        stack.jobs.jobs[job_id] = finished  # the worker's write lands here, and the stream
        # route (another container: a thread here) publishes it before the subscribe reads
        other = threading.Thread(
            target=stack.live.publish,
            args=([finished], lambda j, found: stack.operations.render(j, found, "s")),
        )
        other.start()
        other.join()

    stack.live.subscribe = subscribe_then_publish  # type: ignore[method-assign]
    socket.subscribe("w", WATCH, id=job_id)
    assert socket.types == ["connection_ack", "next", "complete"]
    assert socket.received[1]["payload"]["data"]["jobUpdated"]["status"] == "SUCCEEDED"


def test_prod_masks_a_subscriptions_errors_as_over_http() -> None:
    stack = Stack(env="prod")
    socket = stack.socket("c1")
    socket.init()
    socket.subscribe("guess", "subscription { jobsUpdated { secretField } }")
    intro = "subscription S { jobsUpdated { id } } query Q { __schema { types { name } } }"
    payload = {"query": intro, "operationName": "S"}
    socket.send({"id": "intro", "type": "subscribe", "payload": payload})
    two = "subscription A { jobsUpdated { id } } subscription B { jobsUpdated { id } }"
    socket.subscribe("two", two)
    guess, intro, which = [m["payload"] for m in socket.received if m["type"] == "error"]
    assert guess[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "secretField" not in guess[0]["message"]  # nothing of the schema is named
    assert "requestId" in guess[0]["extensions"]
    assert intro[0]["message"] == "Introspection is off on this API"
    assert which[0]["extensions"]["code"] == "BAD_REQUEST"  # as over HTTP (a 400 there)
    assert not socket.closed


def test_a_subscription_named_by_its_hash_is_watched_and_others_refused() -> None:
    from monolambda.api.guard.trusted_documents import sha256_of  # noqa: PLC0415

    trusted = TrustedDocuments({sha256_of(WATCH): WATCH}, only=True)
    stack = Stack(trusted=trusted)
    job_id = submit(stack.job_service).job.id
    socket = stack.socket("c1")
    socket.init()
    named = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(WATCH)}}}
    socket.send({"id": "w", "type": "subscribe", "payload": {**named, "variables": {"id": job_id}}})
    socket.send(
        {
            "id": "d",
            "type": "subscribe",
            # As graphql-ws sends it (its query must be a string): the empty one is none.
            "payload": {
                "query": "",
                "documentId": f"sha256:{sha256_of(WATCH)}",
                "variables": {"id": job_id},
            },
        }
    )
    socket.subscribe("t", "{ health { status } }")  # a text not in the manifest
    socket.send({"id": "u", "type": "subscribe", "payload": {"documentId": f"sha256:{'0' * 64}"}})
    stack.change(job_id, status=JobStatus.SUCCEEDED)
    by_id: dict[str, list[dict[str, Any]]] = {}
    for message in socket.received:
        by_id.setdefault(message.get("id", ""), []).append(message)
    for watcher in ("w", "d"):
        statuses = [m["payload"]["data"]["jobUpdated"]["status"] for m in by_id[watcher][:-1]]
        assert statuses == ["QUEUED", "SUCCEEDED"]
        assert by_id[watcher][-1]["type"] == "complete"
    assert [(m["type"], m["payload"][0]["extensions"]["code"]) for m in by_id["t"]] == [
        ("error", "TRUSTED_DOCUMENTS_ONLY")
    ]
    assert [(m["type"], m["payload"][0]["extensions"]["code"]) for m in by_id["u"]] == [
        ("error", "PERSISTED_QUERY_NOT_FOUND")
    ]
    assert not socket.closed
