"""Trusted documents: a request names one of the clients' operations by its SHA-256 instead of
sending it (Apollo's persistedQuery, GraphQL over HTTP's documentId, by POST or GET), and
with TRUSTED_DOCUMENTS_ONLY nothing else is parsed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from monolambda.api.guard.trusted_documents import (
    MANIFESTS,
    DocumentRefusedError,
    ManifestError,
    TrustedDocuments,
    sha256_of,
)
from monolambda.api.transport.app import build_app
from monolambda.api.transport.lambda_http import HttpRoute
from tests.support.apigw import FakeLambdaContext, http_api_event, response_json
from tests.support.processes import ROOT
from tests.support.schema import make_schema, make_services

HEALTH = "query Health { health { status } }"
REPORT = "mutation Report($m: String!) { reportClientError(input: {message: $m}) { requestId } }"
DOCUMENTS = {sha256_of(text): text for text in (HEALTH, REPORT)}
ALICE = {"sub": "alice"}
WEB = MANIFESTS / "web.json"


def route(*, only: bool, **env: str) -> HttpRoute:
    trusted = TrustedDocuments(DOCUMENTS, only=only)
    app = build_app(
        make_schema(**env, TRUSTED_DOCUMENTS_ONLY=str(only).lower()),
        make_services(),
        trusted,
        graphiql=True,
        anonymous_access=False,
    )
    return HttpRoute(app, max_body_bytes=1024 * 1024)


def call(app: HttpRoute, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = app(event, FakeLambdaContext("req-td"))
    assert response["headers"]["content-type"].startswith("application/json")
    return response["statusCode"], response_json(response)


def apollo(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(text)}}


def code_of(body: dict[str, Any]) -> str:
    (error,) = body["errors"]
    code: str = error["extensions"]["code"]
    return code


@pytest.mark.parametrize("only", [False, True])
def test_a_document_named_by_hash_runs_without_its_text(only: bool) -> None:
    app = route(only=only)
    status, body = call(app, http_api_event({"extensions": apollo(HEALTH)}, claims=ALICE))
    assert (status, body) == (200, {"data": {"health": {"status": "OK"}}})
    by_id = {"documentId": f"sha256:{sha256_of(HEALTH)}"}
    assert call(app, http_api_event(by_id, claims=ALICE)) == (200, body)


def test_a_query_by_hash_may_come_by_get_a_mutation_never() -> None:
    app = route(only=True)
    params = urlencode({"documentId": f"sha256:{sha256_of(HEALTH)}"})
    # curl's Accept (*/*) still gets the answer, not GraphiQL's page.
    event = http_api_event(method="GET", query_string=params, headers={"accept": "*/*"})
    assert call(app, event) == (200, {"data": {"health": {"status": "OK"}}})
    apollo_get = urlencode({"extensions": json.dumps(apollo(HEALTH))})
    assert call(app, http_api_event(method="GET", query_string=apollo_get))[0] == 200

    mutation = urlencode(
        {"documentId": f"sha256:{sha256_of(REPORT)}", "variables": json.dumps({"m": "x"})}
    )
    status, body = call(app, http_api_event(method="GET", query_string=mutation, claims=ALICE))
    assert status == 400
    assert code_of(body) == "BAD_REQUEST"
    assert "GET" in body["errors"][0]["message"]
    # By POST, the same mutation runs.
    posted = {"documentId": f"sha256:{sha256_of(REPORT)}", "variables": {"m": "x"}}
    status, body = call(app, http_api_event(posted, claims=ALICE))
    assert body == {"data": {"reportClientError": {"requestId": "req-td"}}}


def test_an_unknown_hash_is_the_code_persisted_links_retry_on() -> None:
    unknown = "{ version { version } }"
    status, body = call(route(only=False), http_api_event({"extensions": apollo(unknown)}))
    assert status == 200
    assert body["errors"][0]["message"] == "PersistedQueryNotFound"
    assert code_of(body) == "PERSISTED_QUERY_NOT_FOUND"
    assert body["errors"][0]["extensions"]["requestId"] == "req-td"
    # The link's second try sends the text (printed its own way) with the hash: it runs as
    # a text does.
    retry = {"query": unknown.replace(" ", "  "), "extensions": apollo(unknown)}
    status, body = call(route(only=False), http_api_event(retry))
    assert body == {"data": {"version": {"version": "9.9.9"}}}
    assert code_of(call(route(only=True), http_api_event(retry))[1]) == "TRUSTED_DOCUMENTS_ONLY"


@pytest.mark.parametrize(
    "request_body",
    [
        {"documentId": f"md5:{'0' * 32}"},
        {"documentId": sha256_of(HEALTH)},  # the prefix is required
        {"documentId": 7},
        {"documentId": "sha256:" + "G" * 64},
        {"documentId": "sha256:" + sha256_of(HEALTH).upper()},
        {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": sha256_of(HEALTH)}}},
        {"extensions": {"persistedQuery": {"version": 1}}},
        {"extensions": {"persistedQuery": "yes"}},
        # A trusted document's hash with another text.
        {"query": "{ health { status } }", "extensions": apollo(HEALTH)},
        # Issue 26: JSON's true is no version, though Python's True == 1.
        {"extensions": {"persistedQuery": {"version": True, "sha256Hash": sha256_of(HEALTH)}}},
        {"extensions": {"persistedQuery": {"version": 1.0, "sha256Hash": sha256_of(HEALTH)}}},
        {"extensions": {"persistedQuery": {"version": "1", "sha256Hash": sha256_of(HEALTH)}}},
        # Issue 26: two names for two documents; neither silently wins.
        {"documentId": f"sha256:{sha256_of(HEALTH)}", "extensions": apollo(REPORT)},
        {"documentId": f"sha256:{'0' * 64}", "extensions": apollo(HEALTH)},
        # A well-formed documentId does not excuse a malformed persistedQuery.
        {"documentId": f"sha256:{sha256_of(HEALTH)}", "extensions": {"persistedQuery": 1}},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 63}}},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 65}}},
    ],
)
def test_a_malformed_name_is_a_bad_request(request_body: dict[str, Any]) -> None:
    status, body = call(route(only=False), http_api_event(request_body))
    assert status == 400
    assert code_of(body) == "BAD_REQUEST"


@pytest.mark.parametrize(
    "text",
    [
        "{ health { status } }",
        "{ health { status ",  # a syntax error is never reached: nothing is parsed
        "{" * 5_000,
        "{ health \ud800 }",  # a lone surrogate, as JSON can carry one
        "query Health { health { status } }\n",  # not byte for byte a trusted document
    ],
)
def test_only_trusted_documents_refuses_any_other_text_unparsed(text: str) -> None:
    status, body = call(route(only=True), http_api_event({"query": text}))
    assert status == 200
    assert code_of(body) == "TRUSTED_DOCUMENTS_ONLY"
    assert "data" not in body


def test_only_trusted_documents_runs_a_trusted_text_sent_in_full() -> None:
    # A client that sends the text (the Python example, curl) of a document in the manifest.
    status, body = call(route(only=True), http_api_event({"query": HEALTH}))
    assert (status, body) == (200, {"data": {"health": {"status": "OK"}}})


def test_without_only_a_text_runs_as_before() -> None:
    status, body = call(route(only=False), http_api_event({"query": "{ health { status } }"}))
    assert (status, body) == (200, {"data": {"health": {"status": "OK"}}})


def test_a_trusted_document_is_checked_once_per_container() -> None:
    schema = make_schema(GRAPHQL_CACHE_SIZE="2")
    guard = type(schema.guard)(
        schema._schema,
        schema.guard.limits,
        sizes=schema.guard.sizes,
        introspection=True,
        validation_messages=True,
        trusted=frozenset(DOCUMENTS.values()),
    )
    first = guard.check(HEALTH)
    for i in range(10):  # more distinct texts than the cache holds
        guard.check(f"{{ health {{ status }} }} # {i}")
    assert guard.check(HEALTH) is first
    assert guard.check("{ health { status } } # 0") is not guard.check("{ health { status } } # 0 ")


def test_a_manifest_whose_hash_is_not_its_document_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({f"sha256:{sha256_of(HEALTH)}": HEALTH}))
    assert len(TrustedDocuments.load(tmp_path, only=True)) == 1
    for wrong in ({f"sha256:{sha256_of(HEALTH)}": REPORT}, {sha256_of(HEALTH): HEALTH}):
        manifest.write_text(json.dumps(wrong))
        with pytest.raises(ManifestError, match="not the SHA-256"):
            TrustedDocuments.load(tmp_path, only=True)
    manifest.write_text("[]")
    with pytest.raises(ManifestError):
        TrustedDocuments.load(tmp_path, only=True)


def test_every_clients_manifest_is_read_and_each_client_is_named(tmp_path: Path) -> None:
    (tmp_path / "web.json").write_text(json.dumps({f"sha256:{sha256_of(HEALTH)}": HEALTH}))
    (tmp_path / "team-b.json").write_text(json.dumps({f"sha256:{sha256_of(REPORT)}": REPORT}))
    trusted = TrustedDocuments.load(tmp_path, only=True)
    assert trusted.texts == {HEALTH, REPORT}
    assert trusted.clients == {"web", "team-b"}
    assert [trusted.client_of(n) for n in ("web", "team-b", "Team-B", "x" * 500, "", None)] == [
        "web",
        "team-b",
        "other",
        "other",
        "none",
        "none",
    ]
    (tmp_path / "Not A Name.json").write_text("{}")
    with pytest.raises(ManifestError, match="a client's name"):
        TrustedDocuments.load(tmp_path, only=True)


def test_both_names_of_one_document_run_it() -> None:
    body = {"documentId": f"sha256:{sha256_of(HEALTH)}", "extensions": apollo(HEALTH)}
    status, answer = call(route(only=True), http_api_event(body))
    assert (status, answer) == (200, {"data": {"health": {"status": "OK"}}})


def test_the_trusted_documents_bootstrap_builds_are_what_settings_say(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Built the way prod builds them, not by hand: only-mode from TRUSTED_DOCUMENTS_ONLY,
    and the shipped manifest."""
    from monolambda import bootstrap  # noqa: PLC0415
    from monolambda.bootstrap.graphql_api import trusted_documents  # noqa: PLC0415

    for flag, only in (("true", True), ("false", False)):
        monkeypatch.setenv("APP_ENV", "prod")
        monkeypatch.setenv("TRUSTED_DOCUMENTS_ONLY", flag)
        bootstrap.reset()
        try:
            trusted = trusted_documents()
            assert trusted.only is only
            assert len(trusted) >= len(json.loads(WEB.read_text()))
            if only:
                with pytest.raises(DocumentRefusedError):
                    trusted.query_of({"query": "{ health { status } }"})
        finally:
            bootstrap.reset()


