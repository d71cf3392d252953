"""External findings (the hardening run), each checked without a clock: work is counted as
Python function calls made while the schema's guard checks a document, which is the same on
a busy machine as on an idle one.

1. An 830-byte document whose fragments each spread the previous one twice took 15 s (39
   levels: minutes): Strawberry's depth and alias limiters and our costly-field walk expanded
   every spread. A fragment is now measured once, and the document is refused by its
   expanded size.
2. Python's integer-string limit raised inside a request (a JSON body: test_http.py,
   "integer of 4,301 digits"; an Int literal: here) and answered INTERNAL.
6. 1,500,000 empty images in a variable were refused after 3-4 s, by the job's image count:
   now by the list's length, before graphql-core coerces a single item.
9. Prod's introspection refusal was two errors with locations; the README promises one
   without.
Plus, found on the way: graphql-core's overlapping-fields rule is quadratic (400 copies of
one field: 0.7 s) and quotes a wrong literal whole in its message (3 MB back for 3 MB in).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from graphql import get_introspection_query

from monolambda.api.graph.schema import MonolambdaSchema
from monolambda.api.guard.limits import INTROSPECTION_OFF
from monolambda.domain.identity import Caller
from tests.support.hostile_documents import FAMILIES, fan_out, largest
from tests.support.schema import execute, make_schema


def calls(work: Callable[[], object]) -> int:
    """Python function calls made by `work` (deterministic, unlike its duration)."""
    count = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        del frame, arg
        count += event == "call"

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


class Checks:
    """The guard's check of documents, each text fresh (as an attacker defeats the cache)."""

    def __init__(self, schema: MonolambdaSchema) -> None:
        self._guard = schema.guard
        self._fresh = 0

    def work(self, text: str) -> int:
        self._fresh += 1
        self._guard.check(f"{text}\n# warm {self._fresh}")  # first-use caches out of the count
        return calls(lambda: self._guard.check(f"{text}\n# {self._fresh}"))


def codes(result: Any) -> set[str]:
    return {e.extensions["code"] for e in result.errors or ()}


def test_the_830_byte_fan_out_is_refused_by_its_expanded_size() -> None:
    document = fan_out(20)
    assert len(document) == 830
    result = execute(make_schema(), document)
    assert codes(result) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "6,291,454 fields once fragments are expanded; allowed: 1,000" in (
        result.errors[0].message
    )


@pytest.mark.parametrize("levels", [39, 60])
def test_deeper_fan_outs_are_refused_alike(levels: int) -> None:
    result = execute(make_schema(), fan_out(levels))
    assert codes(result) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "fields once fragments are expanded" in result.errors[0].message


