"""Health checks of the execution environment itself: scratch storage and memory."""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from monolambda.domain.health import CheckResult, HealthStatus

# Below these margins the function still works but is close to failing: say so early.
_MIN_FREE_FRACTION = 0.10
_MAX_MEMORY_FRACTION = 0.90


class DiskUsage(NamedTuple):
    total: int
    used: int
    free: int


def disk_usage(path: str) -> DiskUsage:
    """In bytes, as shutil.disk_usage answers, from the same statvfs: importing shutil (with
    its archive modules) was 3 ms of every cold start of { health }."""
    stats = os.statvfs(path)
    total = stats.f_blocks * stats.f_frsize
    used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
    return DiskUsage(total, used, stats.f_bavail * stats.f_frsize)


class ScratchStorageCheck:
    """Free space on the writable scratch directory (/tmp on Lambda)."""

    name = "scratch-storage"

    def __init__(self, path: str, usage: Callable[[str], Any] = disk_usage) -> None:
        self._path = path
        self._usage = usage  # .total, .used and .free in bytes

    def check(self, *, deep: bool) -> CheckResult:
        del deep  # a statvfs is always cheap and side-effect free
        started = time.perf_counter()
        try:
            usage = self._usage(self._path)
        except OSError:
            return _result(self.name, HealthStatus.DOWN, "scratch directory unavailable", started)
        free_mb = usage.free // (1024 * 1024)
        status = (
            HealthStatus.DEGRADED
            if usage.free < usage.total * _MIN_FREE_FRACTION
            else HealthStatus.OK
        )
        return _result(self.name, status, f"{free_mb} MiB free", started)


class MemoryCheck:
    """Peak resident memory against the function's configured memory size."""

    name = "memory"

    def __init__(self, limit_mb: int | None, peak_mb: Callable[[], float] | None = None) -> None:
        self._limit_mb = limit_mb
        self._peak_mb = peak_mb or _peak_rss_mb

    def check(self, *, deep: bool) -> CheckResult:
        del deep
        started = time.perf_counter()
        peak_mb = self._peak_mb()
        if self._limit_mb is None:
            return _result(self.name, HealthStatus.OK, f"peak {peak_mb:.0f} MiB", started)
        status = (
            HealthStatus.DEGRADED
            if peak_mb > self._limit_mb * _MAX_MEMORY_FRACTION
            else HealthStatus.OK
        )
        return _result(
            self.name, status, f"peak {peak_mb:.0f} MiB of {self._limit_mb} MiB", started
        )


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _result(name: str, status: HealthStatus, detail: str, started: float) -> CheckResult:
    return CheckResult(
        name=name,
        status=status,
        detail=detail,
        latency_ms=(time.perf_counter() - started) * 1000,
    )
