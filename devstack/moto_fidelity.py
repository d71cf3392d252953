"""Where moto's SQS differs from SQS in a way the stack's design leans on, made to behave as
SQS does. Applied in the moto process only (devstack.moto_main).

FIFO deduplication: SQS drops a message whose deduplication id was sent in the last five
minutes, whether or not the first is still in the queue; moto compares it only with the
messages still there. The jobs' outbox sends each new job's message a second time (the
submit sends it first: services/jobs.py), so under moto a job already done came back as a
duplicate, and a duplicate in flight holds up its owner's message group.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.sqs import models

_FIVE_MINUTES_MS = models.DEDUPLICATION_TIME_IN_SECONDS * 1000
# Ids remembered before those past the window are forgotten (a sweep costs one pass).
_SWEEP_AT = 100_000


def deduplicate_as_sqs_does() -> None:
    add_message = models.Queue.add_message
    lock = threading.Lock()
    sent: dict[tuple[str, str | None, str], int] = {}

    def add(queue: Any, message: Any) -> None:
        dedup = message.deduplication_id
        if queue.fifo_queue and dedup:
            by_group = queue.attributes.get("DeduplicationScope") == "messageGroup"
            key = (queue.name, message.group_id if by_group else None, dedup)
            now = int(message.sent_timestamp)
            with lock:
                first = sent.get(key)
                if first is not None and now - first < _FIVE_MINUTES_MS:
                    return  # accepted, not delivered: as SQS answers a duplicate
                sent[key] = now
                if len(sent) > _SWEEP_AT:
                    for old in [k for k, t in sent.items() if now - t >= _FIVE_MINUTES_MS]:
                        del sent[old]
        add_message(queue, message)

    models.Queue.add_message = add  # type: ignore[method-assign,assignment]
