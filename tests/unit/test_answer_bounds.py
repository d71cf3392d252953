"""Issue 26, findings 1 and 2: an answer's bytes (keys included) and the store reads it
implies are estimated before anything is read, names are bounded, and serialising stops at
the byte limit.

Finding 1: `{ jobs(first: 100) { edges { node { results(first: 30) { labels { <100,000 x A>:
score } } } } } }` (about 100 KB) was estimated by its values only; the answer was built and
serialised whole (6 GB, 20 s) before its 3 GB were refused. Finding 2: fifteen aliases of a
page of 100 jobs with two results each were inside every limit and took seconds: a request's
store reads were not counted.
"""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import build_schema, parse

from monolambda.api.guard.response_size import Cost, Declared, ListSize, Reads, ResponseSizes
from monolambda.domain.bounded_json import FLAT_ITEMS, TooLargeError, dumps_within
from monolambda.domain.identity import Caller
from monolambda.domain.sizes import MAX_HTTP_ANSWER_BYTES
from tests.support.job_fakes import FakeJobStore, finished_jobs, job_service
from tests.support.schema import execute, make_schema, make_services

ALICE = Caller("alice")
START = datetime(2026, 12, 1, tzinfo=UTC)
LABEL = "x" * 24  # as long as a label is declared to be
NAME_LIMIT = 64


def run(query: str, store: FakeJobStore, **options: Any) -> Any:
    env = options.pop("env", {})
    services = make_services(jobs=job_service(store))
    return execute(make_schema(**env), query, caller=ALICE, services=services, **options)


def codes(result: Any) -> list[str]:
    return [e.extensions["code"] for e in result.errors or ()]


def page(first: int | str, node: str, alias: str = "") -> str:
    head = f"{alias}: " if alias else ""
    return f"{head}jobs(first: {first}) {{ edges {{ node {{ {node} }} }} }}"


# --- finding 1: names -------------------------------------------------------------------------
def test_the_findings_long_alias_is_refused_for_its_length_before_anything_is_read() -> None:
    store = finished_jobs(100, 64, label=LABEL)
    alias = "A" * 100_000
    result = run(
        "{ " + page(100, f"results(first: 30) {{ labels {{ {alias}: score }} }}") + " }", store
    )
    (error,) = result.errors
    assert error.message == "a name of 100,000 characters; names are at most 64"
    assert error.extensions["code"] == "BAD_USER_INPUT"
    assert store.calls == []


LONG = "N" * (NAME_LIMIT + 1)
# Every place a name can stand, at one over the limit; the rest of each document is valid.
NAMED_PLACES = {
    "alias": f"{{ {LONG}: health {{ status }} }}",
    "field": f"{{ health {{ {LONG} }} }}",
    "argument": f"{{ health({LONG}: true) {{ status }} }}",
    "variable": f"query(${LONG}: Boolean) {{ health(deep: ${LONG}) {{ status }} }}",
    "operation": f"query {LONG} {{ health {{ status }} }}",
    "fragment": f"{{ ...{LONG} }} fragment {LONG} on Query {{ health {{ status }} }}",
    "type condition": f"{{ ... on {LONG} {{ health {{ status }} }} }}",
    "directive": f"{{ health @{LONG} {{ status }} }}",
    "enum value": f"{{ jobs(status: {LONG}) {{ pageInfo {{ hasNextPage }} }} }}",
    "alias in a named fragment": (
        f"{{ ...F }} fragment F on Query {{ {LONG}: health {{ status }} }}"
    ),
    "alias after __typename in an inline fragment": (
        f"{{ __typename ... on Query {{ {LONG}: health {{ status }} }} }}"
    ),
    "alias in a fragment nobody spreads": (
        f"{{ health {{ status }} }} fragment F on Query {{ {LONG}: health {{ status }} }}"
    ),
}


@pytest.mark.parametrize("query", NAMED_PLACES.values(), ids=NAMED_PLACES.keys())
def test_a_name_over_the_limit_is_refused_wherever_it_stands(query: str) -> None:
    result = run(query, FakeJobStore())
    assert [e.message for e in result.errors] == [
        f"a name of {NAME_LIMIT + 1} characters; names are at most {NAME_LIMIT}"
    ]


