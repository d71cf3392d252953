"""The DynamoDB stream route: the jobs table's outbox.

submitJob only writes the job; its INSERT on the stream is what sends the job's message (and
a later MODIFY that raises `enqueues`, a deliberate re-enqueue, sends another). A MODIFY that
takes a job with a callback URL to a terminal state sends its webhook message (the worker
delivers it, services/webhooks.py). A send that fails is reported in a partial batch
response, so the stream delivers that record again: neither a job nor its webhook is lost
between the write and the send. A send repeated after
a success is dropped by the FIFO queue's deduplication, and any that slips through is a
duplicate delivery, which the worker skips.

Sends are batched (ten to a call), so records are read here rather than one at a time
through Powertools' record handler. Imports no Strawberry, Starlette or Mangum.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from monolambda.domain.jobs import TERMINAL, JobMessage, JobStatus, MessageKind
from monolambda.domain.ports import JobQueue
from monolambda.logs import logger


class StreamTrigger:
    def __init__(self, *, queue: Callable[[], JobQueue]) -> None:
        self._queue = queue

    def __call__(self, event: Mapping[str, Any], context: object) -> dict[str, Any]:
        records = list(event.get("Records") or ())
        to_send: list[tuple[str, JobMessage]] = []
        failed: list[str] = []
        for record in records:
            change = record.get("dynamodb") or {}
            sequence = str(change.get("SequenceNumber", ""))
            try:
                message = _message(record)
            except (KeyError, TypeError, ValueError):
                logger().exception("unreadable stream record", extra={"sequence": sequence})
                failed.append(sequence)
                continue
            if message is not None:
                to_send.append((sequence, message))
        if to_send:
            not_sent = self._queue().send([m for _, m in to_send])
            for sequence, message in to_send:
                if message.job_id in not_sent:
                    failed.append(sequence)
            if not_sent:
                logger().warning(
                    "some job messages were not sent; the stream will deliver them again",
                    extra={"jobs": sorted(not_sent)},
                )
        # The stream retries from the lowest failed sequence number on.
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}


def _message(record: Mapping[str, Any]) -> JobMessage | None:
    """The message a change calls for: a new QUEUED job, an open job re-enqueued, or the
    webhook of a job that has just finished."""
    change = record["dynamodb"]
    new = change.get("NewImage")
    if new is None:  # a removal (TTL): nothing to send
        return None
    status = _string(new, "status")
    if status in TERMINAL:
        return _webhook(record, new)
    if status != JobStatus.QUEUED:
        return None
    enqueues = int(_number(new, "enqueues") or 1)
    if record.get("eventName") == "MODIFY":
        old = change.get("OldImage") or {}
        if enqueues <= int(_number(old, "enqueues") or 1):
            return None  # a change that is not a re-enqueue (a worker giving the job back)
    elif record.get("eventName") != "INSERT":
        return None
    return _message_of(new, enqueue=enqueues)


def _webhook(record: Mapping[str, Any], new: Mapping[str, Any]) -> JobMessage | None:
    if record.get("eventName") != "MODIFY" or not _string(new, "callback_url"):
        return None
    old = record["dynamodb"].get("OldImage") or {}
    if _string(old, "status") in TERMINAL:
        return None  # a later change of a finished job (the webhook's own record, say)
    return _message_of(new, kind=MessageKind.WEBHOOK)


def _message_of(
    image: Mapping[str, Any], *, enqueue: int = 1, kind: MessageKind = MessageKind.RUN
) -> JobMessage:
    job_id, owner = _string(image, "id"), _string(image, "owner")
    if not job_id or not owner:
        raise ValueError("a job's image without its id or owner")
    return JobMessage(
        job_id=job_id,
        owner=owner,
        correlation_id=_string(image, "correlation_id") or "",
        enqueue=enqueue,
        kind=kind,
    )


def _string(image: Mapping[str, Any], name: str) -> str | None:
    value = image.get(name)
    return str(value["S"]) if isinstance(value, Mapping) and "S" in value else None


def _number(image: Mapping[str, Any], name: str) -> str | None:
    value = image.get(name)
    return str(value["N"]) if isinstance(value, Mapping) and "N" in value else None
