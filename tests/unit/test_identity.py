from __future__ import annotations

import pytest

from monolambda.api.transport.requests import caller_from_event
from monolambda.domain.identity import Caller
from tests.support.apigw import http_api_event, rest_api_event


def test_no_authorizer_means_no_caller() -> None:
    assert caller_from_event(http_api_event({"query": "{ x }"})) is None
    assert caller_from_event({}) is None


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ("[admins users]", {"admins", "users"}),  # HTTP API flattens arrays like this
        # External finding: a group whose name holds a comma was split in two. In the HTTP
        # API's form only the single spaces separate (Cognito names have no white space).
        ("[ops,eu admins]", {"ops,eu", "admins"}),
        ("[a,b,c]", {"a,b,c"}),
        ("admins", {"admins"}),  # a string claim, not an array: one group
        ("ops,eu", {"ops,eu"}),
        (["admins", "users"], {"admins", "users"}),
        ("[]", set()),
        ("", set()),
        (None, set()),
    ],
)
def test_http_api_jwt_claims(groups: object, expected: set[str]) -> None:
    claims = {"sub": "u-1"} if groups is None else {"sub": "u-1", "cognito:groups": groups}
    caller = caller_from_event(http_api_event({}, claims=claims))
    assert caller == Caller(sub="u-1", groups=frozenset(expected))


@pytest.mark.parametrize(
    ("groups", "expected"),
    [("ops", {"ops"}), ("admins,users", {"admins", "users"}), ("", set())],
)
def test_rest_api_cognito_claims(groups: str, expected: set[str]) -> None:
    # A REST API's Cognito authorizer joins groups with commas (its only separator).
    caller = caller_from_event(rest_api_event({}, claims={"sub": "u-2", "cognito:groups": groups}))
    assert caller == Caller(sub="u-2", groups=frozenset(expected))


@pytest.mark.parametrize("claims", [{}, {"sub": ""}, {"sub": 5}])
def test_claims_without_a_subject_are_no_caller(claims: dict[str, object]) -> None:
    assert caller_from_event(http_api_event({}, claims=claims)) is None
