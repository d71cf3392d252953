"""pyproject.toml is the one source of truth; the locks must agree with it and with the venv."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _lock(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"{line} is not pinned"
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


RUNTIME_LOCK = _lock(ROOT / "src" / "requirements.txt")
DEV_LOCK = _lock(ROOT / "requirements-dev.txt")


def _direct(group: str | None) -> list[Requirement]:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    raw = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return [Requirement(r) for r in raw]


def test_every_runtime_dependency_is_pinned_for_sam_build() -> None:
    for requirement in _direct(None):
        pinned = RUNTIME_LOCK.get(canonicalize_name(requirement.name))
        assert pinned is not None, (
            f"{requirement.name} missing from src/requirements.txt: run make lock"
        )
        assert requirement.specifier.contains(pinned), (
            f"{requirement} vs pinned {pinned}: run make lock"
        )


def test_every_dev_dependency_is_pinned() -> None:
    for requirement in _direct("dev"):
        pinned = DEV_LOCK.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} missing from requirements-dev.txt"
        assert requirement.specifier.contains(pinned)


def test_the_artifact_ships_what_the_tests_run_against() -> None:
    for name, pinned in RUNTIME_LOCK.items():
        assert DEV_LOCK.get(name) == pinned, f"{name}: runtime {pinned}, dev {DEV_LOCK.get(name)}"
        try:
            installed = version(name)
        except PackageNotFoundError:
            raise AssertionError(f"{name} is not installed in the venv: run make venv") from None
        assert installed == pinned, f"{name}: installed {installed}, locked {pinned}"


def test_no_dev_tool_is_shipped() -> None:
    for tool in ("pytest", "ruff", "mypy", "cfn-lint", "aws-sam-cli", "moto"):
        assert canonicalize_name(tool) not in RUNTIME_LOCK
