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
through Powertools' record handler.

The same records are the live updates' source: each change of a job's status or progress
(and each new job) is published to the owner's subscriptions of it (services.live). A
publication that fails is logged and fails no record: a live update must never hold back a
job's message, and a subscriber can always read the job again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from monolambda import metrics
from monolambda.domain.jobs import TERMINAL, JobMessage, JobStatus, MessageKind
from monolambda.logs import log_context, logger

# Protocols, for annotations only: importing them defines 13 (~7 M instructions).
if TYPE_CHECKING:
    from monolambda.domain.ports import JobQueue

# Publishes the new images of changed jobs (in stream order) as live updates.
Publish = Callable[[list[Mapping[str, Any]], object], None]


class StreamTrigger:
    def __init__(self, *, queue: Callable[[], JobQueue], publish: Publish | None = None) -> None:
        self._queue = queue
        self._publish = publish

    def __call__(self, event: Mapping[str, Any], context: object) -> dict[str, Any]:
        records = list(event.get("Records") or ())
        to_send: list[tuple[str, JobMessage]] = []
        failed: list[str] = []
        for record in records:
            change = record.get("dynamodb") or {}
            sequence = str(change.get("SequenceNumber", ""))
            _count(record)
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
                _log_sent(message, sent=message.job_id not in not_sent)
        if self._publish is not None:  # after the job messages, which come first
            # The stream delivers a failed record and every one after it again: those are
            # published when they come back, not twice.
            first_failed = next(
                (n for n, r in enumerate(records) if _sequence(r) in failed), len(records)
            )
            self._published(records[:first_failed], self._publish, context)
        # The stream retries from the lowest failed sequence number on.
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}

    @staticmethod
    def _published(records: list[Any], publish: Publish, context: object) -> None:
        changed = [new for new in (_changed(r) for r in records) if new is not None]
        if not changed:
            return
        try:
            publish(changed, context)
        except Exception:  # noqa: BLE001 - live updates never fail the outbox (module doc)
            logger().exception("live updates were not published", extra={"jobs": len(changed)})


def _count(record: Mapping[str, Any]) -> None:
    """Jobs submitted (a new item) and finished, by status (a change into a terminal state):
    the table's stream sees each once (again only when a failed batch is retried)."""
    change = record.get("dynamodb") or {}
    new, old = change.get("NewImage"), change.get("OldImage")
    if not isinstance(new, Mapping):
        return
    if record.get("eventName") == "INSERT":
        metrics.count("JobsSubmitted")
        return
    status = _string(new, "status")
    if status in TERMINAL and _string(old or {}, "status") not in TERMINAL:
        metrics.count("JobsFinished", status=status)


def _log_sent(message: JobMessage, *, sent: bool) -> None:
    """One line per job message, with the job's id and the id of the request that made it."""
    with log_context(job_id=message.job_id, correlation_id=message.correlation_id):
        if sent:
            logger().info("job message sent", extra={"kind": message.kind.value})
        else:
            logger().warning(
                "a job message was not sent; the stream will deliver its record again",
                extra={"kind": message.kind.value},
            )


def _sequence(record: Mapping[str, Any]) -> str:
    return str((record.get("dynamodb") or {}).get("SequenceNumber", ""))


def _changed(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A new job's image, or a changed one's when its status or progress moved."""
    change = record.get("dynamodb") or {}
    new = change.get("NewImage")
    if not isinstance(new, Mapping) or record.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    if record.get("eventName") == "MODIFY":
        old = change.get("OldImage") or {}
        if all(new.get(name) == old.get(name) for name in ("status", "done")):
            return None
    return new


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
