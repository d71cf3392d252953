"""The composition root: the one place that names concrete adapters and wires them together.

Everything is built on first use, once per container (a warm Lambda reuses it), with the
garbage collector paused while the long-lived object graph is created, then frozen so later
collections skip it (7-18 % of init saved, and no gen-2 pauses over the frozen heap).
"""

from __future__ import annotations

import gc
import json
import sys
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
        python="{}.{}.{}".format(*sys.version_info[:3]),
    )


def build(settings: Settings) -> Container:
    # Imported here so that routes which never serve HTTP don't pay for Strawberry.
    from monolambda.adapters.runtime_health import MemoryCheck, ScratchStorageCheck  # noqa: PLC0415
    from monolambda.api.app import build_app  # noqa: PLC0415
    from monolambda.api.direct import DirectExecution  # noqa: PLC0415
    from monolambda.api.lambda_http import HttpRoute  # noqa: PLC0415
    from monolambda.api.schema import build_schema  # noqa: PLC0415
    from monolambda.services import Services  # noqa: PLC0415

    services = Services(
        build_info=read_build_info(),
        health_checks=[ScratchStorageCheck(SCRATCH_DIR), MemoryCheck(settings.memory_mb)],
    )
    schema = build_schema(settings)
    app = build_app(schema, services, graphiql=settings.graphiql)
    return Container(
        settings=settings,
        services=services,
        http=HttpRoute(
            app,
            max_body_bytes=settings.max_body_bytes,
            direct=DirectExecution(schema, services),
        ),
    )


# graphql-core leaves ~30 small reference cycles per request, so young collections run every
# ~60 requests at the default threshold (2,000) and each costs ~300 us: a p99 of 2.5x p50.
# At 5,000 they run every ~160 requests (under 1 %), costing ~850 us each; the mean is
# unchanged (measured with bench/startup.py; README, "Performance").
YOUNG_GC_THRESHOLD = 5_000


@cache
def container() -> Container:
    gc.disable()
    try:
        return build(load())
    finally:
        gc.freeze()
        _, middle, old = gc.get_threshold()
        gc.set_threshold(YOUNG_GC_THRESHOLD, middle, old)
        gc.enable()
