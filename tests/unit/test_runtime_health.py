from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from monolambda.adapters.runtime_health import MemoryCheck, ScratchStorageCheck
from monolambda.domain.health import HealthStatus

MIB = 1024 * 1024


class Usage(NamedTuple):  # as shutil.disk_usage answers
    total: int
    used: int
    free: int


@pytest.mark.parametrize(
    ("free_mib", "status"),
    [(512, HealthStatus.OK), (52, HealthStatus.OK), (51, HealthStatus.DEGRADED), (0, "DEGRADED")],
)
def test_scratch_storage_degrades_below_a_tenth_free(free_mib: int, status: str) -> None:
    def usage(path: str) -> Usage:
        assert path == "/scratch"
        return Usage(512 * MIB, (512 - free_mib) * MIB, free_mib * MIB)

    result = ScratchStorageCheck("/scratch", usage).check(deep=False)
    assert result.name == "scratch-storage"
    assert result.status == status
    assert result.detail == f"{free_mib} MiB free"


def test_scratch_storage_reads_the_real_directory(tmp_path: Path) -> None:
    result = ScratchStorageCheck(str(tmp_path)).check(deep=False)
    assert result.detail == f"{shutil.disk_usage(tmp_path).free // MIB} MiB free"


def test_missing_scratch_directory_is_down(tmp_path: Path) -> None:
    result = ScratchStorageCheck(str(tmp_path / "gone")).check(deep=True)
    assert result.status is HealthStatus.DOWN


@pytest.mark.parametrize(
    ("peak", "limit", "status", "detail"),
    [
        (100.0, None, HealthStatus.OK, "peak 100 MiB"),
        (460.0, 512, HealthStatus.OK, "peak 460 MiB of 512 MiB"),
        (461.0, 512, HealthStatus.DEGRADED, "peak 461 MiB of 512 MiB"),
    ],
)
def test_memory_degrades_above_nine_tenths_of_the_function(
    peak: float, limit: int | None, status: HealthStatus, detail: str
) -> None:
    result = MemoryCheck(limit, lambda: peak).check(deep=False)
    assert (result.status, result.detail) == (status, detail)


def test_memory_reads_this_process() -> None:
    result = MemoryCheck(10_240).check(deep=False)
    assert result.status is HealthStatus.OK  # a test process is far from 10 GB
    assert result.detail.startswith("peak ")
