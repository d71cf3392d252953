"""Issue 26, "tests that guard the guard": every limit tried the ways an attacker reaches it
(through named and inline fragments, after a leading __typename, inside fragment cycles that
do not start at the first fragment), exactly at each limit and one past it, on objects built
as prod builds them, with the odd inputs a mutation run showed untested. Each test names the
change to the guard it would catch."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from graphql import parse

from monolambda.api.guard.operation_size import (
    INTROSPECTION_FIELDS,
    Size,
    fragment_sizes,
    longest_integer,
    selection_size,
)
from monolambda.api.guard.variables import variable_errors
from monolambda.domain.identity import Caller
from monolambda.domain.jobs import (
    ItemResult,
    JobError,
    JobInputs,
    JobMessage,
    MessageKind,
    is_job_id,
    results_from_json,
    results_to_json,
)
from monolambda.domain.models import RankedLabel
from tests.support.job_fakes import FakeJobStore, job_service
from tests.support.schema import execute, make_schema, make_services

PROD = {"APP_ENV": "prod"}
HEALTH_DEEP = "health { checks { name } }"


def codes(result: Any) -> list[str]:
    return [e.extensions["code"] for e in result.errors or ()]


# --- introspection ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        '{ __type(name: "Query") { fields { name } } }',  # the mutant that dropped "__type"
        "{ __schema { types { name } } }",
        '{ ... on Query { __type(name: "Job") { name } } }',
        '{ ...F } fragment F on Query { __type(name: "Job") { name } }',
        "{ __typename ...F } fragment F on Query { __schema { queryType { name } } }",
        '{ health { status } } fragment Unused on Query { __type(name: "Job") { name } }',
    ],
)
def test_prod_refuses_introspection_however_it_is_reached(query: str) -> None:
    result = execute(make_schema(**PROD), query)
    assert [e.message for e in result.errors] == ["Introspection is off on this API"]


def test_typename_is_no_introspection() -> None:
    assert "__typename" not in INTROSPECTION_FIELDS
    result = execute(make_schema(**PROD), "{ __typename health { __typename status } }")
    assert result.errors is None


# --- depth ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        f"{{ ...F }} fragment F on Query {{ {HEALTH_DEEP} }}",  # the mutant: spreads ignored
        f"{{ ... on Query {{ {HEALTH_DEEP} }} }}",
        f"{{ __typename ...F }} fragment F on Query {{ {HEALTH_DEEP} }}",
        "{ health { ...C } } fragment C on Health { checks { name } }",
        "{ ...A } fragment A on Query { ...B } fragment B on Query { health { ...C } } "
        "fragment C on Health { checks { name } }",
    ],
)
def test_depth_is_counted_through_fragments(query: str) -> None:
    schema = make_schema(GRAPHQL_MAX_DEPTH="1")
    (error,) = execute(schema, query).errors
    assert "exceeds maximum operation depth of 1" in error.message
    assert execute(make_schema(GRAPHQL_MAX_DEPTH="2"), query).errors is None


def test_depth_at_the_limit_is_taken() -> None:
    assert execute(make_schema(GRAPHQL_MAX_DEPTH="2"), f"{{ {HEALTH_DEEP} }}").errors is None


# --- aliases and fields -----------------------------------------------------------------------
def aliases(count: int) -> str:
    return " ".join(f"v{i}: version {{ version }}" for i in range(count))


@pytest.mark.parametrize(
    "wrap",
    [
        "{{ {} }}",
        "{{ ... on Query {{ {} }} }}",
        "{{ __typename ...F }} fragment F on Query {{ {} }}",
    ],
)
def test_aliases_are_counted_through_fragments_exactly_at_the_limit(wrap: str) -> None:
    schema = make_schema(GRAPHQL_MAX_ALIASES="3")
    assert execute(schema, wrap.format(aliases(3))).errors is None
    (error,) = execute(schema, wrap.format(aliases(4))).errors
    assert error.message == "4 aliases found. Allowed: 3"


def test_a_spread_fragments_aliases_count_once_per_spread() -> None:
    query = (
        "{ ...F ...G } fragment F on Query { a: version { version } } fragment G on Query { ...F }"
    )
    (error,) = execute(make_schema(GRAPHQL_MAX_ALIASES="1"), query).errors
    assert error.message == "2 aliases found. Allowed: 1"


def test_fields_once_expanded_at_the_limit_and_one_past_it() -> None:
    # 1 field (version) + 1 (its version) per spread, and the fragment standing alone: 2.
    query = "{ ...F ...F } fragment F on Query { version { version } }"
    sizes = fragment_sizes(parse(query))
    assert sizes["F"].fields == 2
    assert execute(make_schema(GRAPHQL_MAX_FIELDS="6"), query).errors is None
    (error,) = execute(make_schema(GRAPHQL_MAX_FIELDS="5"), query).errors
    assert error.message.startswith("6 fields once fragments are expanded; allowed: 5")


@pytest.mark.parametrize(
    "query",
    [
        # A cycle that does not start at the first fragment: A -> B -> C -> B.
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...C } "
        "fragment C on Query { version { version } ...B }",
        # A fragment spreading itself, defined after one that does not.
        "{ ...A } fragment A on Query { version { version } } fragment B on Query { ...B }",
    ],
)
def test_fragment_cycles_anywhere_are_refused_without_hanging(query: str) -> None:
    document = parse(query)
    sizes = fragment_sizes(document)  # terminates: each fragment measured once
    assert set(sizes) == {d.name.value for d in document.definitions[1:]}  # type: ignore[attr-defined]
    result = execute(make_schema(), query)
    assert codes(result)
    assert set(codes(result)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert any("Cannot spread fragment" in e.message for e in result.errors)


def test_a_spread_adds_its_fragments_size_at_every_spread() -> None:
    document = parse("fragment F on Query { a { b } c }")
    sizes = fragment_sizes(document)
    twice = parse("{ ...F x { ...F } }").definitions[0].selection_set  # type: ignore[attr-defined]
    size = selection_size(twice, sizes)
    assert (size.fields, size.depth) == (1 + 2 * 3, 2)
    assert size.nesting == 4


def test_the_longest_integer_is_found_in_every_place() -> None:
    for text in (
        "{ f(a: 12345) }",
        "{ f(a: [1, [12345]]) }",
        "{ f(a: {b: {c: 12345}}) }",
        "{ f @d(a: 12345) }",
        "query($v: Int = 12345) { f }",
        "{ ...F } fragment F on Q { f(a: -12345) }",
    ):
        assert longest_integer(parse(text)) == 5, text


# --- the answer's estimate --------------------------------------------------------------------
EVERYTHING = "jobs(first: 100) { edges { node { id results { index labels { label score } } } } }"


@pytest.mark.parametrize(
    "query",
    [
        f"{{ {EVERYTHING} }}",
        f"{{ ... on Query {{ {EVERYTHING} }} }}",  # the mutant that skipped fragments
        f"{{ __typename {EVERYTHING} }}",  # the mutant: `continue` -> `break` after __typename
        f"{{ __typename ... on Query {{ __typename {EVERYTHING} }} }}",
        f"{{ ...F }} fragment F on Query {{ __typename {EVERYTHING} }}",
        "{ jobs(first: 100) { __typename edges { __typename node { __typename ...R } } } } "
        "fragment R on Job { __typename results { __typename labels { label score } } }",
    ],
)
def test_the_one_list_of_everything_is_refused_however_it_is_wrapped(query: str) -> None:
    store = FakeJobStore()
    result = execute(
        make_schema(),
        query,
        caller=Caller("alice"),
        services=make_services(jobs=job_service(store)),
    )
    assert "BAD_USER_INPUT" in codes(result)
    assert any("the answer could hold" in e.message for e in result.errors)
    assert store.calls == []


# --- variables --------------------------------------------------------------------------------
def test_variables_at_the_value_limit_are_taken_and_one_more_is_refused() -> None:
    # 4 x 10 + 100 = 140 values: the lists' items and the variables themselves.
    at_limit = {f"v{n}": [0] * 10 for n in range(12)} | {"x": [0] * 7}  # 12 + 120 + 1 + 7
    assert variable_errors(at_limit, 10) == []
    (error,) = variable_errors({**at_limit, "y": 0}, 10)
    assert error.message == "the variables hold more than 140 values"
    assert error.extensions == {"code": "BAD_USER_INPUT"}


def test_a_list_nested_in_an_input_object_is_measured_at_its_limit() -> None:
    assert variable_errors({"i": {"images": ["a"] * 10}}, 10) == []
    (error,) = variable_errors({"i": {"images": ["a"] * 11}}, 10)
    assert error.message == "Variable '$i' holds a list of 11 items; at most 10"
    deep = {"i": {"a": {"b": [{"c": ["x"] * 11}]}}}
    (error,) = variable_errors(deep, 10)
    assert error.message == "Variable '$i' holds a list of 11 items; at most 10"


def test_an_object_with_too_many_keys_is_refused_by_its_length() -> None:
    assert variable_errors({"o": {str(k): 1 for k in range(10)}}, 10) == []
    (error,) = variable_errors({"o": {str(k): 1 for k in range(11)}}, 10)
    assert error.message == "Variable '$o' holds an object of 11 items; at most 10"


def test_scalars_and_empty_containers_are_values_too() -> None:
    assert variable_errors({}, 10) == []
    assert variable_errors({"a": None, "b": "", "c": [], "d": {}}, 10) == []


# --- stored results and messages ---------------------------------------------------------------
RESULTS = (
    ItemResult(0, (RankedLabel("cat", 0.75), RankedLabel("dög", 0.125))),
    ItemResult(1, error=JobError("BAD_IMAGE", "images[1] is not a PNG")),
    ItemResult(2),
)


def test_stored_results_come_back_as_they_went() -> None:
    stored = results_from_json(results_to_json(RESULTS))
    assert stored == RESULTS
    assert len(stored) == 3
    assert stored[1] == RESULTS[1]
    assert stored[1:] == RESULTS[1:]
    assert stored[-1] == RESULTS[-1]
    assert [r.index for r in stored] == [0, 1, 2]
    for result in RESULTS:
        assert ItemResult.from_json(result.to_json()) == result


def test_stored_results_skip_what_is_not_a_result() -> None:
    assert results_from_json('[{"i": 0, "l": [["a", 1]]}, 5, "x", null]') == (
        ItemResult(0, (RankedLabel("a", 1.0),)),
    )
    assert results_from_json("[]") == ()
    assert results_from_json("[]") != "not a sequence"


def test_a_job_message_comes_back_as_it_went() -> None:
    for message in (
        JobMessage("00000000-0000-4000-8000-000000000001", "alice", "corr"),
        JobMessage("00000000-0000-4000-8000-000000000001", "bob", "c", kind=MessageKind.WEBHOOK),
    ):
        assert JobMessage.parse(message.body()) == message


@pytest.mark.parametrize(
    "body",
    [
        '{"jobId": "not-a-uuid", "owner": "alice", "correlationId": "c"}',
        '{"jobId": "00000000-0000-4000-8000-00000000000A", "owner": "a", "correlationId": "c"}',
        '{"jobId": "00000000-0000-4000-8000-000000000001", "owner": "", "correlationId": "c"}',
        '{"jobId": "00000000-0000-4000-8000-000000000001", "owner": 7, "correlationId": "c"}',
        '{"jobId": "00000000-0000-4000-8000-000000000001", "owner": "a"}',
        '{"jobId": "00000000-0000-4000-8000-000000000001", "owner": "a", "correlationId": "c", '
        '"kind": "other"}',
        "[]",
        "not json",
    ],
)
def test_a_message_that_is_not_a_job_message_is_refused(body: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - parse's one error, its words aside
        JobMessage.parse(body)


def test_a_correlation_id_is_cut_to_128_characters() -> None:
    body = '{"jobId": "00000000-0000-4000-8000-000000000001", "owner": "a", "correlationId": "'
    assert len(JobMessage.parse(body + "c" * 500 + '"}').correlation_id) == 128


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("00000000-0000-4000-8000-000000000001", True),
        ("00000000-0000-4000-8000-00000000000A", False),  # not as UUIDs are written
        ("{00000000-0000-4000-8000-000000000001}", False),
        ("00000000000040008000000000000001", False),
        ("", False),
        ("x" * 36, False),
    ],
)
def test_a_job_id_is_a_uuid_written_as_uuids_are(text: str, valid: bool) -> None:
    assert is_job_id(text) is valid


@pytest.mark.parametrize("job_id", ["not-a-uuid", "", "00000000-0000-4000-8000-00000000000A"])
def test_a_job_id_that_is_no_uuid_is_not_found_without_a_read(job_id: str) -> None:
    store = FakeJobStore()
    result = execute(
        make_schema(),
        "query($id: ID!) { job(id: $id) { id } }",
        variables={"id": job_id},
        caller=Caller("alice"),
        services=make_services(jobs=job_service(store)),
    )
    assert codes(result) == ["NOT_FOUND"]
    assert store.calls in ([], ["get_many"])
    assert not store.jobs


def test_stored_forms_are_compact_and_stable() -> None:
    """What is stored or sent is written compactly (an item's size counts against
    DynamoDB's 400 KB), and a request's fingerprint is the same in every release: a retried
    submit made before a deploy must still find its job after it."""
    assert results_to_json(RESULTS[:1]) == '[{"i":0,"l":[["cat",0.75],["d\\u00f6g",0.125]]}]'
    message = JobMessage("00000000-0000-4000-8000-000000000001", "alice", "corr")
    assert message.body() == (
        '{"jobId":"00000000-0000-4000-8000-000000000001","owner":"alice","correlationId":"corr"}'
    )
    webhook = JobMessage("00000000-0000-4000-8000-000000000001", "a", "c", kind=MessageKind.WEBHOOK)
    assert webhook.body().endswith(',"kind":"webhook"}')
    inputs = JobInputs(s3_keys=("uploads/a/x.png",), images=(b"\x89PNG",))
    assert inputs.digest() == DIGEST
    # A key and an image of the same bytes are not the same input.
    assert JobInputs(s3_keys=("ab",)).digest() != JobInputs(images=(b"ab",)).digest()
    assert JobInputs(s3_keys=("a", "b")).digest() != JobInputs(s3_keys=("ab",)).digest()


DIGEST = hashlib.sha256(
    b"kuploads/a/x.png\0" + b"i" + hashlib.sha256(b"\x89PNG").digest()
).hexdigest()


@pytest.mark.parametrize(
    ("query", "size"),
    [
        # (fields, aliases, depth, nesting, introspection)
        ("{ a }", Size(1, 0, 0, 1, False)),
        ("{ a { b } }", Size(2, 0, 1, 2, False)),
        ("{ a { __typename } }", Size(2, 0, 1, 2, False)),  # a has selections: depth 1
        ("{ x: a { b { c } } }", Size(3, 1, 2, 3, False)),
        ("{ ... on Q { a } }", Size(1, 0, 0, 2, False)),
        ("{ ... on Q { ... on Q { a } } }", Size(1, 0, 0, 3, False)),
        ("{ ...Nowhere a { b } }", Size(2, 0, 1, 2, False)),  # a spread of no fragment
        ("{ __schema { types { name } } }", Size(3, 0, 0, 3, True)),
        ("{ a { __type(name: 1) { name } } }", Size(3, 0, 1, 3, True)),
    ],
)
def test_a_selection_sets_size_exactly(query: str, size: Size) -> None:
    operation = parse(query).definitions[0]
    assert selection_size(operation.selection_set, {}) == size  # type: ignore[attr-defined]


def test_every_fragment_is_measured_whatever_its_place() -> None:
    """Fragments measured by an earlier one's walk are skipped, never the ones after them."""
    document = parse(
        "fragment A on Q { ...B } fragment B on Q { x } fragment C on Q { y z } "
        "fragment D on Q { ...C ...B }"
    )
    sizes = fragment_sizes(document)
    assert {name: s.fields for name, s in sizes.items()} == {"A": 1, "B": 1, "C": 2, "D": 3}


def test_integers_in_a_variables_directives_are_found_and_none_is_zero() -> None:
    assert longest_integer(parse("query($v: Int @d(a: 123456)) { f }")) == 6
    assert longest_integer(parse("{ f }")) == 0


def test_a_result_without_labels_has_none() -> None:
    assert results_from_json('[{"i": 3}]') == (ItemResult(3),)


def test_stored_results_are_decoded_only_as_far_as_they_are_read() -> None:
    """What is past the part read is never decoded (here, it could not be)."""
    stored = results_from_json('[{"i": 0, "l": [["a", 1]]} , {"i": 1}, not json at all')
    assert stored[0:1] == (ItemResult(0, (RankedLabel("a", 1.0),)),)
    assert stored[1] == ItemResult(1)
    assert stored[:2] == (ItemResult(0, (RankedLabel("a", 1.0),)), ItemResult(1))
    with pytest.raises(ValueError):  # noqa: PT011 - json's own error
        len(stored)


@pytest.mark.parametrize(
    "index",
    [
        slice(None),
        slice(1, None),
        slice(0, 2),
        slice(-2, None),
        slice(None, -1),
        slice(None, None, 2),
        slice(2, 1),
        slice(5, 9),
    ],
)
def test_stored_results_slice_as_a_tuple_does(index: slice) -> None:
    text = ' [ {"i":0,"l":[]}, 7, {"i":1}, {"i":2,"e":["X","y"]} ] '
    expected: tuple[ItemResult, ...] = (
        ItemResult(0),
        ItemResult(1),
        ItemResult(2, error=JobError("X", "y")),
    )
    assert tuple(results_from_json(text)[index]) == expected[index]
    assert results_from_json(text)[-1] == expected[-1]
    assert list(results_from_json(text)) == list(expected)


@pytest.mark.parametrize("text", ['{"i": 0}', "", "7", '[{"i": 0} {"i": 1}]'])
def test_stored_results_that_are_not_a_list_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - json's own error, or ours
        len(results_from_json(text))
