"""The direct path answers exactly as the full Mangum -> ASGI path does, or declines."""

from __future__ import annotations

import json
from typing import Any

import pytest

from monolambda import bootstrap
from tests.conftest import Invoke
from tests.support.apigw import FakeLambdaContext, http_api_event, rest_api_event

CLAIMS = {"sub": "alice", "cognito:groups": "[users]"}
VARIABLE_QUERY = "query($d: Boolean!) { health(deep: $d) { status } }"
REPORT = 'mutation { reportClientError(input: {message: "x"}) { requestId } }'

ANSWERED: list[tuple[str, dict[str, Any]]] = [
    ("health", http_api_event({"query": "{ health { status checks { name status } } }"})),
    ("health v1", rest_api_event({"query": "{ health { status } }"})),
    (
        "named op",
        http_api_event({"query": "query A { version { version } }", "operationName": "A"}),
    ),
    ("variables", http_api_event({"query": VARIABLE_QUERY, "variables": {"d": False}})),
    ("me", http_api_event({"query": "{ me { sub groups } }"}, claims=CLAIMS)),
    ("me v1", rest_api_event({"query": "{ me { sub } }"}, claims={"sub": "bob"})),
    ("unauthenticated", http_api_event({"query": "{ me { sub } }"})),
    ("mutation", http_api_event({"query": REPORT}, claims=CLAIMS)),
    ("syntax error", http_api_event({"query": "{ health "})),
    ("unknown field", http_api_event({"query": "{ nope }"})),
    ("bad variable", http_api_event({"query": VARIABLE_QUERY, "variables": {"d": 3}})),
    (
        "aliases",
        http_api_event(
            {"query": "{ " + " ".join(f"a{i}: version {{ version }}" for i in range(16)) + " }"}
        ),
    ),
    (
        "charset",
        http_api_event(
            json.dumps({"query": "{ version { version } }"}),
            headers={"content-type": "application/json; charset=utf-8"},
        ),
    ),
]

DECLINED: list[tuple[str, dict[str, Any]]] = [
    ("GET", http_api_event(method="GET", query_string="query=%7Bversion%7Bversion%7D%7D")),
    ("batch", http_api_event([{"query": "{ version { version } }"}])),
    ("text/plain", http_api_event('{"query": "{ x }"}', headers={"content-type": "text/plain"})),
    ("no content type", http_api_event('{"query": "{ version { version } }"}')),
    ("base64", http_api_event({"query": "{ version { version } }"}, base64_body=True)),
    ("unknown key", http_api_event({"query": "{ version { version } }", "extra": 1})),
    ("not JSON", http_api_event("{", headers={"content-type": "application/json"})),
    ("no query", http_api_event({"variables": {}})),
    ("wrong path", http_api_event({"query": "{ version { version } }"}, path="/other")),
    (
        "unknown operation",
        http_api_event({"query": "{ version { version } }", "operationName": "B"}),
    ),
]


def _paths(invoke: Invoke) -> tuple[Any, Any]:
    invoke(http_api_event({"query": "{ version { version } }"}))  # build the container
    route = bootstrap.container().http
    assert route._direct is not None
    return route._direct, route._mangum


@pytest.mark.parametrize("event", [pytest.param(e, id=n) for n, e in ANSWERED])
def test_direct_answer_equals_the_full_path(invoke: Invoke, event: dict[str, Any]) -> None:
    direct, mangum = _paths(invoke)
    context = FakeLambdaContext("same-request")
    answer = direct.try_answer(event, event["body"], context)
    assert answer is not None
    assert answer == mangum(event, context)


@pytest.mark.parametrize("event", [pytest.param(e, id=n) for n, e in DECLINED])
def test_direct_declines_everything_else(invoke: Invoke, event: dict[str, Any]) -> None:
    direct, _ = _paths(invoke)
    assert direct.try_answer(event, event.get("body") or "", FakeLambdaContext()) is None


def test_a_schema_with_async_resolvers_always_takes_the_full_path() -> None:
    import strawberry  # noqa: PLC0415

    from monolambda.api.direct import DirectExecution  # noqa: PLC0415
    from tests.support.schema import make_services  # noqa: PLC0415

    @strawberry.type
    class Query:
        @strawberry.field
        async def slow(self) -> int:
            return 1

    assert not DirectExecution(strawberry.Schema(query=Query), make_services()).enabled
