"""The SQS route: a batch of job messages in, the ids of those not done out.

Not built yet (the jobs issue fills it in). Until then nothing is lost: every message is
reported as a failure, so SQS delivers it again and, after the queue's maxReceiveCount, moves
it to the dead-letter queue. Imports no Strawberry, Starlette or Mangum.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monolambda.logs import logger


class SqsWorker:
    def __call__(self, event: Mapping[str, Any], context: object) -> dict[str, Any]:
        ids = [str(record.get("messageId")) for record in event.get("Records") or ()]
        logger().warning(
            "no job worker in this build: every message goes back to its queue",
            extra={"messages": len(ids)},
        )
        return {"batchItemFailures": [{"itemIdentifier": i} for i in ids]}
