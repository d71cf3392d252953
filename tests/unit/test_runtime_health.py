from __future__ import annotations

from pathlib import Path

from monolambda.adapters.runtime_health import MemoryCheck, ScratchStorageCheck
from monolambda.domain.health import HealthStatus


def test_scratch_storage(tmp_path: Path) -> None:
    result = ScratchStorageCheck(str(tmp_path)).check(deep=False)
    assert result.name == "scratch-storage"
    assert result.status in {HealthStatus.OK, HealthStatus.DEGRADED}
    assert result.detail.endswith("MiB free")


def test_missing_scratch_directory_is_down(tmp_path: Path) -> None:
    result = ScratchStorageCheck(str(tmp_path / "gone")).check(deep=True)
    assert result.status is HealthStatus.DOWN


def test_memory_against_the_function_size() -> None:
    assert MemoryCheck(None).check(deep=False).status is HealthStatus.OK
    assert MemoryCheck(10_240).check(deep=False).status is HealthStatus.OK
    tiny = MemoryCheck(1).check(deep=False)
    assert tiny.status is HealthStatus.DEGRADED
    assert tiny.detail.endswith("of 1 MiB")
