"""The function's metrics, as the local stack saw them: GET /_devstack/metrics.

On AWS, CloudWatch reads the embedded-metric-format (EMF) lines the function writes to its
log; here the same documents are handed over in-process (monolambda.metrics.observe) and
summed since the stack started, per metric and dimensions: how many values, their sum,
minimum and maximum (p99 is CloudWatch's to compute).
"""

from __future__ import annotations

import json
import threading
from typing import Any

Answer = tuple[int, list[tuple[str, str]], bytes]


class MetricsView:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, Any]] = {}

    def take(self, document: dict[str, Any]) -> None:
        """One EMF document: each of its metrics under its dimensions (service left out)."""
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", ()):
            names = {n for dimension_set in directive.get("Dimensions", ()) for n in dimension_set}
            dimensions = tuple(sorted((n, str(document[n])) for n in names if n != "service"))
            for metric in directive.get("Metrics", ()):
                raw: Any = document.get(metric["Name"], [])
                values = [float(v) for v in (raw if isinstance(raw, list) else [raw])]
                self._add(metric["Name"], metric.get("Unit", ""), dimensions, values)

    def _add(
        self, name: str, unit: str, dimensions: tuple[tuple[str, str], ...], values: list[float]
    ) -> None:
        with self._lock:
            series = self._series.setdefault(
                (name, dimensions),
                {"samples": 0, "sum": 0.0, "min": None, "max": None, "unit": unit},
            )
            series["samples"] += len(values)
            series["sum"] += sum(values)
            low, high = min(values), max(values)
            series["min"] = low if series["min"] is None else min(series["min"], low)
            series["max"] = high if series["max"] is None else max(series["max"], high)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"metric": name, "dimensions": dict(dimensions), **series}
                for (name, dimensions), series in sorted(self._series.items())
            ]

    def reset(self) -> None:
        with self._lock:
            self._series.clear()

    def answer(self, _body: bytes = b"") -> Answer:
        body = json.dumps({"metrics": self.snapshot()}, indent=1).encode()
        return 200, [("content-type", "application/json")], body
