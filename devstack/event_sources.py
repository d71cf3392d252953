"""Lambda's event-source mappings, locally.

SQS: pollers gather batches (batch size, batching window), invoke the function with real SQS
events, then delete what succeeded. As on AWS: a handler that raises leaves the whole batch to
the visibility timeout; with ReportBatchItemFailures, the messages it names stay and the rest
are deleted (a malformed report fails the whole batch); redrive to the dead-letter queue is the
queue's own. Up to the mapping's MaximumConcurrency batches run at once, each on its own
poller, so on a FIFO queue a message group whose messages are in flight (moto locks it, as
SQS does) never holds up another group's: how Lambda scales with active message groups.

DynamoDB streams: each shard read in order (TRIM_HORIZON or LATEST), four times a second when
idle, as Lambda polls; a failed batch is retried in place (blocking its shard, as on AWS), from
the lowest failed sequence number with ReportBatchItemFailures, split in two on a function
error with BisectBatchOnFunctionError, until MaximumRetryAttempts; then a record of the batch
goes to the OnFailure queue and the shard moves on.

Schedules: each rate() rule invokes the function with EventBridge's Scheduled Event once a
period (or sooner, when the local stack is asked to tick).

S3 notifications: moto sends a bucket's events to a queue of the local stack's own, and a
poller invokes the function with each event as S3 does (asynchronously, one event at a
time); a failed invocation is tried twice more, as Lambda retries an asynchronous event,
then dropped with a log line.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from devstack.template import Schedule, SqsMapping, StreamMapping

Invoke = Callable[[dict[str, Any]], Any]


class Poller(Protocol):
    """One event source's delivery to the function, on threads of its own."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


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
        concurrency: int = 1,
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
        self._threads = [
            threading.Thread(target=self._run, name=f"sqs:{mapping.logical_id}:{i}", daemon=True)
            for i in range(max(1, concurrency))
        ]
        self._counts = threading.Lock()
        self.batches = 0
        self.errors = 0

    def start(self) -> None:
        if self.mapping.enabled:
            for thread in self._threads:
                thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=_WAIT_SECONDS + 10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self._gather()
                if messages:
                    self._deliver(messages)
            except Exception:  # noqa: BLE001 - a poller survives a stand-in hiccup, as Lambda's does
                with self._counts:
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
        with self._counts:
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


# Lambda polls each shard of a stream four times a second.
_STREAM_IDLE_S = 0.25


class StreamPoller:
    def __init__(
        self,
        mapping: StreamMapping,
        *,
        streams: Any,
        stream_arn: Callable[[], str | None],
        region: str,
        invoke: Invoke,
        report_failure: Callable[[dict[str, Any]], None] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.mapping = mapping
        self._streams = streams
        self._stream_arn = stream_arn
        self._region = region
        self._invoke = invoke
        self._report_failure = report_failure
        self._log = log or (lambda line: print(line, file=sys.stderr))
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"stream:{mapping.logical_id}", daemon=True
        )
        self._arn: str | None = None
        self._iterators: dict[str, str | None] = {}  # shard id -> next iterator (None: closed)
        self.batches = 0
        self.errors = 0
        self.expired = 0  # batches given up on and sent to the OnFailure destination

    def start(self) -> None:
        if self.mapping.enabled:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._poll_once():
                    self._stop.wait(_STREAM_IDLE_S)
            except Exception:  # noqa: BLE001 - as Lambda's pollers, survive and try again
                self.errors += 1
                self._arn = None  # start over from the stream's description
                if not self._stop.is_set():
                    self._log(
                        f"[stream] {self.mapping.logical_id}: polling failed:\n"
                        + traceback.format_exc()
                    )
                    self._stop.wait(1)

    def _poll_once(self) -> bool:
        """Reads every open shard once; True when any had records."""
        arn = self._stream_arn()
        if arn is None:
            return False
        if arn != self._arn:  # a new stream (the table was made again): from its start
            self._arn = arn
            self._iterators = {}
        self._discover_shards(arn)
        busy = False
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None or self._stop.is_set():
                continue
            try:
                answer = self._streams.get_records(
                    ShardIterator=iterator, Limit=self.mapping.batch_size
                )
            except self._streams.exceptions.TrimmedDataAccessException:
                # DynamoDB Local refuses an iterator taken from TRIM_HORIZON while its shard
                # was empty once records arrive: nothing was read, so read from the start.
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                busy = True
                continue
            self._iterators[shard_id] = answer.get("NextShardIterator")
            records = answer.get("Records", [])
            if records:
                busy = True
                self._deliver(shard_id, [self._record(r, arn) for r in records], attempt=0)
        return busy

    def _discover_shards(self, arn: str) -> None:
        shards = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in self._iterators:
                continue
            # A child shard is read from its start; the first shards from where the mapping
            # says (TRIM_HORIZON: everything the stream still holds).
            position = (
                "TRIM_HORIZON"
                if shard.get("ParentShardId") in self._iterators
                else self.mapping.starting_position
            )
            self._iterators[shard_id] = self._streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard_id, ShardIteratorType=position
            )["ShardIterator"]

    def _deliver(self, shard_id: str, records: list[dict[str, Any]], attempt: int) -> None:
        pending = records
        while pending and not self._stop.is_set():
            self.batches += 1
            try:
                result = self._invoke({"Records": pending})
                failed = self._failed_from(result, pending)
            except Exception:  # noqa: BLE001 - the function failed: the batch is retried
                self._log(
                    f"[stream] {self.mapping.logical_id}: the function failed on "
                    f"{len(pending)} record(s):\n{traceback.format_exc()}"
                )
                if self.mapping.bisect_on_error and len(pending) > 1:
                    half = len(pending) // 2
                    self._deliver(shard_id, pending[:half], attempt + 1)
                    self._deliver(shard_id, pending[half:], attempt + 1)
                    return
                failed = pending
            if not failed:
                return
            attempt += 1
            retries = self.mapping.maximum_retry_attempts
            if 0 <= retries < attempt:
                self._give_up(shard_id, failed)
                return
            pending = failed
            self._stop.wait(min(0.1 * 2**attempt, 2.0))

    def _failed_from(self, result: Any, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records to retry: from the lowest failed sequence number on (a checkpoint)."""
        if not self.mapping.report_batch_item_failures or not isinstance(result, dict):
            return []
        failures = result.get("batchItemFailures") or []
        numbers = [str(f.get("itemIdentifier")) for f in failures if isinstance(f, dict)]
        known = [r["dynamodb"]["SequenceNumber"] for r in records]
        if any(n not in known for n in numbers):
            self._log(f"[stream] {self.mapping.logical_id}: malformed batchItemFailures")
            return records
        if not numbers:
            return []
        lowest = min(known.index(n) for n in numbers)
        return records[lowest:]

    def _give_up(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        self.expired += 1
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        self._log(
            f"[stream] {self.mapping.logical_id}: gave up on {len(records)} record(s) after "
            f"{self.mapping.maximum_retry_attempts} retries"
        )
        if self._report_failure is not None:
            # What Lambda sends an OnFailure destination: where the batch was, not its records.
            self._report_failure(
                {
                    "requestContext": {
                        "condition": "RetryAttemptsExhausted",
                        "approximateInvokeCount": self.mapping.maximum_retry_attempts + 1,
                    },
                    "timestamp": datetime.now(UTC).isoformat(),
                    "DDBStreamBatchInfo": {
                        "shardId": shard_id,
                        "startSequenceNumber": first["SequenceNumber"],
                        "endSequenceNumber": last["SequenceNumber"],
                        "batchSize": len(records),
                        "streamArn": self._arn,
                    },
                }
            )

    def _record(self, record: dict[str, Any], arn: str) -> dict[str, Any]:
        change = _as_json(record["dynamodb"])
        return {
            "eventID": record.get("eventID"),
            "eventName": record.get("eventName"),
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": self._region,
            "dynamodb": change,
            "eventSourceARN": arn,
        }


def _as_json(value: Any) -> Any:
    """A record as Lambda's JSON event carries it: binary values in base64, times as epoch
    seconds (boto3 decoded both)."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def failure_reporter(sqs: Any, queue_url: str) -> Callable[[dict[str, Any]], None]:
    def report(body: dict[str, Any]) -> None:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))

    return report


