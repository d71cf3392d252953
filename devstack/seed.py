"""This project's data for a fresh local stack: the bundled models, uploaded to the data
bucket as a deploy's model release would (their SSM pointers come from the template)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devstack.names import LocalNames
from devstack.resources import Endpoints
from devstack.template import LocalTemplate

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "build" / "models"
BUCKET = "DataBucket"


def ensure_models_built(directory: Path = MODELS_DIR) -> Path:
    if not any(directory.glob("*/*/manifest.json")):
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "build_models.py"), str(directory)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return directory


def seed(template: LocalTemplate, names: LocalNames, endpoints: Endpoints) -> list[str]:
    if BUCKET not in template.resources:
        return []
    directory = ensure_models_built()
    s3 = endpoints.client("s3")
    bucket = names.physical_name(BUCKET)
    uploaded = []
    for path in sorted(directory.glob("*/*/*")):
        key = f"models/{path.relative_to(directory).as_posix()}"
        s3.upload_file(str(path), bucket, key)
        if path.name == "manifest.json":
            uploaded.append(f"model     s3://{bucket}/{key.removesuffix('/manifest.json')}")
    return uploaded