def test_a_name_at_the_limit_is_taken() -> None:
    name = "N" * NAME_LIMIT
    result = run(f"query {name} {{ {name}: health {{ status }} }}", FakeJobStore())
    assert result.errors is None
    assert result.data == {name: {"status": "OK"}}


def test_a_long_string_is_no_name() -> None:
    """A string's content is one token of another kind: a long one is refused (or not) by
    what takes it, never for its length as a name."""
    result = run('{ job(id: "' + "a" * 10_000 + '") { id } }', FakeJobStore())
    assert codes(result) == ["NOT_FOUND"]


# --- finding 1: bytes -------------------------------------------------------------------------
LABELS_AT = "results(first: 30) {{ labels {{ {key}: score }} }}"


def test_the_estimate_counts_the_bytes_that_keys_add() -> None:
    """Within the values bound (63,301) either way; the 64-character key makes 60,000 labels
    5.7 MB of JSON, a one-character key 1.9 MB."""
    store = finished_jobs(100, 64, label=LABEL)
    long_keys = run("{ " + page(100, LABELS_AT.format(key="K" * 64)) + " }", store)
    (error,) = long_keys.errors
    assert error.extensions["code"] == "BAD_USER_INPUT"
    assert error.message.startswith("the answer could be 5,747,621 bytes")
    assert f"bytes; at most {MAX_HTTP_ANSWER_BYTES:,}" in error.message
    assert store.calls == []
    short_keys = run("{ " + page(100, LABELS_AT.format(key="k")) + " }", store)
    assert short_keys.errors is None


HEAVY = page(100, LABELS_AT.format(key="K" * 64))
WRAPPED = {
    "inline fragment": f"{{ ... on Query {{ {HEAVY} }} }}",
    "named fragment": f"{{ ...F }} fragment F on Query {{ {HEAVY} }}",
    "after __typename": f"{{ __typename ... on Query {{ {HEAVY} }} }}",
    "fragment inside the node": (
        "{ jobs(first: 100) { edges { node { ...R } } } } "
        f"fragment R on Job {{ {LABELS_AT.format(key='K' * 64)} }}"
    ),
    "fragments spreading fragments": (
        "{ ...A } fragment A on Query { ...B } fragment B on Query { "
        "jobs(first: 100) { edges { ... on JobEdge { node { ...C } } } } } "
        f"fragment C on Job {{ {LABELS_AT.format(key='K' * 64)} }}"
    ),
}


@pytest.mark.parametrize("query", WRAPPED.values(), ids=WRAPPED.keys())
def test_the_byte_estimate_sees_through_fragments(query: str) -> None:
    store = finished_jobs(1, 1)
    result = run(query, store)
    assert codes(result) == ["BAD_USER_INPUT"]
    assert "the answer could be" in result.errors[0].message
    assert store.calls == []


def test_the_estimate_of_a_small_page_is_exact_arithmetic() -> None:
    """Values: jobs, edges, and per job its node, id and status. Bytes: each key quoted with
    its colon and comma, an object's braces, a list's brackets and each item's comma, an ID
    of 36 characters in quotes, the longest JobStatus in quotes. Reads: the page's query and
    one summary per job."""
    guard = make_schema().guard
    checked = guard.check("{ jobs(first: 2) { edges { node { id status } } } }")
    (plan,) = checked.plans
    assert plan.cost(None) == Cost(values=8, bytes=177, reads=3)


def test_the_estimate_is_at_least_the_answer_and_not_far_above_it() -> None:
    """Every list filled to its declared longest, every label as long as declared."""
    store = finished_jobs(20, 16, labels=20, label=LABEL)
    query = "{ " + page(20, "id status results(first: 16) { index labels { label score } }") + " }"
    (plan,) = make_schema().guard.check(query).plans
    answer = run(query, store)
    assert answer.errors is None
    actual = len(json.dumps(answer.data, separators=(",", ":")))
    estimate = plan.cost(None).bytes
    assert actual <= estimate <= 2 * actual


def test_the_estimate_reads_the_variables_for_bytes_and_reads() -> None:
    query = "query($n: Int!) { jobs(first: $n) { edges { node { id results { index } } } } }"
    (plan,) = make_schema().guard.check(query).plans
    ten, hundred = plan.cost({"n": 10}), plan.cost({"n": 100})
    assert hundred.reads == 1 + 100 + 100
    assert ten.reads == 1 + 10 + 10
    assert hundred.bytes > 9 * ten.bytes


