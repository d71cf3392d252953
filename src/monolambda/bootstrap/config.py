"""The settings every part reads, and the build's own facts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from monolambda import __version__
from monolambda.bootstrap.lifetime import part
from monolambda.domain.about import BuildInfo
from monolambda.settings import JobSettings, LiveSettings, ModelSettings, Settings, load

# Written into the artifact by scripts/build.sh; absent in a source tree.
BUILD_INFO_FILE = Path(__file__).parent.parent / "build_info.json"


def read_build_info(path: Path = BUILD_INFO_FILE) -> BuildInfo:
    recorded: dict[str, object] = {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            recorded = loaded
    except (OSError, ValueError):
        pass
    revision = recorded.get("git_revision")
    built = recorded.get("build_time")
    return BuildInfo(
        version=__version__,
        git_revision=revision if isinstance(revision, str) else None,
        build_time=built if isinstance(built, str) else None,
        python="{}.{}.{}".format(*sys.version_info[:3]),
    )


@part
def settings() -> Settings:
    """Read once; a missing or malformed variable fails the first invocation of any route."""
    return load()


def model_settings() -> ModelSettings:
    models = settings().models
    if models is None:
        raise RuntimeError("this needs model settings (MODELS_BUCKET)")
    return models


def job_settings() -> JobSettings:
    jobs = settings().jobs
    if jobs is None:
        raise RuntimeError("this route needs job settings (JOBS_TABLE, JOBS_QUEUE_URL)")
    return jobs


def live_settings() -> LiveSettings:
    live = settings().live
    if live is None:
        raise RuntimeError("the WebSocket route needs CONNECTIONS_TABLE")
    return live
