"""What is running and how it is: the `health` and `version` use cases."""

from __future__ import annotations

from collections.abc import Sequence

from monolambda.domain.about import BuildInfo
from monolambda.domain.health import HealthCheck, HealthReport, overall


class HealthService:
    def __init__(self, *, build_info: BuildInfo, checks: Sequence[HealthCheck]) -> None:
        self._build_info = build_info
        self._checks = tuple(checks)

    def version(self) -> BuildInfo:
        return self._build_info

    def report(self, *, deep: bool = False) -> HealthReport:
        results = tuple([check.check(deep=deep) for check in self._checks])
        return HealthReport(status=overall(results), checks=results)
