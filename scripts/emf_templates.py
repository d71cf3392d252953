"""Writes src/monolambda/emf-templates.json: each metric of monolambda.metrics.METRICS as
Powertools' EMF provider writes it, with places for what changes from line to line.

    python scripts/emf_templates.py [--check]

The provider validates each metric's name, unit and dimensions and builds its document;
the namespace, timestamp, dimension values and values are then replaced by places a format
string fills ({0} the namespace, {1} the timestamp, then each dimension's value as a JSON
string, then the values). The function formats these at run time instead of importing
Powertools (monolambda/metrics.py says why); --check (in `make test`, as a test) fails when
the file is not what Powertools writes today.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from monolambda.metrics import METRICS, TEMPLATES_FILE  # noqa: E402

_MARK = "\u0000"  # a place's sentinel: json.dumps writes it as \u0000


def render(name: str, unit: str, dimensions: tuple[str, ...]) -> str:
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (  # noqa: PLC0415
        AmazonCloudWatchEMFProvider,
    )

    provider = AmazonCloudWatchEMFProvider(namespace=f"{_MARK}N", service="monolambda")
    provider.add_metric(name=name, unit=unit, value=0)
    for index, dimension in enumerate(dimensions):
        provider.add_dimension(name=dimension, value=f"{_MARK}D{index}")
    document: dict[str, Any] = dict(provider.serialize_metric_set())
    document["_aws"] = {**document["_aws"], "Timestamp": f"{_MARK}T"}
    document[name] = f"{_MARK}V"
    text = json.dumps(document, separators=(",", ":")).replace("{", "{{").replace("}", "}}")
    marked = json.dumps(_MARK)[1:-1]  # \u0000, as it stands in the text
    places = {f'"{marked}N"': "{0}", f'"{marked}T"': "{1}"}
    for index in range(len(dimensions)):
        places[f'"{marked}D{index}"'] = f"{{{index + 2}}}"
    places[f'"{marked}V"'] = f"[{{{len(dimensions) + 2}}}]"
    for place, slot in places.items():
        if text.count(place) != 1:
            raise SystemExit(f"{name}: Powertools' document has {text.count(place)} of {place}")
        text = text.replace(place, slot)
    return text + "\n"


def templates() -> dict[str, str]:
    return {name: render(name, unit, dims) for name, (unit, dims) in sorted(METRICS.items())}


def main() -> None:
    wanted = json.dumps(templates(), indent=1, sort_keys=True) + "\n"
    if "--check" in sys.argv[1:]:
        if TEMPLATES_FILE.read_text() != wanted:
            raise SystemExit(f"{TEMPLATES_FILE} is stale: run make metrics-templates")
        return
    TEMPLATES_FILE.write_text(wanted)
    print(f"wrote {TEMPLATES_FILE.relative_to(ROOT)} ({len(METRICS)} metrics)")


if __name__ == "__main__":
    main()
