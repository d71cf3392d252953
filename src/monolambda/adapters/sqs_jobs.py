"""The jobs queue in SQS: one small message per job (its id, owner and correlation id).

On a FIFO queue each owner is a message group, so one caller's backlog never stands in front
of another's (docs/jobs.md, "Fairness"); the deduplication id is the job's id and enqueue count, so
a send repeated within SQS's five-minute window is dropped by SQS itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from monolambda.domain.jobs import JobMessage, MessageKind

_SQS_BATCH = 10


class SqsJobQueue:
    def __init__(self, *, sqs: Callable[[], Any], queue_url: str) -> None:
        self._make_sqs = sqs
        self.queue_url = queue_url
        self.fifo = queue_url.endswith(".fifo")

    @cached_property
    def _sqs(self) -> Any:
        return self._make_sqs()

    def send(self, messages: Sequence[JobMessage]) -> set[str]:
        failed: set[str] = set()
        for start in range(0, len(messages), _SQS_BATCH):
            batch = messages[start : start + _SQS_BATCH]
            entries = [self._entry(str(i), m) for i, m in enumerate(batch)]
            try:
                answer = self._sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except Exception:  # noqa: BLE001 - reported as not sent; the caller retries them
                failed.update(m.job_id for m in batch)
                continue
            failed.update(batch[int(f["Id"])].job_id for f in answer.get("Failed", []))
        return failed

    def delay(self, receipt: str, seconds: int) -> None:
        self._sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=seconds
        )

    def _entry(self, entry_id: str, message: JobMessage) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Id": entry_id,
            "MessageBody": message.body(),
            "MessageAttributes": {
                "correlationId": {"DataType": "String", "StringValue": message.correlation_id}
            },
        }
        if self.fifo:
            if message.kind is MessageKind.WEBHOOK:
                # A group per webhook: one whose receiver keeps failing (its message waits
                # out a back-off between tries) holds up no other message.
                entry["MessageGroupId"] = f"webhook:{message.job_id}"
                entry["MessageDeduplicationId"] = f"{message.job_id}.webhook"
            else:
                entry["MessageGroupId"] = message.owner
                entry["MessageDeduplicationId"] = f"{message.job_id}.{message.enqueue}"
        return entry