def test_a_loaded_manifest_answers_by_each_documents_hash(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({f"sha256:{sha256_of(t)}": t for t in (HEALTH, REPORT)}))
    trusted = TrustedDocuments.load(tmp_path, only=True)
    assert trusted.query_of({"documentId": f"sha256:{sha256_of(HEALTH)}"}) == HEALTH
    assert trusted.query_of({"extensions": apollo(REPORT)}) == REPORT


def test_caller_is_irrelevant_to_the_refusal() -> None:
    # Refused before the caller is read: the same answer signed in or not.
    app = route(only=True)
    signed_in = call(app, http_api_event({"query": "{ me { sub } }"}, claims=ALICE))
    anonymous = call(app, http_api_event({"query": "{ me { sub } }"}))
    assert signed_in[1]["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENTS_ONLY"
    assert anonymous[1]["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENTS_ONLY"


def test_the_shipped_manifest_is_the_web_clients_and_passes_prods_guard() -> None:
    """What `make web-types` copies: the function runs exactly the client's operations, and
    each passes prod's limits and validation (a trusted document is refused by nothing)."""
    client = ROOT / "web" / "src" / "gql" / "persisted-documents.json"
    assert json.loads(WEB.read_text()) == json.loads(client.read_text()), "run `make web-types`"
    guard = make_schema(APP_ENV="prod").guard
    trusted = TrustedDocuments.load(only=True)
    assert len(trusted) >= 8
    for text in trusted.texts:
        checked = guard.check(text)
        assert checked.schema_errors == [], text
        assert checked.limit_errors == [], text
