"""The job fields through the schema, with in-memory ports: what a client sees."""

from __future__ import annotations

import base64
from typing import Any

from monolambda.domain.identity import Caller
from tests.support.job_fakes import FakeJobStore, job_service
from tests.support.schema import execute, make_schema, make_services

ALICE = Caller("alice")
BOB = Caller("bob")
PNG = base64.b64encode(b"img").decode()

SUBMIT = """mutation($input: SubmitJobInput!) {
  submitJob(input: $input) {
    created dryRun job { id status progress { done total } model version }
  }
}"""


def run(query: str, store: FakeJobStore, caller: Caller | None = ALICE, **variables: Any) -> Any:
    services = make_services(jobs=job_service(store))
    return execute(make_schema(), query, variables=variables, caller=caller, services=services)


def submitted(store: FakeJobStore, caller: Caller = ALICE) -> str:
    result = run(SUBMIT, store, caller, input={"images": [PNG]})
    assert result.errors is None, result.errors
    job_id: str = result.data["submitJob"]["job"]["id"]
    return job_id


def test_submit_answers_at_once_with_the_queued_job() -> None:
    store = FakeJobStore()
    result = run(SUBMIT, store, input={"images": [PNG, PNG], "idempotencyKey": "k"})
    assert result.errors is None
    payload = result.data["submitJob"]
    assert payload["created"]
    assert not payload["dryRun"]
    assert payload["job"]["status"] == "QUEUED"
    assert payload["job"]["progress"] == {"done": 0, "total": 2}
    assert (payload["job"]["model"], payload["job"]["version"]) == ("m", "2")


def test_a_dry_run_answers_what_would_be_queued() -> None:
    store = FakeJobStore()
    result = run(SUBMIT, store, input={"images": [PNG], "dryRun": True})
    assert result.data["submitJob"]["dryRun"]
    assert store.jobs == {}


def test_bad_input_is_a_clear_bad_user_input_error() -> None:
    store = FakeJobStore()
    for given, message in (
        ({"images": ["%%%"]}, "base64"),
        ({"images": [PNG], "s3Keys": ["uploads/alice/x"]}, "one of the two"),
        ({"images": [PNG], "model": "nope"}, "no model"),
    ):
        result = run(SUBMIT, store, input=given)
        (error,) = result.errors
        assert error.extensions["code"] == "BAD_USER_INPUT", given
        assert message in error.message
    assert store.jobs == {}


def test_jobs_asked_for_together_are_read_in_one_batch() -> None:
    store = FakeJobStore()
    first, second = submitted(store), submitted(store)
    store.calls.clear()
    query = "query($a: ID!, $b: ID!) { a: job(id: $a) { id status } b: job(id: $b) { id } }"
    result = run(query, store, a=first, b=second)
    assert result.errors is None
    assert (result.data["a"]["id"], result.data["b"]["id"]) == (first, second)
    assert store.calls == ["get_many"]


def test_another_users_job_is_not_found_and_confirms_nothing() -> None:
    store = FakeJobStore()
    job_id = submitted(store)
    query = "query($id: ID!) { job(id: $id) { id } }"
    theirs = run(query, store, BOB, id=job_id)
    missing = run(query, store, BOB, id="6d3c6f0e-0c1b-4d4e-8f7a-0e5b8b9c1a2d")
    for result in (theirs, missing):
        (error,) = result.errors
        assert error.extensions["code"] == "NOT_FOUND"
    assert theirs.errors[0].message == missing.errors[0].message
    cancel = run("mutation($id: ID!) { cancelJob(id: $id) { id } }", store, BOB, id=job_id)
    assert cancel.errors[0].extensions["code"] == "NOT_FOUND"


def test_jobs_page_through_a_relay_connection() -> None:
    store = FakeJobStore()
    made = [submitted(store) for _ in range(3)]
    page = "query($after: String) { jobs(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"  # noqa: E501
    first = run(page, store).data["jobs"]
    assert len(first["edges"]) == 2
    assert first["pageInfo"]["hasNextPage"]
    rest = run(page, store, after=first["pageInfo"]["endCursor"]).data["jobs"]
    seen = [e["node"]["id"] for e in first["edges"] + rest["edges"]]
    assert sorted(seen) == sorted(made)
    assert not rest["pageInfo"]["hasNextPage"]
    bad = run(page, store, after="tampered")
    assert bad.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert run(page, store, BOB, after=first["pageInfo"]["endCursor"]).errors


def test_results_of_a_listed_job_come_in_one_batch_read() -> None:
    store = FakeJobStore()
    for _ in range(3):
        submitted(store)
    store.calls.clear()
    result = run("{ jobs(first: 5) { edges { node { id results { index } } } } }", store)
    assert result.errors is None
    assert store.calls == ["page", "get_many"]


def test_cancel_and_signing_in() -> None:
    store = FakeJobStore()
    job_id = submitted(store)
    result = run("mutation($id: ID!) { cancelJob(id: $id) { status } }", store, id=job_id)
    assert result.data["cancelJob"]["status"] == "CANCELLED"
    anonymous = run("{ jobs { edges { cursor } } }", store, None)
    assert anonymous.errors[0].extensions["code"] == "UNAUTHENTICATED"
