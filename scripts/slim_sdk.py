"""Slims the SDK's data to the services the function calls: slim_sdk.py ARTIFACT_DIR.

The deploy build (scripts/build.sh) runs it on the artifact's botocore and boto3, in place;
bench/startup.py makes its own botocore the same way. botocore ships the data of ~440 services,
and every cold start that makes a client reads some of it whole:

- `endpoints.json` (1.2 MB, every service's endpoints in every partition), parsed when a
  session makes its first client: ~55 M instructions, a twentieth of a live route's start.
  It keeps the partitions and their regions, and the services that are the function's
  (adapters.aws.SERVICES and CREDENTIAL_SERVICES, by their endpoint prefix).
- Each called service's model, gzipped and with its documentation (the docstrings of
  `help(client.put_item)`): DynamoDB's is 556 KB of JSON, 113 KB without. Its models are
  stored as plain JSON (botocore reads `.json` before `.json.gz`), its service model without
  the service's, operations' and shapes' "documentation", which only docstrings read.
- Every other service's folder goes (17 MiB), and boto3's resource models of services
  nothing calls (EC2's are most of its 0.6 MiB).

What botocore answers for the services left is unchanged (tests/unit/test_slim_sdk.py
compares every endpoint of every partition, and the clients' endpoints and signing, with the
full data's).
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from monolambda.adapters.aws import CREDENTIAL_SERVICES, SERVICES  # noqa: E402

KEPT = frozenset(SERVICES + CREDENTIAL_SERVICES)


def _undocumented(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _undocumented(v) for k, v in value.items() if k != "documentation"}
    if isinstance(value, list):
        return [_undocumented(v) for v in value]
    return value


def without_documentation(model: dict[str, Any]) -> dict[str, Any]:
    """A service model less the docstrings of the service, its operations and its shapes.
    Elsewhere botocore reads "documentation" as data (a client context parameter's is
    required), so it stays there."""
    slimmed = {k: v for k, v in model.items() if k != "documentation"}
    for part in ("operations", "shapes"):
        slimmed[part] = _undocumented(model[part])
    return slimmed


def _read(path: Path) -> Any:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as file:
        return json.loads(file.read())


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, separators=(",", ":")))


def _other_service(path: Path) -> bool:
    """A service folder of a data folder (botocore's, boto3's) that does not ship."""
    return path.is_dir() and path.name not in KEPT


def unneeded(directory: str, names: list[str]) -> list[str]:
    """For shutil.copytree's `ignore`: the service folders of botocore's data that go."""
    if Path(directory).name != "data" or Path(directory).parent.name != "botocore":
        return []
    return [n for n in names if _other_service(Path(directory) / n)]


def _drop_other_services(data: Path) -> None:
    """The service folders of a data folder (botocore's, boto3's) but the kept ones."""
    for folder in data.iterdir():
        if _other_service(folder):
            shutil.rmtree(folder)


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def slim(botocore_dir: Path) -> tuple[int, int]:
    """Slims `botocore_dir` in place; its data's size before and after, in bytes."""
    data = botocore_dir / "data"
    before = _bytes(data)
    missing = [s for s in KEPT if not (data / s).is_dir()]
    if missing:
        raise SystemExit(f"{botocore_dir}: no data for {missing}")
    _drop_other_services(data)
    prefixes = set()
    for model in sorted(data.glob("*/*/*.json*")):
        content = _read(model)
        if model.name in ("service-2.json", "service-2.json.gz"):
            content = without_documentation(content)
            prefixes.add(content["metadata"].get("endpointPrefix", model.parents[1].name))
        if model.suffix == ".gz":
            model.unlink()
            model = model.with_suffix("")  # noqa: PLW2901 - its plain JSON replaces it
        _write(model, content)
    endpoints_file = data / "endpoints.json"
    endpoints = _read(endpoints_file)
    for partition in endpoints["partitions"]:
        partition["services"] = {
            name: service for name, service in partition["services"].items() if name in prefixes
        }
    _write(endpoints_file, endpoints)
    return before, _bytes(data)


def copy(source: Path, target: Path) -> None:
    """`source`'s botocore package, slimmed, at `target` (bench/startup.py, the tests)."""
    shutil.copytree(source, target, ignore=unneeded)
    slim(target)


def slim_resources(boto3_dir: Path) -> None:
    """boto3's resource models (`boto3.resource("ec2")`) of the services kept alone."""
    _drop_other_services(boto3_dir / "data")


def main() -> None:
    artifact = Path(sys.argv[1])
    before, after = slim(artifact / "botocore")
    slim_resources(artifact / "boto3")
    mib = 1024 * 1024
    print(
        f"slimmed the SDK's data to {', '.join(sorted(KEPT))}: "
        f"{before / mib:.1f} MiB -> {after / mib:.1f} MiB"
    )


if __name__ == "__main__":
    main()
