from __future__ import annotations

import pytest
from graphql import get_introspection_query

from tests.support.schema import execute, make_schema


def test_depth_limit() -> None:
    # Our schema is shallow (health -> checks is depth 2), so exercise the rule with limit 1.
    schema = make_schema(GRAPHQL_MAX_DEPTH="1")
    assert execute(schema, "{ version { version } }").errors is None
    (error,) = execute(schema, "{ health { checks { name } } }").errors
    assert error.extensions["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "exceeds maximum operation depth of 1" in error.message


def test_alias_limit() -> None:
    fifteen = "{ " + " ".join(f"v{i}: version {{ version }}" for i in range(15)) + " }"
    sixteen = "{ " + " ".join(f"v{i}: version {{ version }}" for i in range(16)) + " }"
    schema = make_schema()
    assert execute(schema, fifteen).errors is None
    (error,) = execute(schema, sixteen).errors
    assert error.extensions["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "16 aliases found. Allowed: 15" in error.message


def test_token_limit_stops_parsing() -> None:
    schema = make_schema(GRAPHQL_MAX_TOKENS="50")
    small = "{ version { version } }"
    large = "{ " + " ".join("__typename" for _ in range(60)) + " }"
    assert execute(schema, small).errors is None
    (error,) = execute(schema, large).errors
    assert error.extensions["code"] == "GRAPHQL_PARSE_FAILED"
    assert "more than 50 tokens" in error.message


@pytest.mark.parametrize(("env", "allowed"), [("dev", True), ("prod", False)])
def test_introspection_per_environment(env: str, allowed: bool) -> None:
    result = execute(make_schema(APP_ENV=env), get_introspection_query())
    assert (result.errors is None) is allowed
    if not allowed:
        assert result.errors[0].extensions["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_graphiql_introspection_fits_the_default_limits() -> None:
    # GraphiQL's own query is 13 levels deep; introspection fields are not counted.
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    assert execute(make_schema(APP_ENV="dev"), query).errors is None


def test_introspection_can_be_switched_on_in_prod() -> None:
    schema = make_schema(APP_ENV="prod", GRAPHQL_INTROSPECTION="true")
    assert execute(schema, "{ __schema { queryType { name } } }").errors is None


def test_cached_documents_are_revalidated_per_schema() -> None:
    # The parse cache is shared; a document accepted by a lenient schema must still be
    # rejected by a strict one.
    query = "{ a: version { version } b: version { version } }"
    assert execute(make_schema(), query).errors is None
    assert execute(make_schema(GRAPHQL_MAX_ALIASES="1"), query).errors is not None


def test_several_operations_need_an_operation_name() -> None:
    from monolambda.api.guard.limits import OperationNameRequiredError  # noqa: PLC0415

    query = "query A { version { version } } query B { health { status } }"
    with pytest.raises(OperationNameRequiredError):
        execute(make_schema(), query)
    result = execute(make_schema(), query, operation_name="B")
    assert result.errors is None
    assert result.data == {"health": {"status": "OK"}}


def test_read_only_requests_cannot_mutate() -> None:
    from strawberry.schema.exceptions import InvalidOperationTypeError  # noqa: PLC0415

    mutation = 'mutation { reportClientError(input: {message: "x"}) { requestId } }'
    with pytest.raises(InvalidOperationTypeError):
        execute(make_schema(), mutation, read_only=True)
    assert execute(make_schema(), "{ version { version } }", read_only=True).errors is None