def test_the_byte_bound_is_the_transports() -> None:
    """A WebSocket message is smaller than an HTTP answer: the same estimate, its own limit."""
    store = finished_jobs(1, 1)
    query = "{ " + page(40, "id results(first: 10) { index labels { label score } }") + " }"
    assert run(query, store).errors is None
    over = run(query, store, max_answer_bytes=128 * 1024)
    assert codes(over) == ["BAD_USER_INPUT"]
    assert over.errors[0].message.endswith(
        "bytes; at most 131,072. Ask for fewer: jobs(first:), results(first:), fewer aliases"
    )


def test_each_bound_takes_its_limit_exactly() -> None:
    query = "{ jobs(first: 2) { edges { node { id status } } } }"
    store = finished_jobs(2, 1)
    assert run(query, store, env={"GRAPHQL_MAX_RESPONSE_VALUES": "8"}).errors is None
    assert codes(run(query, store, env={"GRAPHQL_MAX_RESPONSE_VALUES": "7"})) == ["BAD_USER_INPUT"]
    assert run(query, store, env={"GRAPHQL_MAX_STORE_READS": "3"}).errors is None
    assert codes(run(query, store, env={"GRAPHQL_MAX_STORE_READS": "2"})) == ["BAD_USER_INPUT"]
    assert run(query, store, max_answer_bytes=177).errors is None
    assert codes(run(query, store, max_answer_bytes=176)) == ["BAD_USER_INPUT"]


# --- finding 2: store reads -------------------------------------------------------------------
TWO_RESULTS = "id results(first: 2) { index labels { label score } }"


def test_the_findings_fifteen_pages_are_refused_for_their_reads() -> None:
    store = finished_jobs(100, 64, label=LABEL)
    aliases = " ".join(page(100, TWO_RESULTS, f"a{n}") for n in range(15))
    result = run(f"{{ {aliases} }}", store)
    messages = [e.message for e in result.errors]
    assert (
        "the answer could read 3,015 stored items; at most 400. Ask for fewer: jobs(first:), "
        "results(first:), fewer aliases"
    ) in messages
    assert codes(result) == ["BAD_USER_INPUT"] * len(messages)
    assert store.calls == []


def test_a_page_with_its_results_is_within_the_reads() -> None:
    store = finished_jobs(100, 4)
    result = run("{ " + page(100, TWO_RESULTS) + " }", store)
    assert result.errors is None
    assert len(result.data["jobs"]["edges"]) == 100


def test_reads_at_the_limit_are_taken_and_one_more_is_not() -> None:
    """A page of 75 jobs whose results, callbackUrl and webhook each read the job (1 + 75 +
    225), with a second page of summaries: 98 jobs make 400 reads, 99 make 401."""
    whole = "results { index } callbackUrl webhook { status }"
    store = finished_jobs(100, 1)
    for second, refused in ((98, False), (99, True)):
        query = "{ " + page(75, whole, "a") + " " + page(second, "id", "b") + " }"
        (plan,) = make_schema().guard.check(query).plans
        assert plan.cost(None).reads == 1 + 75 * 4 + 1 + second
        assert bool(run(query, store).errors) is refused


def test_reads_are_counted_through_fragments_and_variables() -> None:
    query = (
        "query($n: Int!) { ...F } fragment F on Query { "
        + page("$n", "...R", "a")
        + " "
        + page("$n", "...R", "b")
        + " } fragment R on Job { results(first: 1) { index } }"
    )
    store = finished_jobs(100, 1)
    refused = run(query, store, variables={"n": 100})
    assert any("stored items" in e.message for e in refused.errors)
    assert store.calls == []
    assert run(query, store, variables={"n": 99}).errors is None  # 2 x (1 + 99 + 99) = 398


