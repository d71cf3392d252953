"""The S3 route: an object created under `uploads/{owner}/jobs/{model}/` starts a job.

The owner and model come from the key, which the presigned POST allowed exactly (createUpload
with purpose JOB), and the job's id from the key too: S3's duplicate notifications of one
object find the job already written and start nothing. Any other key (a prediction's upload,
an object put there by hand) is logged and ignored. A failure to write the job (the table
throttled beyond the SDK's retries) fails the invocation, and Lambda's asynchronous retries
bring the notification again. Imports no Strawberry, Starlette or Mangum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from monolambda.logs import logger

if TYPE_CHECKING:
    from monolambda.services.jobs import JobService


class UploadTrigger:
    def __init__(self, *, jobs: Callable[[], JobService]) -> None:
        self._jobs = jobs

    def __call__(self, event: Mapping[str, Any], context: object) -> dict[str, int]:
        invocation = str(getattr(context, "aws_request_id", "") or "")
        outcomes: Counter[str] = Counter()
        for record in event.get("Records") or ():
            key = _created_key(record)
            if key is None:
                outcomes["not-a-creation"] += 1
                continue
            start = self._jobs().start_from_upload(key, correlation_id=invocation)
            outcomes[start.outcome] += 1
            logger().info(
                "job upload",
                extra={
                    "outcome": start.outcome,
                    "key": key,
                    "job_id": start.job_id,
                    "correlation_id": invocation,
                },
            )
        return dict(outcomes)


def _created_key(record: Mapping[str, Any]) -> str | None:
    """The object's key, for an ObjectCreated record; S3 sends it URL-encoded."""
    if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
        return None
    try:
        key = record["s3"]["object"]["key"]
    except (KeyError, TypeError):
        return None
    return unquote_plus(key) if isinstance(key, str) else None
