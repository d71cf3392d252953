"""Issue 27: automatic persisted queries register where documents are not restricted (Apollo's
protocol: a hash alone, PersistedQueryNotFound, the hash with its text, then the hash alone
again), in a store that outlives a container; trusted-only never registers; a request names
its client (Apollo's client-awareness header) for its refusal's words and its metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from monolambda import metrics
from monolambda.api.guard.trusted_documents import (
    MAX_REGISTERED_CHARS,
    Registered,
    TrustedDocuments,
    sha256_of,
)
from monolambda.api.transport.app import build_app
from monolambda.api.transport.lambda_http import HttpRoute
from monolambda.domain.ports import PersistedQueryStore
from tests.support.apigw import FakeLambdaContext, http_api_event, response_json
from tests.support.schema import make_schema, make_services

HEALTH = "query Health { health { status } }"
VERSION = "query Version { version { version } }"


@dataclass
class FakeStore:
    """The port in memory; `broken` makes every call fail as an unreachable table would."""

    documents: dict[str, str] = field(default_factory=dict)
    reads: int = 0
    writes: int = 0
    broken: bool = False

    def get(self, digest: str) -> str | None:
        self.reads += 1
        if self.broken:
            raise ConnectionError("the table is away")
        return self.documents.get(digest)

    def put(self, digest: str, text: str) -> None:
        self.writes += 1
        if self.broken:
            raise ConnectionError("the table is away")
        self.documents[digest] = text


def _port(store: FakeStore) -> PersistedQueryStore:
    return store


def route(
    store: FakeStore, *, only: bool = False, clients: frozenset[str] = frozenset()
) -> HttpRoute:
    trusted = TrustedDocuments(
        {sha256_of(HEALTH): HEALTH},
        only=only,
        clients=clients,
        registered=Registered(lambda: _port(store)),
    )
    app = build_app(
        make_schema(TRUSTED_DOCUMENTS_ONLY=str(only).lower()),
        make_services(),
        trusted,
        graphiql=False,
        anonymous_access=True,
    )
    return HttpRoute(app, max_body_bytes=1024 * 1024)


def apq(text: str, *, with_text: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(text)}}
    }
    if with_text:
        body["query"] = text
    return body


def call(app: HttpRoute, body: dict[str, Any], **headers: str) -> tuple[int, dict[str, Any]]:
    response = app(http_api_event(body, headers=headers), FakeLambdaContext("req-apq"))
    return response["statusCode"], response_json(response)


def code_of(body: dict[str, Any]) -> str | None:
    errors = body.get("errors")
    return errors[0]["extensions"]["code"] if errors else None


def test_apollos_protocol_registers_then_takes_one_trip() -> None:
    store = FakeStore()
    app = route(store)
    assert code_of(call(app, apq(VERSION, with_text=False))[1]) == "PERSISTED_QUERY_NOT_FOUND"
    assert call(app, apq(VERSION, with_text=True))[1] == {"data": {"version": {"version": "9.9.9"}}}
    assert store.documents == {sha256_of(VERSION): VERSION}
    assert call(app, apq(VERSION, with_text=False))[1] == {
        "data": {"version": {"version": "9.9.9"}}
    }


def test_a_registration_outlives_its_container() -> None:
    store = FakeStore()
    call(route(store), apq(VERSION, with_text=True))
    fresh = route(store)  # another container, the same table
    reads = store.reads
    assert call(fresh, apq(VERSION, with_text=False))[1]["data"] == {
        "version": {"version": "9.9.9"}
    }
    assert store.reads == reads + 1
    call(fresh, apq(VERSION, with_text=False))
    assert store.reads == reads + 1  # then from the container's own copy


def test_a_text_that_is_not_of_its_hash_runs_and_is_not_registered() -> None:
    store = FakeStore()
    body = apq(VERSION, with_text=True)
    body["query"] = "query Version {  version { version } }"  # printed otherwise
    assert call(route(store), body)[1]["data"] == {"version": {"version": "9.9.9"}}
    assert store.documents == {}


def test_trusted_only_never_registers_and_says_how_to_register() -> None:
    store = FakeStore()
    app = route(store, only=True, clients=frozenset({"web", "team-b"}))
    assert code_of(call(app, apq(VERSION, with_text=False))[1]) == "PERSISTED_QUERY_NOT_FOUND"
    status, body = call(
        app, apq(VERSION, with_text=True), **{"apollographql-client-name": "team-b"}
    )
    (error,) = body["errors"]
    assert (status, error["extensions"]["code"]) == (200, "TRUSTED_DOCUMENTS_ONLY")
    assert "the client 'team-b' has registered none with this text" in error["message"]
    assert "make trusted-client NAME=<client> MANIFEST=<its manifest>" in error["message"]
    assert store.reads == store.writes == 0
    # A name that is no registered client's is not echoed.
    _, body = call(app, apq(VERSION, with_text=True), **{"apollographql-client-name": "<b>x</b>"})
    assert "this client has registered none" in body["errors"][0]["message"]
    assert "<b>" not in json.dumps(body)
    # A manifest's own document runs by hash.
    assert call(app, apq(HEALTH, with_text=False))[1] == {"data": {"health": {"status": "OK"}}}


def test_a_store_that_fails_costs_a_trip_never_the_request() -> None:
    store = FakeStore(broken=True)
    app = route(store)
    assert code_of(call(app, apq(VERSION, with_text=False))[1]) == "PERSISTED_QUERY_NOT_FOUND"
    assert call(app, apq(VERSION, with_text=True))[1]["data"] == {"version": {"version": "9.9.9"}}
    # The container kept its own copy, the store did not.
    assert call(app, apq(VERSION, with_text=False))[1]["data"] == {"version": {"version": "9.9.9"}}


def test_the_containers_copy_is_bounded_and_a_large_document_is_not_registered() -> None:
    store = FakeStore()
    registered = Registered(lambda: _port(store))
    for n in range(1_001):
        registered.register(f"{n:064x}", f"query Q{n} {{ health {{ status }} }}")
    assert store.writes == 1_001
    reads = store.reads
    assert registered.get(f"{0:064x}") is not None  # evicted from memory: read again
    assert store.reads == reads + 1
    assert registered.get(f"{1_000:064x}") is not None  # still in memory
    assert store.reads == reads + 1
    large = "query Large { health { status } }" + " " * MAX_REGISTERED_CHARS
    registered.register(sha256_of(large), large)
    assert sha256_of(large) not in store.documents


def test_the_refusal_names_the_way_to_register_word_for_word() -> None:
    """The sentence the second-client guide tells a team to expect, whole."""
    trusted = TrustedDocuments({}, only=True, clients=frozenset({"team-b"}))
    expected = (
        "this API runs only the operations its clients have registered (trusted documents), "
        "and {} has registered none with this text. Name a registered one by its SHA-256 "
        "(documentId or extensions.persistedQuery), or register the client's operations: "
        "make trusted-client NAME=<client> MANIFEST=<its manifest> (docs: Clients, a second "
        "client)"
    )
    assert trusted._unregistered("team-b") == expected.format("the client 'team-b'")
    assert trusted._unregistered("nobody") == expected.format("this client")
    assert trusted._unregistered(None) == expected.format("this client")


def test_a_known_digest_or_a_large_text_is_not_written_again() -> None:
    store = FakeStore()
    registered = Registered(lambda: _port(store))
    registered.register(sha256_of(VERSION), VERSION)
    registered.register(sha256_of(VERSION), VERSION)
    assert store.writes == 1
    large = "query Large { health { status } }" + " " * MAX_REGISTERED_CHARS
    registered.register(sha256_of(large), large)
    assert store.writes == 1
    assert registered.get(sha256_of(large)) is None


def test_the_containers_copy_keeps_what_was_read_last() -> None:
    """Least recently used goes first: a document read again stays, however old."""
    store = FakeStore()
    registered = Registered(lambda: _port(store))
    for n in range(1_000):
        registered.register(f"{n:064x}", f"query Q{n} {{ health {{ status }} }}")
    assert registered.get(f"{0:064x}") is not None  # read again: now the newest
    registered.register(f"{1_000:064x}", "query Q1000 { health { status } }")
    reads = store.reads
    assert registered.get(f"{0:064x}") is not None
    assert store.reads == reads  # still in memory
    assert registered.get(f"{1:064x}") is not None  # the oldest, gone from memory
    assert store.reads == reads + 1


def test_a_failing_store_is_logged_with_its_cause(caplog: pytest.LogCaptureFixture) -> None:
    registered = Registered(lambda: _port(FakeStore(broken=True)))
    with caplog.at_level("WARNING"):
        registered.register(sha256_of(VERSION), VERSION)
        assert registered.get(sha256_of(HEALTH)) is None
    causes = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert [str(c) for c in causes] == ["the table is away", "the table is away"]
    assert [r.getMessage() for r in caplog.records] == [
        "a document could not be registered",
        "a registered document could not be read",
    ]


def test_loaded_documents_register_where_they_are_told(tmp_path: Any) -> None:
    store = FakeStore()
    (tmp_path / "web.json").write_text(json.dumps({f"sha256:{sha256_of(HEALTH)}": HEALTH}))
    trusted = TrustedDocuments.load(
        tmp_path, only=False, registered=Registered(lambda: _port(store))
    )
    trusted._registered.register(sha256_of(VERSION), VERSION)  # type: ignore[union-attr]
    assert store.documents == {sha256_of(VERSION): VERSION}
    only = TrustedDocuments.load(tmp_path, only=True, registered=Registered(lambda: store))
    assert only._registered is None


@pytest.mark.parametrize(
    ("header", "counted"),
    [("web", "web"), ("team-b", "team-b"), ("somebody-else", "other"), (None, None)],
)
def test_requests_are_counted_by_the_client_they_name(
    header: str | None, counted: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    app = route(FakeStore(), clients=frozenset({"web", "team-b"}))
    headers = {"apollographql-client-name": header} if header else {}
    with metrics.invocation("http"):
        call(app, {"query": HEALTH}, **headers)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    by_client = [line for line in lines if "RequestsByClient" in line]
    if counted is None:
        assert by_client == []
    else:
        (line,) = by_client
        assert (line["client"], line["outcome"]) == (counted, "ok")
