"""The schedule route: the sweeper (it comes with the triggers issue). Until then a tick is
logged and does nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monolambda.logs import logger


class ScheduleTrigger:
    def __call__(self, event: Mapping[str, Any], context: object) -> None:
        logger().info(
            "scheduled event ignored: no sweeper in this build", extra={"at": event.get("time")}
        )
