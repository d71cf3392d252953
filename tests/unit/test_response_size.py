"""External finding 3: one user with 100 finished jobs of 64 images asked for 15 aliases of
`jobs(first: 100) { ... results { index labels { label score } } }` and got 32 MB back after
19-24 s; Lambda refuses answers over 6 MB, so on AWS that request failed after all the work.
An answer's size is estimated before anything is read (lists at their longest, or as long
as `first:` asks, variables included) and refused with BAD_USER_INPUT; results can be taken
a part at a time; and the bytes of whatever is answered are capped below Lambda's limit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monolambda.api.guard.trusted_documents import TrustedDocuments
from monolambda.api.transport.app import MAX_ANSWER_BYTES, build_app
from monolambda.api.transport.lambda_http import HttpRoute
from monolambda.domain.identity import Caller
from monolambda.services.predictions import PredictionService
from tests.support.apigw import FakeLambdaContext, http_api_event, response_json
from tests.support.fakes import FakeImages, FakeInference, FakeRegistry, FakeUploads
from tests.support.job_fakes import FakeJobStore, finished_jobs, job_service
from tests.support.schema import execute, make_schema, make_services

ALICE = Caller("alice")
RESULTS = "results { index labels { label score } }"
LIST = "jobs(first: 100) { edges { node { id " + RESULTS + " } } }"
START = datetime(2026, 12, 1, tzinfo=UTC)


def run(query: str, store: FakeJobStore, **variables: Any) -> Any:
    services = make_services(jobs=job_service(store))
    return execute(make_schema(), query, variables=variables, caller=ALICE, services=services)


def test_the_findings_request_is_refused_before_anything_is_read() -> None:
    store = finished_jobs(100, 64)
    aliases = " ".join(f"a{i}: {LIST}" for i in range(15))
    result = run(f"{{ {aliases} }}", store)
    error = result.errors[0]
    assert error.extensions["code"] == "BAD_USER_INPUT"
    assert "the answer could hold" in error.message
    assert "at most 80,000" in error.message
    assert store.calls == []  # not one read


def test_one_list_of_everything_is_refused_too() -> None:
    store = finished_jobs(100, 64)
    result = run(f"{{ {LIST} }}", store)
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert store.calls == []


def test_a_page_of_a_part_of_each_jobs_results_is_answered() -> None:
    store = finished_jobs(100, 64)
    query = "{ jobs(first: 20) { edges { node { id results(first: 10) { index } } } } }"
    result = run(query, store)
    assert result.errors is None
    edges = result.data["jobs"]["edges"]
    assert len(edges) == 20
    assert [r["index"] for r in edges[0]["node"]["results"]] == list(range(10))


def test_the_estimate_reads_the_variables() -> None:
    store = finished_jobs(30, 64)
    query = (
        "query($n: Int!, $m: Int) { jobs(first: $n) { edges { node { "
        "results(first: $m) { labels { label score } } } } } }"
    )
    assert run(query, store, n=5, m=64).errors is None
    refused = run(query, store, n=100, m=None)
    assert refused.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert "the answer could hold" in refused.errors[0].message


def test_a_variables_default_counts_when_the_variable_is_not_given() -> None:
    store = finished_jobs(5, 4)
    query = "query($n: Int = 100) { jobs(first: $n) { edges { node { " + RESULTS + " } } } }"
    assert run(query, store).errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert run(query, store, n=2).errors is None


def test_one_jobs_results_can_be_read_a_part_at_a_time() -> None:
    store = finished_jobs(1, 64)
    (job_id,) = store.jobs
    query = (
        "query($id: ID!, $o: Int! = 0, $f: Int) "
        "{ job(id: $id) { results(offset: $o, first: $f) { index } } }"
    )
    page = run(query, store, id=job_id, o=60, f=10).data["job"]["results"]
    assert [r["index"] for r in page] == [60, 61, 62, 63]
    whole = run(query, store, id=job_id).data["job"]["results"]
    assert len(whole) == 64
    for bad in ({"o": -1}, {"f": 0}, {"f": 501}):
        result = run(query, store, id=job_id, **bad)
        assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"


def test_every_list_field_declares_how_long_it_can_be() -> None:
    # A new list field without a declared length would be estimated at the longest one.
    assert make_schema().guard.sizes.undeclared() == []


class LongLabelRegistry(FakeRegistry):
    """Models whose labels are long: more bytes than the estimate's values suggest."""

    def manifest(self, name: str, version: str) -> Any:
        manifest = super().manifest(name, version)
        return manifest._replace(labels=tuple("x" * 10_000 for _ in range(300)))


def test_an_answer_over_the_byte_limit_is_refused_not_failed_by_lambda() -> None:
    registry = LongLabelRegistry(versions_of={f"m{i}": ("1",) for i in range(3)})
    predictions = PredictionService(
        registry=registry,
        images=FakeImages(),
        inference=FakeInference(),
        uploads=FakeUploads(),
        default_model="m0",
    )
    app = build_app(
        make_schema(),
        make_services(predictions=predictions),
        TrustedDocuments({}, only=False),
        graphiql=False,
        anonymous_access=False,
    )
    route = HttpRoute(app, max_body_bytes=6 * 1024 * 1024)
    event = http_api_event({"query": "{ models { labels } }"}, claims={"sub": "alice"})
    response = route(event, FakeLambdaContext("req-big"))
    assert response["statusCode"] == 200
    assert len(response["body"]) < 1_000
    (error,) = response_json(response)["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "requestId": "req-big"}
    assert f"the answer is over {MAX_ANSWER_BYTES:,} bytes" in error["message"]
