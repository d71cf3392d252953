from __future__ import annotations

import pytest

from monolambda.domain.health import HealthStatus
from monolambda.domain.identity import Caller
from tests.support.schema import FixedCheck, execute, make_schema, make_services

ALICE = Caller(sub="alice-sub", groups=frozenset({"users", "admins"}))


def test_health_is_the_worst_of_its_checks() -> None:
    services = make_services(
        FixedCheck("a", HealthStatus.OK), FixedCheck("b", HealthStatus.DEGRADED)
    )
    result = execute(
        make_schema(),
        "{ health { status checks { name status detail latencyMs } } }",
        services=services,
    )
    assert result.errors is None
    assert result.data["health"]["status"] == "DEGRADED"
    assert [c["name"] for c in result.data["health"]["checks"]] == ["a", "b"]
    assert result.data["health"]["checks"][0]["detail"] == "shallow probe"


def test_health_is_ok_with_no_checks_and_down_wins() -> None:
    assert execute(make_schema(), "{ health { status } }").data == {"health": {"status": "OK"}}
    services = make_services(
        FixedCheck("a", HealthStatus.DEGRADED), FixedCheck("b", HealthStatus.DOWN)
    )
    result = execute(make_schema(), "{ health { status } }", services=services)
    assert result.data == {"health": {"status": "DOWN"}}


def test_only_deep_health_probes_deeply() -> None:
    check = FixedCheck("a", HealthStatus.OK)
    services = make_services(check)
    execute(make_schema(), "{ health { status } }", services=services)
    assert check.deep_calls == 0
    result = execute(
        make_schema(), "{ health(deep: true) { checks { detail } } }", services=services
    )
    assert result.data["health"]["checks"] == [{"detail": "deep probe"}]
    assert check.deep_calls == 1


def test_version_reports_build_info() -> None:
    result = execute(make_schema(), "{ version { version gitRevision buildTime python } }")
    assert result.errors is None
    assert result.data["version"] == {
        "version": "9.9.9",
        "gitRevision": "abc123",
        "buildTime": "2026-11-22T00:00:00+00:00",
        "python": "3.13.0",
    }


def test_me_needs_a_caller() -> None:
    result = execute(make_schema(), "{ me { sub } }")
    assert result.data == {"me": None}
    assert result.errors[0].extensions == {"code": "UNAUTHENTICATED"}
    assert result.errors[0].path == ["me"]


def test_me_is_the_caller() -> None:
    result = execute(make_schema(), "{ me { sub groups } }", caller=ALICE)
    assert result.errors is None
    assert result.data == {"me": {"sub": "alice-sub", "groups": ["admins", "users"]}}


REPORT = "mutation($i: ClientErrorInput!) { reportClientError(input: $i) { requestId } }"


def test_report_client_error_logs_with_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    result = execute(
        make_schema(),
        REPORT,
        variables={"i": {"message": "boom in the UI", "location": "/jobs"}},
        caller=ALICE,
        request_id="req-42",
    )
    assert result.errors is None
    assert result.data == {"reportClientError": {"requestId": "req-42"}}
    (record,) = [r for r in caplog.records if r.getMessage() == "client error reported"]
    assert record.client_error == "boom in the UI"  # type: ignore[attr-defined]
    assert record.request_id == "req-42"  # type: ignore[attr-defined]
    assert record.caller == "alice-sub"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("variables", "fragment"),
    [
        ({"message": "   "}, "must not be empty"),
        ({"message": "x" * 2001}, "longer than 2000"),
        ({"message": "ok", "location": "/" * 501}, "longer than 500"),
    ],
)
def test_report_client_error_rejects_bad_input(variables: dict[str, str], fragment: str) -> None:
    result = execute(make_schema(), REPORT, variables={"i": variables}, caller=ALICE)
    assert result.data is None
    (error,) = result.errors
    assert error.extensions == {"code": "BAD_USER_INPUT"}
    assert fragment in error.message


def test_report_client_error_needs_a_caller() -> None:
    result = execute(make_schema(), REPORT, variables={"i": {"message": "x"}})
    assert result.errors[0].extensions == {"code": "UNAUTHENTICATED"}


def test_forbidden_is_a_domain_error() -> None:
    from monolambda.domain.errors import ErrorCode, ForbiddenError  # noqa: PLC0415

    with pytest.raises(ForbiddenError) as raised:
        ALICE.require_group("operators")
    assert raised.value.code is ErrorCode.FORBIDDEN
    ALICE.require_group("admins")


def test_no_type_of_the_schema_carries_a_directive() -> None:
    # MonolambdaSchema skips Strawberry's search for federation directives (10 ms of a cold
    # start): true only while no type, field or argument carries a schema directive.
    schema = make_schema()
    for graphql_type in schema.schema_converter.type_map.values():
        definition = graphql_type.definition
        assert not getattr(definition, "directives", None), definition
        for field in getattr(definition, "fields", ()):
            assert not field.directives, field
            for argument in getattr(field, "arguments", ()):
                assert not argument.directives, argument
