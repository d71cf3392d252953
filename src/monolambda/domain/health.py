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


_SEVERITY = {HealthStatus.OK: 0, HealthStatus.DEGRADED: 1, HealthStatus.DOWN: 2}


def overall(results: tuple[CheckResult, ...]) -> HealthStatus:
    """The worst status among the checks (OK when there are none)."""
    return max((r.status for r in results), key=_SEVERITY.__getitem__, default=HealthStatus.OK)
