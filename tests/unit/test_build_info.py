from __future__ import annotations

import json
import platform
from pathlib import Path

from monolambda import __version__
from monolambda.bootstrap import read_build_info


def test_build_info_from_the_artifact_file(tmp_path: Path) -> None:
    path = tmp_path / "build_info.json"
    path.write_text(json.dumps({"git_revision": "abc", "build_time": "2026-11-22T00:00:00+00:00"}))
    info = read_build_info(path)
    assert (info.version, info.git_revision, info.build_time) == (
        __version__,
        "abc",
        "2026-11-22T00:00:00+00:00",
    )
    assert info.python == platform.python_version()


def test_build_info_absent_or_broken(tmp_path: Path) -> None:
    assert read_build_info(tmp_path / "missing.json").git_revision is None
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert read_build_info(broken).build_time is None
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"git_revision": 5}')
    assert read_build_info(wrong).git_revision is None
