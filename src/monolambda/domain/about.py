"""What is running: the answer to the `version` field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BuildInfo:
    version: str
    git_revision: str | None
    build_time: str | None
    python: str
