"""What is running: the answer to the `version` field."""

from typing import NamedTuple


class BuildInfo(NamedTuple):
    version: str
    git_revision: str | None
    build_time: str | None
    python: str
