"""Records the git revision and build time for the `version` field: build_info.py OUT_FILE."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path


def git_revision() -> str | None:
    try:
        revision = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{revision}-dirty" if dirty else revision


def main(out: Path) -> None:
    info = {
        "git_revision": git_revision(),
        "build_time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out.write_text(json.dumps(info) + "\n", encoding="utf-8")
    print(f"build info: {info}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
