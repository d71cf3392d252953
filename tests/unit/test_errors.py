from __future__ import annotations

import json
import logging

import pytest

from monolambda.domain.errors import (
    BadUserInputError,
    DomainError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    UnauthenticatedError,
)
from monolambda.domain.health import CheckResult
from tests.support.schema import execute, make_schema, make_services

SECRET = "password=hunter2 at db.internal:5432"


class RaisingCheck:
    name = "raising"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def check(self, *, deep: bool) -> CheckResult:
        raise self.error


def run_with(error: Exception, request_id: str = "req-7") -> tuple[object, list[object]]:
    result = execute(
        make_schema(),
        "{ health { status } }",
        services=make_services(RaisingCheck(error)),
        request_id=request_id,
    )
    return result.data, result.errors


def test_unexpected_errors_are_masked_with_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    data, errors = run_with(RuntimeError(SECRET), request_id="req-secret")
    assert data is None
    (error,) = errors
    assert error.message == "Internal server error"  # type: ignore[attr-defined]
    assert error.extensions == {"code": "INTERNAL", "requestId": "req-secret"}  # type: ignore[attr-defined]
    formatted = json.dumps(error.formatted)  # type: ignore[attr-defined]
    assert "hunter2" not in formatted
    assert "RuntimeError" not in formatted
    assert "Traceback" not in formatted
    # ...while the log has the whole story under the same request id.
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.request_id == "req-secret"  # type: ignore[attr-defined]
    assert record.exc_info is not None
    assert SECRET in str(record.exc_info[1])


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (BadUserInputError("bad input"), "BAD_USER_INPUT"),
        (NotFoundError("no such thing"), "NOT_FOUND"),
        (UnauthenticatedError("sign in"), "UNAUTHENTICATED"),
        (ForbiddenError("not yours"), "FORBIDDEN"),
        (RateLimitedError("slow down"), "RATE_LIMITED"),
        (DomainError("a domain failure without a more specific kind"), "INTERNAL"),
    ],
)
def test_domain_errors_keep_their_message_and_carry_their_code(
    error: Exception, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    _, errors = run_with(error)
    (shaped,) = errors
    assert shaped.message == str(error)  # type: ignore[attr-defined]
    assert shaped.extensions == {"code": code}  # type: ignore[attr-defined]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ health { status ", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("query($d: Boolean!) { health(deep: $d) { status } }", "BAD_USER_INPUT"),
    ],
)
def test_mistakes_in_the_request_carry_a_code(query: str, code: str) -> None:
    result = execute(make_schema(), query, variables={"d": "yes"})
    assert result.data is None
    assert {e.extensions["code"] for e in result.errors} == {code}


def test_field_suggestions_only_in_dev() -> None:
    dev = execute(make_schema(APP_ENV="dev"), "{ helth { status } }").errors[0].message
    prod = execute(make_schema(APP_ENV="prod"), "{ helth { status } }").errors[0].message
    assert "Did you mean" in dev
    assert "Did you mean" not in prod
