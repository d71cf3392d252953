"""What the local stack says about a first run (issue 28's "first-run honesty"): the models it
builds once, and the set-up `make dev` did before it, counted in "ready in"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devstack.__main__ import _began
from devstack.seed import RELEASES, models_built
from devstack.stack import Stack, StackOptions

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (str(NOW - 42.5), NOW - 42.5),  # make dev began 42.5 s ago: its set-up counts
        (None, NOW),  # run directly
        ("", NOW),
        ("soon", NOW),
        (str(NOW + 5), NOW),  # a clock from the future is not believed
        (str(NOW - 7200), NOW),  # nor a variable left in the environment hours ago
    ],
)
def test_when_the_users_command_began(given: str | None, expected: float) -> None:
    assert _began(given, NOW) == expected


def test_models_are_built_when_a_release_is_missing_or_changed(tmp_path: Path) -> None:
    built = tmp_path / "models"
    assert not models_built(built)
    shutil.copytree(RELEASES, built)
    assert models_built(built)
    manifest = next(built.glob("*/*/manifest.json"))
    manifest.write_text(manifest.read_text() + " ")
    assert not models_built(built)  # a release changed since the build: rebuild
    manifest.unlink()
    assert not models_built(built)


def banner_line(options: StackOptions, first_run: list[str]) -> str:
    stack = Stack(options)
    stack._first_run += first_run
    return stack._banner_ready_line("http://127.0.0.1:3000", 48.6)


def test_the_banner_says_what_the_first_run_spent(tmp_path: Path) -> None:
    quiet = StackOptions(state_dir=tmp_path)
    line = banner_line(quiet, [])
    assert line.startswith("ready in 48.6 s: the app at http://127.0.0.1:3000/")
    first = StackOptions(state_dir=tmp_path, set_up_s=42.5)
    line = banner_line(first, ["3.1 s of it building the bundled models, once"])
    assert line.startswith(
        "ready in 48.6 s (42.5 s of it setting up; 3.1 s of it building the bundled models, "
        "once): the app at"
    )
    # A set-up of no seconds (nothing to install) is not worth a word.
    assert "setting up" not in banner_line(StackOptions(state_dir=tmp_path, set_up_s=0.2), [])
