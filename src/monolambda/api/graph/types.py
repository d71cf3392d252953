"""The GraphQL object types: thin views over domain objects."""

from enum import Enum

import strawberry

from monolambda.domain.about import BuildInfo
from monolambda.domain.health import CheckResult, HealthReport
from monolambda.domain.health import HealthStatus as DomainHealthStatus
from monolambda.domain.identity import Caller


@strawberry.enum(description="OK, or how badly something is wrong.")
class HealthStatus(Enum):
    OK = "OK"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"

    @classmethod
    def of(cls, status: "DomainHealthStatus") -> "HealthStatus":
        return cls(status.value)


@strawberry.type(description="One dependency's state.")
class DependencyCheck:
    name: str
    status: HealthStatus
    detail: str
    latency_ms: float

    @classmethod
    def of(cls, result: "CheckResult") -> "DependencyCheck":
        return cls(
            name=result.name,
            status=HealthStatus.of(result.status),
            detail=result.detail,
            latency_ms=round(result.latency_ms, 3),
        )


@strawberry.type(description="The function's state: the worst of its checks.")
class Health:
    status: HealthStatus
    report: strawberry.Private["HealthReport"]

    # A resolver, so that the checks become GraphQL objects only when a query selects them
    # (`{ health { status } }`, a load balancer's probe, reads one enum).
    @strawberry.field
    def checks(self) -> list[DependencyCheck]:
        return [DependencyCheck.of(c) for c in self.report.checks]

    @classmethod
    def of(cls, report: "HealthReport") -> "Health":
        return cls(status=HealthStatus.of(report.status), report=report)


@strawberry.type(description="What is deployed.")
class Version:
    version: str
    git_revision: str | None = strawberry.field(description="null when built outside git")
    build_time: str | None = strawberry.field(description="ISO 8601, UTC; null when unbuilt")
    python: str

    @classmethod
    def of(cls, info: "BuildInfo") -> "Version":
        return cls(
            version=info.version,
            git_revision=info.git_revision,
            build_time=info.build_time,
            python=info.python,
        )


@strawberry.type(name="Caller", description="The signed-in user, as the authorizer saw them.")
class CallerType:
    sub: str
    groups: list[str]
    anonymous: bool = strawberry.field(
        description="True when the API has no authorizer: every request is the one caller "
        "`anonymous`, whose uploads live under uploads/anonymous/"
    )

    @classmethod
    def of(cls, caller: "Caller") -> "CallerType":
        return cls(sub=caller.sub, groups=sorted(caller.groups), anonymous=caller.anonymous)


@strawberry.input(description="An error a client saw, for the function's logs.")
class ClientErrorInput:
    message: str
    location: str | None = None


@strawberry.type(description="Where to find a reported client error in the logs.")
class ClientErrorReceipt:
    request_id: str
