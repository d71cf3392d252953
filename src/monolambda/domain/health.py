"""Health of the function and of each dependency it can look at without side effects."""

from enum import StrEnum
from typing import NamedTuple, Protocol


class HealthStatus(StrEnum):
    OK = "OK"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"


class CheckResult(NamedTuple):
    name: str
    status: HealthStatus
    detail: str
    latency_ms: float


class HealthReport(NamedTuple):
    status: HealthStatus
    checks: tuple[CheckResult, ...]


class HealthCheck(Protocol):
    """A side-effect-free probe of one dependency.

    ``deep`` probes may make network calls (read-only ones); shallow ones must not.
    """

    name: str

    def check(self, *, deep: bool) -> CheckResult: ...


def overall(results: tuple[CheckResult, ...]) -> HealthStatus:
    """The worst status among the checks (OK when there are none)."""
    # Compared by identity: every probe's request asks (an enum's hash is Python code).
    worst = HealthStatus.OK
    for result in results:
        if result.status is HealthStatus.DOWN:
            return HealthStatus.DOWN
        if result.status is HealthStatus.DEGRADED:
            worst = HealthStatus.DEGRADED
    return worst
