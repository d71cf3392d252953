"""External finding: with introspection and suggestions off, a schema-recovery tool still
rebuilt 54 % of the fields from validation messages ("Field 'health' of type 'Health!' must
have a selection..."). In prod a document that fails validation is answered without naming
anything of the schema; goal: at most 10 % recoverable.

The prober here does what such tools do (clairvoyance's word probes, plus a differential
oracle): for each word of a list, it sends a document using the word as a field (or an
argument) where a field of a known type may stand, and compares the whole answer — messages
with the word swapped back, codes, locations, the number of errors, data — with the answer
for a nonsense word. Any difference means the word is part of the schema; found fields are
explored in turn. It measures what error responses leak: a document that is valid as a whole
is answered, as any API must answer it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from graphql import GraphQLInputObjectType, GraphQLObjectType, get_named_type

from monolambda.domain.identity import Caller
from tests.support.schema import execute, make_schema

DECOY = "zzqqxx"
# What a wordlist would hold: every real name (the tool's best case) among common guesses.
COMMON_GUESSES = (
    *("id", "name", "user", "users", "me", "node", "nodes", "search", "login", "logout"),
    *("token", "admin", "password", "email", "orders", "items", "item", "query", "file"),
    *("files", "upload", "uploads", "job", "jobs", "status", "state", "version", "health"),
    *("model", "models", "predict", "prediction", "label", "labels", "score", "image"),
    *("images", "input", "output", "data", "result", "results", "error", "errors", "message"),
    *("location", "type", "key", "value", "url", "fields", "size", "count", "total", "first"),
    *("after", "before", "last", "edges", "cursor", "createUser", "deleteUser", "updateUser"),
    *("config", "settings", "debug", "internal", "secret"),
)

Ask = Callable[[str], Any]


def coordinates(schema: Any) -> set[str]:
    """Every field and argument a client can name (what this prober looks for)."""
    found = set()
    for type_name, graphql_type in schema._schema.type_map.items():
        if type_name.startswith("__"):
            continue
        if isinstance(graphql_type, GraphQLObjectType):
            for field_name, field in graphql_type.fields.items():
                found.add(f"{type_name}.{field_name}")
                for argument in getattr(field, "args", {}) or {}:
                    found.add(f"{type_name}.{field_name}({argument})")
    return found


def words(schema: Any) -> list[str]:
    real = {c.split(".")[1].split("(")[0] for c in coordinates(schema)}
    real |= {c.split("(")[1].rstrip(")") for c in coordinates(schema) if "(" in c}
    for graphql_type in schema._schema.type_map.values():  # input fields are words too
        if isinstance(graphql_type, GraphQLInputObjectType):
            real |= set(graphql_type.fields)
    return sorted(real | set(COMMON_GUESSES))


def answer_of(result: Any, word: str) -> str:
    """The whole answer, with the probed word (where a message quotes it) swapped for the
    decoy, and request ids dropped."""
    quoted = re.compile(rf"(['\"]){re.escape(word)}\1")
    errors = [
        {
            "message": quoted.sub(rf"\g<1>{DECOY}\g<1>", e.message),
            "locations": [(loc.line, loc.column) for loc in e.locations or ()],
            "code": (e.extensions or {}).get("code"),
        }
        for e in result.errors or ()
    ]
    return json.dumps({"data": result.data is not None, "errors": errors}, sort_keys=True)


def probe(ask: Ask, schema: Any, *, depth: int, argument_depth: int) -> set[str]:
    """(parent path).field and (parent path).field(argument) names the prober recovered:
    fields down to `depth` levels, arguments of fields down to `argument_depth`."""
    recovered: set[str] = set()
    vocabulary = words(schema)

    def explore(operation: str, path: list[str], level: int) -> None:
        def document(field: str, arguments: str = "") -> str:
            inner = f"{{ {field}{arguments} }}"
            for outer in reversed(path):
                inner = f"{{ {outer} {inner} }}"
            return f"{operation} {inner}"

        baseline = answer_of(ask(document(DECOY)), DECOY)
        for word in vocabulary:
            if answer_of(ask(document(word)), word) == baseline:
                continue
            where = ".".join([operation, *path, word])
            recovered.add(where)
            if level > argument_depth:
                if level < depth:
                    explore(operation, [*path, word], level + 1)
                continue
            argument_baseline = answer_of(ask(document(word, f"({DECOY}: null)")), DECOY)
            for argument in vocabulary:
                answer = answer_of(ask(document(word, f"({argument}: null)")), argument)
                if answer != argument_baseline:
                    recovered.add(f"{where}({argument})")
            if level < depth:
                explore(operation, [*path, word], level + 1)

    explore("query", [], 1)
    explore("mutation", [], 1)
    return recovered


def recovered_share(environment: str, *, depth: int, argument_depth: int) -> tuple[float, set[str]]:
    schema = make_schema(APP_ENV=environment)

    def ask(query: str) -> Any:
        return execute(schema, query, caller=Caller(sub="prober"))

    found = probe(ask, schema, depth=depth, argument_depth=argument_depth)
    # A recovered path names a field (or argument) of the schema: map it to its coordinate.
    real = coordinates(schema)
    named = {_coordinate(schema, path) for path in found}
    return len(named & real) / len(real), found


def _coordinate(schema: Any, path: str) -> str | None:
    """Type.field or Type.field(argument) for a recovered path; None if it names nothing."""
    parts = path.split(".")
    graphql_type: Any = (
        schema._schema.query_type if parts[0] == "query" else schema._schema.mutation_type
    )
    for part in parts[1:-1]:
        field = getattr(graphql_type, "fields", {}).get(part)
        if field is None:
            return None
        graphql_type = get_named_type(field.type)
    return f"{graphql_type.name}.{parts[-1]}"


def test_prod_validation_errors_name_nothing_of_the_schema() -> None:
    # The schema is 3 levels deep (models -> input -> width); every level is probed for
    # fields and arguments.
    share, found = recovered_share("prod", depth=3, argument_depth=3)
    assert share <= 0.10, sorted(found)


def test_the_prober_does_recover_the_schema_from_dev_messages() -> None:
    # The same prober against dev's detailed messages (two levels, arguments of root fields
    # only, to keep it quick): it works, so prod's figure means something.
    share, _ = recovered_share("dev", depth=2, argument_depth=1)
    assert share >= 0.5


def test_prod_validation_failures_are_logged_in_full(caplog: pytest.LogCaptureFixture) -> None:
    result = execute(make_schema(APP_ENV="prod"), "{ health }", request_id="req-v")
    (error,) = result.errors
    assert "health" not in error.message.lower()
    assert error.extensions == {"code": "GRAPHQL_VALIDATION_FAILED", "requestId": "req-v"}
    assert not error.locations
    (record,) = [r for r in caplog.records if r.getMessage() == "operation failed validation"]
    assert record.request_id == "req-v"  # type: ignore[attr-defined]
    assert "must have a selection of subfields" in str(record.validation_errors)  # type: ignore[attr-defined]


def test_prod_variable_errors_name_nothing_of_the_schema() -> None:
    query = "mutation($i: ClientErrorInput!) { reportClientError(input: $i) { requestId } }"
    wrong = {"i": {"nope": 1}}  # an unknown field, and the required `message` missing
    dev = execute(make_schema(APP_ENV="dev"), query, variables=wrong).errors
    assert {e.extensions["code"] for e in dev} == {"BAD_USER_INPUT"}
    assert any("ClientErrorInput" in e.message for e in dev)
    (prod,) = execute(make_schema(APP_ENV="prod"), query, variables=wrong).errors
    assert prod.message.startswith("Variable '$i' has an invalid value")
    assert prod.extensions == {"code": "BAD_USER_INPUT", "requestId": "req-1"}


def test_limits_are_still_explained_in_prod() -> None:
    aliases = "{ " + " ".join(f"v{i}: version {{ version }}" for i in range(16)) + " }"
    (error,) = execute(make_schema(APP_ENV="prod"), aliases).errors
    assert "16 aliases found" in error.message