def test_a_fan_out_costs_work_linear_in_its_levels() -> None:
    # Expanding every spread would make 20 levels cost 1,000 times 10 levels.
    checks = Checks(make_schema())
    assert checks.work(fan_out(20)) <= 2.5 * checks.work(fan_out(10))


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_costs_work_linear_in_its_size(name: str) -> None:
    """At the largest size the token limit lets through and at half of it: twice the
    document, at most about twice the work (a quadratic check would be four times)."""
    family = FAMILIES[name]
    schema = make_schema()
    size = largest(family, schema.guard.limits.max_tokens)
    checks = Checks(schema)
    assert checks.work(family(size)) <= 2.5 * checks.work(family(size // 2))


def test_a_field_repeated_hundreds_of_times_is_refused_as_too_costly() -> None:
    result = execute(make_schema(), "{ " + " version { version }" * 400 + " }")
    assert codes(result) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "too costly to validate" in result.errors[0].message


def test_fragment_chains_past_graphql_cores_nesting_are_refused_in_words() -> None:
    fragments = ["fragment F0 on Query { health { status } }"]
    fragments += [f"fragment F{k} on Query {{ ...F{k - 1} }}" for k in range(1, 230)]
    result = execute(make_schema(), "{ ...F229 } " + " ".join(fragments))
    assert codes(result) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "nested 232 deep through fragments; allowed: 200" in result.errors[0].message


@pytest.mark.parametrize(
    "document",
    [
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        "{ ...Missing }",
        "{ health { ...A } } fragment A on Health { ...A status }",
    ],
    ids=["cycle", "unknown fragment", "self spread"],
)
def test_broken_fragments_get_the_spec_rules_errors(document: str) -> None:
    result = execute(make_schema(), document)
    assert codes(result) == {"GRAPHQL_VALIDATION_FAILED"}


def test_fragments_shared_by_components_are_accepted() -> None:
    # What a client with fragment colocation sends: fields repeated through fragments.
    document = """
        query Dashboard { health { ...Status ...Checks } version { ...Build } }
        fragment Status on Health { status checks { name status } }
        fragment Checks on Health { status checks { name detail latencyMs } }
        fragment Build on Version { version gitRevision }
    """
    result = execute(make_schema(), document)
    assert result.errors is None
    assert result.data["health"]["status"] == "OK"


def test_too_many_operations_in_one_document_are_refused() -> None:
    document = " ".join(f"query Q{i} {{ health {{ status }} }}" for i in range(21))
    result = execute(make_schema(), document, operation_name="Q0")
    assert codes(result) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "21 operations in one document; allowed: 20" in result.errors[0].message
    assert execute(make_schema(GRAPHQL_MAX_OPERATIONS="21"), document, operation_name="Q0").data


def test_an_integer_literal_past_pythons_limit_is_the_callers_mistake() -> None:
    result = execute(make_schema(), "{ jobs(first: 1" + "0" * 5000 + ") { edges { cursor } } }")
    assert codes(result) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "an integer literal of 5,001 digits; at most 20" in result.errors[0].message


def test_a_huge_literal_is_not_quoted_back_whole() -> None:
    result = execute(make_schema(), '{ health(deep: "' + "x" * 3_000_000 + '") { status } }')
    assert codes(result) == {"GRAPHQL_VALIDATION_FAILED"}
    assert len(result.errors[0].message) == 1_000


SUBMIT = "mutation($i: [String!]) { submitJob(input: {images: $i}) { job { id } } }"
BATCH = "query($i: [String!]!) { predictBatch(input: {images: $i}) { labels { label } } }"


@pytest.mark.parametrize("document", [SUBMIT, BATCH], ids=["submitJob", "predictBatch"])
def test_a_list_of_a_million_items_is_refused_by_its_length(document: str) -> None:
    schema = make_schema()
    alice = Caller(sub="alice")

    def run(items: int) -> Any:
        return execute(schema, document, variables={"i": [""] * items}, caller=alice)

    result = run(1_500_000)
    assert codes(result) == {"BAD_USER_INPUT"}
    assert result.errors[0].message == (
        "Variable '$i' holds a list of 1,500,000 items; at most 500"
    )
    # As much work as for a list just over the limit: no item was looked at.
    assert calls(lambda: run(1_500_000)) <= 1.2 * calls(lambda: run(501))


def test_a_list_at_the_limit_reaches_the_field() -> None:
    result = execute(make_schema(), SUBMIT, variables={"i": [""] * 500}, caller=Caller("alice"))
    assert codes(result) == {"UNAVAILABLE"}  # no jobs on this test schema: the field ran


def test_the_list_limit_follows_a_larger_job_limit() -> None:
    env = {
        "JOBS_TABLE": "jobs",
        "JOBS_QUEUE_URL": "http://127.0.0.1:1/queue/jobs",
        "MODELS_BUCKET": "bucket",
        "MODEL_PARAMETER_PREFIX": "/stack/models",
        "JOB_MAX_IMAGES": "800",
    }
    assert make_schema(**env).guard.limits.max_list_items == 800


def test_prod_refuses_introspection_with_one_error_without_locations() -> None:
    result = execute(make_schema(APP_ENV="prod"), get_introspection_query())
    (error,) = result.errors
    assert error.message == INTROSPECTION_OFF
    assert error.locations is None
    assert error.extensions["code"] == "GRAPHQL_VALIDATION_FAILED"
