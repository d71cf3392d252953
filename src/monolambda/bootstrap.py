"""The composition root: the one place that names concrete adapters and wires them together.

Everything is built on first use, once per container (a warm Lambda reuses it), with the
garbage collector paused while the long-lived object graph is created, then frozen so later
collections skip it.
"""

from __future__ import annotations

import gc
import json
import platform
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from monolambda import __version__
from monolambda.domain.about import BuildInfo
from monolambda.settings import Settings, load

if TYPE_CHECKING:
    from monolambda.api.lambda_http import HttpRoute
    from monolambda.services import Services

# Written into the artifact by scripts/build.sh; absent in a source tree.
BUILD_INFO_FILE = Path(__file__).with_name("build_info.json")
SCRATCH_DIR = "/tmp"  # noqa: S108 - Lambda's only writable directory


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    services: Services
    http: HttpRoute


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
        python=platform.python_version(),
    )


def build(settings: Settings) -> Container:
    # Imported here so that routes which never serve HTTP don't pay for Strawberry.
    from monolambda.adapters.runtime_health import MemoryCheck, ScratchStorageCheck  # noqa: PLC0415
    from monolambda.api.app import build_app  # noqa: PLC0415
    from monolambda.api.lambda_http import HttpRoute  # noqa: PLC0415
    from monolambda.api.schema import build_schema  # noqa: PLC0415
    from monolambda.services import Services  # noqa: PLC0415

    services = Services(
        build_info=read_build_info(),
        health_checks=[ScratchStorageCheck(SCRATCH_DIR), MemoryCheck(settings.memory_mb)],
    )
    app = build_app(build_schema(settings), services, graphiql=settings.graphiql)
    return Container(
        settings=settings,
        services=services,
        http=HttpRoute(app, max_body_bytes=settings.max_body_bytes),
    )


@cache
def container() -> Container:
    gc.disable()
    try:
        return build(load())
    finally:
        gc.freeze()
        gc.enable()
