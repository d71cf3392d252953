"""Lambda's SQS event-source mapping, locally: poll the queue, gather a batch (batch size,
batching window), invoke the function with a real SQS event, then delete what succeeded.

As on AWS: a handler that raises leaves the whole batch to the visibility timeout; with
ReportBatchItemFailures, the messages it names stay and the rest are deleted (a malformed
report fails the whole batch); redrive to the dead-letter queue is the queue's own.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from devstack.template import SqsMapping

Invoke = Callable[[dict[str, Any]], Any]
# Lambda's pollers long-poll; a short wait keeps Ctrl-C and test resets prompt.
_WAIT_SECONDS = 1


class SqsPoller:
    def __init__(
        self,
        mapping: SqsMapping,
        *,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        region: str,
        invoke: Invoke,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.mapping = mapping
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._region = region
        self._invoke = invoke
        self._log = log or (lambda line: print(line, file=sys.stderr))
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"sqs:{mapping.logical_id}", daemon=True
        )
        self.batches = 0
        self.errors = 0

    def start(self) -> None:
        if self.mapping.enabled:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=_WAIT_SECONDS + 10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self._gather()
                if messages:
                    self._deliver(messages)
            except Exception:  # noqa: BLE001 - a poller survives a stand-in hiccup, as Lambda's does
                self.errors += 1
                if not self._stop.is_set():
                    self._log(
                        f"[sqs] {self.mapping.logical_id}: polling failed:\n"
                        + traceback.format_exc()
                    )
                    self._stop.wait(1)

    def _gather(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages, waiting at most the batching window once one has arrived."""
        batch: list[dict[str, Any]] = []
        deadline: float | None = None
        while len(batch) < self.mapping.batch_size and not self._stop.is_set():
            wait = _WAIT_SECONDS if deadline is None else max(0.0, deadline - time.monotonic())
            received = self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=min(10, self.mapping.batch_size - len(batch)),
                WaitTimeSeconds=round(wait),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            batch.extend(received)
            if deadline is None and batch:
                deadline = time.monotonic() + self.mapping.batching_window_s
            if deadline is None or time.monotonic() >= deadline:
                break
        return batch

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        self.batches += 1
        event = {"Records": [self._record(m) for m in messages]}
        try:
            result = self._invoke(event)
        except Exception:  # noqa: BLE001 - the function failed: the batch returns to the queue
            self._log(
                f"[sqs] {self.mapping.logical_id}: the function failed; "
                f"{len(messages)} message(s) stay:\n{traceback.format_exc()}"
            )
            return
        ids = {m["MessageId"] for m in messages}
        failed = self._failed_ids(result, ids)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )

    def _failed_ids(self, result: Any, ids: set[str]) -> set[str]:
        if not self.mapping.report_batch_item_failures:
            return set()
        if result is None or (isinstance(result, dict) and not result.get("batchItemFailures")):
            return set()
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        named = {f.get("itemIdentifier") for f in failures or [] if isinstance(f, dict)}
        if not isinstance(failures, list) or not named <= ids or None in named or "" in named:
            self._log(
                f"[sqs] {self.mapping.logical_id}: malformed batchItemFailures; "
                "the whole batch fails"
            )
            return ids
        return {str(i) for i in named}

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        body = message.get("Body", "")
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": value.get("StringListValues", []),
                    "binaryListValues": value.get("BinaryListValues", []),
                    "dataType": value.get("DataType"),
                }
                for name, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody")
            or hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": self._region,
        }
