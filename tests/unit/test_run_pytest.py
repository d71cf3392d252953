"""`make pytest` runs tests/models beside the rest of the suite (scripts/run_pytest.py): a
failure on either side fails the run, and the models' output is printed whole after the
rest's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT

SCRIPT = ROOT / "scripts" / "run_pytest.py"


def write_suite(root: Path, *, models_pass: bool, rest_passes: bool) -> None:
    (root / "tests" / "models").mkdir(parents=True)
    (root / "tests" / "models" / "test_model.py").write_text(
        f"def test_the_model_reads_digits():\n    assert {models_pass}, 'model MARKER'\n"
    )
    (root / "tests" / "test_rest.py").write_text(
        f"def test_the_api():\n    assert {rest_passes}, 'rest MARKER'\n"
    )


def run_pytest(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("models_pass", "rest_passes"), [(True, True), (False, True), (True, False), (False, False)]
)
def test_either_side_failing_fails_the_run(
    tmp_path: Path, models_pass: bool, rest_passes: bool
) -> None:
    write_suite(tmp_path, models_pass=models_pass, rest_passes=rest_passes)
    run = run_pytest(tmp_path)
    assert (run.returncode == 0) == (models_pass and rest_passes), run.stdout
    rest_end = run.stdout.index("tests/models, run beside the rest")
    # Each side's own report: the rest's first, the models' after it, whole.
    assert "test_rest.py" in run.stdout[:rest_end]
    assert "test_model.py" in run.stdout[rest_end:]
    assert ("model MARKER" in run.stdout[rest_end:]) == (not models_pass)
    assert ("rest MARKER" in run.stdout[:rest_end]) == (not rest_passes)


@pytest.mark.slow
def test_arguments_run_alone(tmp_path: Path) -> None:
    write_suite(tmp_path, models_pass=False, rest_passes=True)
    run = run_pytest(tmp_path, "tests/test_rest.py")
    assert run.returncode == 0, run.stdout
    assert "run beside the rest" not in run.stdout
    assert "test_model.py" not in run.stdout