# --- finding 1: serialising stops at the limit ------------------------------------------------
VALUES: list[Any] = [
    {},
    [],
    {"a": [], "b": {}, "c": [{}], "d": [[]]},
    {"data": {"health": {"status": "OK", "checks": [{"name": "x", "n": 1.5, "ok": True}]}}},
    {"s": 'quote " backslash \\ newline \n tab \t nul \x00 é 😀', "n": None, "f": -1e-300},
    [1, [2, [3, [4, {"deep": [5]}]]], "x"],
    {"t": (1, 2, {"u": (3,)})},
    {"flat": [{"a": n, "b": str(n)} for n in range(40)], "scalars": list(range(33)), "e": []},
    [[], [[]], [{}], {"x": [[1], []]}],
    {"k\u2028": "v\ud800"},  # a lone surrogate and a line separator, escaped as json does
]


@pytest.mark.parametrize("value", VALUES)
def test_json_within_a_limit_is_jsons_own(value: Any) -> None:
    expected = json.dumps(value, separators=(",", ":"))
    assert dumps_within(value, len(expected)) == expected
    with pytest.raises(TooLargeError):
        dumps_within(value, len(expected) - 1)


@pytest.mark.parametrize(
    ("value", "carried"),
    [({}, 2), ({"a": "b"}, 13), ("\\", 8), (["\\", {"q": '"'}], 27)],
)
def test_the_bytes_counted_are_those_lambda_carries(value: Any, carried: int) -> None:
    """Lambda's response is JSON around the body: each quote and backslash costs one more."""
    text = dumps_within(value, carried, escaped=True)
    assert len(json.dumps(text)) - 2 == carried
    with pytest.raises(TooLargeError):
        dumps_within(value, carried - 1, escaped=True)


