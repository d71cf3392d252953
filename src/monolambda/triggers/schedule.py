"""The schedule route: each tick runs the sweeper once and logs what it did. Imports no
Strawberry, Starlette or Mangum."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from monolambda import metrics
from monolambda.logs import logger

if TYPE_CHECKING:
    from monolambda.services.sweeper import Sweeper


class ScheduleTrigger:
    def __init__(self, *, sweeper: Callable[[], Sweeper]) -> None:
        self._sweeper = sweeper

    def __call__(self, event: Mapping[str, Any], context: object) -> dict[str, object]:
        swept = self._sweeper().sweep()
        summary = swept.summary()
        logger().info("sweep", extra={"tick": event.get("time"), **summary})
        metrics.count("SweeperRequeued", len(swept.requeued))
        metrics.count("SweeperFailed", len(swept.failed))
        return summary
