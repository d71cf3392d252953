"""The S3 route: an object created under uploads/ (jobs from uploads come with the triggers
issue). Until then a notification is logged and acknowledged: S3 does not retry it anyway."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monolambda.logs import logger


class UploadTrigger:
    def __call__(self, event: Mapping[str, Any], context: object) -> None:
        logger().info(
            "S3 notification ignored: no upload trigger in this build",
            extra={"records": len(event.get("Records") or ())},
        )
