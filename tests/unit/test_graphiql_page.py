"""The local stack's GraphiQL page teaches this API: its first tab holds this API's own
operations, valid against the committed schema, and the token it acts with is in its
Headers tab (tests/e2e runs them in a browser)."""

from __future__ import annotations

import json
from pathlib import Path

from graphql import OperationDefinitionNode, build_schema, parse, validate

from devstack.graphiql import EXAMPLE, OfflineGraphiQL

ROOT = Path(__file__).resolve().parents[2]
STRAWBERRY_PAGE = next(
    (ROOT / ".venv" / "lib").glob("python3*/site-packages/strawberry/static/graphiql.html")
)


def test_the_example_is_valid_against_the_schema_and_covers_each_kind() -> None:
    """Its subscription comes last (GraphiQL runs one operation at a time, and running
    another stops a subscription: issue 27)."""
    document = parse(EXAMPLE)
    assert validate(build_schema((ROOT / "schema.graphql").read_text()), document) == []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert {d.operation.value for d in operations} == {"query", "mutation", "subscription"}
    assert operations[-1].operation.value == "subscription"
    assert "the subscription goes last" in EXAMPLE


def test_the_page_opens_on_the_example_and_shows_its_token() -> None:
    page = OfflineGraphiQL(token="t0ken").rewrite(STRAWBERRY_PAGE.read_text())
    assert "Welcome to GraphiQL" not in page
    assert "query WhoAndWhat" in page
    assert "make token USER=alice" in page
    shown = json.dumps(json.dumps({"Authorization": "Bearer t0ken"}, indent=2))
    assert f"React.useState(parameters.headers || {shown})" in page
    assert "wsConnectionParams: defaultHeaders" in page


def test_without_an_authorizer_no_token_is_shown() -> None:
    page = OfflineGraphiQL(token=None).rewrite(STRAWBERRY_PAGE.read_text())
    assert "query WhoAndWhat" in page
    assert "Bearer" not in page
