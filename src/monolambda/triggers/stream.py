"""The DynamoDB stream route (webhooks come with the triggers issue). Until then nothing is
lost: every record is reported as a failure, so the stream holds it for a later build."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monolambda.logs import logger


class StreamTrigger:
    def __call__(self, event: Mapping[str, Any], context: object) -> dict[str, Any]:
        records = event.get("Records") or ()
        sequence_numbers = [str((r.get("dynamodb") or {}).get("SequenceNumber")) for r in records]
        logger().warning(
            "no stream handler in this build: every record is reported as not done",
            extra={"records": len(sequence_numbers)},
        )
        return {"batchItemFailures": [{"itemIdentifier": s} for s in sequence_numbers]}