# Lambda runs an asynchronous event up to three times in all (MaximumRetryAttempts 2); the
# waits between (a minute, then two, on AWS) are shortened locally.
_ASYNC_ATTEMPTS = 3
_ASYNC_RETRY_S = 2


class NotificationPoller:
    """A bucket's notifications, from the relay queue to the function."""

    def __init__(
        self,
        *,
        sqs: Any,
        queue_url: str,
        invoke: Invoke,
        name: str,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._invoke = invoke
        self._name = name
        self._log = log or (lambda line: print(line, file=sys.stderr))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"s3:{name}", daemon=True)
        self.delivered = 0
        self.dropped = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=_WAIT_SECONDS + 10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for message in self._sqs.receive_message(
                    QueueUrl=self._queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=_WAIT_SECONDS,
                    MessageSystemAttributeNames=["ApproximateReceiveCount"],
                ).get("Messages", []):
                    self._deliver(message)
            except Exception:  # noqa: BLE001 - the poller outlives a stand-in hiccup (or a reset)
                if not self._stop.is_set():
                    self._stop.wait(1)

    def _deliver(self, message: dict[str, Any]) -> None:
        event = json.loads(message.get("Body") or "{}")
        if isinstance(event, dict) and event.get("Records"):  # not S3's s3:TestEvent
            try:
                self._invoke(event)
                self.delivered += 1
            except Exception:  # noqa: BLE001 - as Lambda: retried, then dropped and logged
                receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
                if receives < _ASYNC_ATTEMPTS:
                    self._log(
                        f"[s3] {self._name}: the function failed (attempt {receives}); "
                        f"retried in {_ASYNC_RETRY_S} s:\n{traceback.format_exc()}"
                    )
                    self._sqs.change_message_visibility(
                        QueueUrl=self._queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=_ASYNC_RETRY_S,
                    )
                    return
                self.dropped += 1
                self._log(f"[s3] {self._name}: the function failed {receives} times; dropped")
        self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])


class Ticker:
    """A schedule's rule: a Scheduled Event to the function once a period."""

    def __init__(
        self,
        schedule: Schedule,
        *,
        invoke: Invoke,
        region: str,
        account: str,
        interval_s: float | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.schedule = schedule
        self._invoke = invoke
        self._region = region
        self._account = account
        self.interval_s = interval_s or schedule.interval_s
        self._log = log or (lambda line: print(line, file=sys.stderr))
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one tick at a time, as one rule's invocations are
        self._thread = threading.Thread(
            target=self._run, name=f"schedule:{schedule.logical_id}", daemon=True
        )
        self.ticks = 0

    def start(self) -> None:
        if self.schedule.enabled:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def tick(self) -> Any:
        """One Scheduled Event now; the function's answer."""
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self._account,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._region,
            "resources": [
                f"arn:aws:events:{self._region}:{self._account}:rule/{self.schedule.logical_id}"
            ],
            "detail": {},
        }
        with self._lock:
            self.ticks += 1
            return self._invoke(event)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - as EventBridge: the next period comes anyway
                self._log(
                    f"[schedule] {self.schedule.logical_id}: the function failed:\n"
                    + traceback.format_exc()
                )