def test_serialising_stops_at_the_first_item_past_the_limit() -> None:
    item = {"label": "x" * 10_000, "score": 0.5}  # about 10 KB of JSON
    answer = {"data": {"items": [dict(item) for _ in range(5_000)]}}  # about 50 MB
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError) as refused:
            dumps_within(answer, 1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One part past the limit: FLAT_ITEMS of the list's objects and their commas.
    part = FLAT_ITEMS * (len(json.dumps(item)) + 1)
    assert 1_000_000 < refused.value.size <= 1_000_000 + part
    # What was kept: the limit and one part (and the list of parts), never the 50 MB.
    assert peak < 3 * 1_000_000


def test_a_long_list_of_large_objects_nested_deeper_stops_alike() -> None:
    answer = {"data": {"jobs": [{"labels": [{"label": "x" * 10_000}] * 100}] * 100}}
    with pytest.raises(TooLargeError) as refused:
        dumps_within(answer, 500_000)
    assert refused.value.size <= 500_000 + FLAT_ITEMS * 10_020


# --- the estimate's arithmetic, case by case (each line a change the estimate must notice) ------
def cost(query: str, env: dict[str, str] | None = None, **variables: Any) -> Cost:
    (plan,) = make_schema(**(env or {})).guard.check(query).plans
    return plan.cost(variables or None)


def test_typename_counts_its_key_and_the_longest_type_name_it_could_be() -> None:
    # "__typename": key 10 + 4; value "Query" quoted: 2 + 5.
    assert cost("{ __typename }") == Cost(1, 21, 0)
    # On a job: "Job" (3).
    assert cost("{ job(id: 1) { __typename } }") == Cost(2, 3 + 4 + 2 + 10 + 4 + 5, 1)


def test_introspection_counts_its_key_and_nothing_below_it() -> None:
    # dev has introspection: "__schema" (8 + 4), its inside left to graphql-core's limits.
    assert cost("{ __schema { types { name } } }") == Cost(1, 12, 0)
    # Whatever follows it is still counted (an early stop would hide the page).
    page_ = "jobs(first: 100) { edges { node { results { index } } } }"
    big = "{ __schema { queryType { name } } " + page_ + " }"
    assert cost(big).values > 50_000


def test_a_list_of_scalars_counts_each_item_at_its_scalar_size() -> None:
    # me: key 2 + 4, braces 2; groups: key 6 + 4, brackets 2; 100 groups of 64 characters,
    # each quoted, with its comma.
    assert cost("{ me { groups } }") == Cost(2, 8 + 12 + 100 * (2 + 64 + 1), 0)


def test_a_fragment_before_a_field_hides_nothing_after_it() -> None:
    alone = cost("{ jobs(first: 3) { edges { node { id } } } }")
    after = cost("{ ... on Query { __typename } jobs(first: 3) { edges { node { id } } } }")
    assert after == Cost(alone.values + 1, alone.bytes + 21, alone.reads)


@pytest.mark.parametrize(
    ("query", "variables", "reads"),
    [
        ("{ jobs { edges { node { id } } } }", {}, 1 + 20),  # first's default: 20
        ("{ jobs(first: 0) { edges { node { id } } } }", {}, 1),
        ("{ jobs(first: 1000) { edges { node { id } } } }", {}, 1 + 100),  # at most a page
        ("query($n: Int = 3) { jobs(first: $n) { edges { node { id } } } }", {}, 1 + 3),
        ("query($n: Int = 300) { jobs(first: $n) { edges { node { id } } } }", {}, 1 + 100),
        ("query($n: Int) { jobs(first: $n) { edges { node { id } } } }", {}, 1 + 20),
        ("query($n: Int) { jobs(first: $n) { edges { node { id } } } }", {"n": 0}, 1),
        ("query($n: Int) { jobs(first: $n) { edges { node { id } } } }", {"n": -5}, 1),
        ("query($n: Int) { jobs(first: $n) { edges { node { id } } } }", {"n": 7}, 1 + 7),
        ("query($n: Int) { jobs(first: $n) { edges { node { id } } } }", {"n": 700}, 1 + 100),
        ("query($n: Int) { jobs(first: $n) { edges { node { id } } } }", {"n": "7"}, 1 + 20),
        ("query($n: Int) { jobs(first: $n) { edges { node { id } } } }", {"n": True}, 1 + 20),
        ("query($n: Int = 3) { jobs(first: $n) { edges { node { id } } } }", {"n": 5}, 1 + 5),
    ],
)
def test_a_lists_length_comes_from_its_argument_its_variable_or_their_defaults(
    query: str, variables: dict[str, Any], reads: int
) -> None:
    """Reads are one per job on the page: they show the length the estimate took."""
    assert cost(query, **variables).reads == reads


def test_a_results_length_is_its_first_or_every_result() -> None:
    one = "{ job(id: 1) { results(first: 2) { index } } }"
    every = "{ job(id: 1) { results { index } } }"
    # job: key 3 + 4, braces; results: key 7 + 4, brackets; each item braces, comma, and
    # "index" (5 + 4) with an Int (11).
    item = 2 + 1 + 5 + 4 + 11
    assert cost(one) == Cost(2 + 2, 9 + 13 + 2 * item, 2)
    assert cost(every).bytes == 9 + 13 + 500 * item


def test_typename_on_an_interface_is_as_long_as_its_longest_implementation() -> None:
    schema = build_schema(
        "interface Node { id: ID! } type A implements Node { id: ID! } "
        "type LongerName implements Node { id: ID! } type Query { node: Node }"
    )
    sizes = ResponseSizes(schema, Declared(lists={}, strings={}, reads={}))
    document = parse("{ node { __typename } }")
    plan = sizes.plan(document, document.definitions[0])  # type: ignore[arg-type]
    # node: key 4 + 4, braces 2; __typename: key 10 + 4, "LongerName" quoted 2 + 10.
    assert plan.cost(None) == Cost(2, 10 + 26, 0)


def test_a_declared_size_of_no_field_is_reported() -> None:
    """A renamed field would lose its declared size silently: the tests keep this empty."""
    assert make_schema().guard.sizes.unknown() == []
    schema = make_schema()._schema
    typo = Declared(
        lists={"Job.nope": ListSize(1), "Query.models": ListSize(1)},
        strings={"JobStatus.QUEUED": 3, "Nothing.x": 1},
        reads={"Query.jobs": Reads(per_field=1), "Query": Reads()},
    )
    assert ResponseSizes(schema, typo).unknown() == [
        "Job.nope",
        "JobStatus.QUEUED",
        "Nothing.x",
        "Query",
    ]


def test_a_list_field_without_a_declared_length_is_reported() -> None:
    schema = make_schema()._schema
    undeclared = ResponseSizes(schema, Declared(lists={}, strings={}, reads={})).undeclared()
    assert "Query.models" in undeclared
    assert "Job.results" in undeclared
    assert "Query.health" not in undeclared  # not a list
    assert not any(c.startswith("__") for c in undeclared)
