"""The runtime health checks' own readings."""

from __future__ import annotations


def test_disk_usage_is_shutils() -> None:
    """runtime_health reads the scratch directory's space without importing shutil."""
    import shutil  # noqa: PLC0415

    from monolambda.adapters.runtime_health import disk_usage  # noqa: PLC0415

    found = disk_usage("/tmp")
    expected = shutil.disk_usage("/tmp")
    assert found.total == expected.total
    # Another process may write between the two reads: within 1 %.
    assert abs(found.free - expected.free) <= expected.total // 100
    assert abs(found.used - expected.used) <= expected.total // 100


def test_the_scratch_check_reads_the_real_directory() -> None:
    from monolambda.adapters.runtime_health import ScratchStorageCheck  # noqa: PLC0415
    from monolambda.domain.health import HealthStatus  # noqa: PLC0415

    result = ScratchStorageCheck("/tmp").check(deep=False)
    assert result.status in {HealthStatus.OK, HealthStatus.DEGRADED}
    assert result.detail.endswith("MiB free")


def test_the_report_is_the_worst_of_its_checks() -> None:
    from itertools import product  # noqa: PLC0415

    from monolambda.domain.health import CheckResult, HealthStatus, overall  # noqa: PLC0415

    order = [HealthStatus.OK, HealthStatus.DEGRADED, HealthStatus.DOWN]
    assert overall(()) is HealthStatus.OK
    for statuses in product(order, repeat=3):
        results = tuple(CheckResult(f"c{i}", s, "", 0.0) for i, s in enumerate(statuses))
        assert overall(results) is max(statuses, key=order.index), statuses
