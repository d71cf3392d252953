"""The SQS route: a batch of job messages in, the ids of those not done out.

Each message goes to its own record handler through Powertools' batch utilities, and the
answer is a partial batch response (ReportBatchItemFailures): a malformed message, or one
whose job must be retried, fails alone, never its batch-mates. A message that fails is made
visible again after a short back-off rather than the queue's whole visibility timeout.

The queue is FIFO with one message group per owner, but jobs are independent of each other:
every message of a batch is run, whatever happened to the one before (Powertools' FIFO
processor would stop at the first failure and hand back all that follow, with no gain here).
Imports no Strawberry, Starlette or Mangum.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from monolambda import metrics
from monolambda.domain.jobs import JobMessage, MessageKind
from monolambda.logs import log_context, logger
from monolambda.services.job_runner import JobRunner, RetryLaterError
from monolambda.services.webhooks import WebhookService

# Protocols, for annotations only: importing them defines 13 (~7 M instructions).
if TYPE_CHECKING:
    from monolambda.domain.ports import JobQueue

# Without a Lambda context (a test calling the handler), as if the whole timeout were left.
_NO_DEADLINE_S = 900.0


class MalformedMessageError(Exception):
    """Not a job message: it fails alone, and after its last delivery it is dead-lettered for
    someone to look at."""


class SqsWorker:
    def __init__(
        self,
        *,
        runner: JobRunner,
        queue: Callable[[], JobQueue],
        retry_delay_s: int,
        webhooks: Callable[[], WebhookService] | None = None,
    ) -> None:
        self._runner = runner
        self._queue = queue
        self._retry_delay_s = retry_delay_s
        self._webhooks = webhooks

    def __call__(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        remaining = getattr(context, "get_remaining_time_in_millis", None)

        def time_left() -> float:
            return remaining() / 1000 if callable(remaining) else _NO_DEADLINE_S

        def handle(record: SQSRecord) -> str:
            return self._handle(record, time_left)

        # One processor per batch: it holds the batch's state while it runs, and the local
        # stack runs several batches at once in one process (Lambda, one per container).
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        response = process_partial_response(
            event=dict(event), record_handler=handle, processor=processor, context=context
        )
        return dict(response)

    def _handle(self, record: SQSRecord, time_left: Callable[[], float]) -> str:
        receives = int(record.attributes.approximate_receive_count or 1)
        log = logger()
        try:
            message = JobMessage.parse(record.body)
        except ValueError as e:
            # No back-off: it will never read better; it goes to the dead-letter queue at the
            # visibility timeout's pace, for someone to look at.
            log.exception(
                "not a job message: it fails alone (dead-lettered after its last delivery)",
                extra={"message_id": record.message_id, "receives": receives, "reason": str(e)},
            )
            self._count_failure("MalformedMessages", receives)
            raise MalformedMessageError(str(e)) from None
        # Every line logged while the job runs (the runner's, the webhook's) names it and the
        # request that submitted it.
        with log_context(
            job_id=message.job_id,
            correlation_id=message.correlation_id,
            message_id=record.message_id,
        ):
            try:
                outcome = self._run(message, record, receives, time_left)
            except RetryLaterError as e:
                log.info(f"not done now, retried: {e}", extra={"receives": receives})
                self._count_failure("JobAttemptsRetried", receives)
                self._back_off(record, receives)
                raise
            except Exception:
                log.exception("job attempt failed", extra={"receives": receives})
                self._count_failure("JobAttemptsFailed", receives)
                self._back_off(record, receives)
                raise
            log.info("job message done", extra={"receives": receives, "outcome": outcome})
        if message.kind is MessageKind.WEBHOOK:
            metrics.count("Webhooks", outcome=outcome)
        else:
            metrics.count("JobAttempts", outcome=outcome)
        return outcome

    def _count_failure(self, name: str, receives: int) -> None:
        metrics.count(name)
        # Not deleted on its last delivery: the queue moves it to the dead letters.
        if receives >= self._runner.settings.max_receives:
            metrics.count("DeadLetterSends")

    def _run(
        self,
        message: JobMessage,
        record: SQSRecord,
        receives: int,
        time_left: Callable[[], float],
    ) -> str:
        if message.kind is MessageKind.WEBHOOK:
            if self._webhooks is None:
                raise MalformedMessageError("a webhook message, and no webhooks here")
            return (
                self._webhooks()
                .deliver(message.job_id, owner=message.owner, attempt=receives)
                .value
            )
        return self._runner.run(
            message.job_id,
            owner=message.owner,
            holder=record.message_id,
            receives=receives,
            time_left=time_left,
        ).value

    def _back_off(self, record: SQSRecord, receives: int) -> None:
        """Come back in retry_delay_s, doubling with each delivery, rather than after the
        queue's visibility timeout (6x the function's timeout)."""
        delay = min(self._retry_delay_s * 2 ** (receives - 1), 12 * 3600)
        try:
            self._queue().delay(record.receipt_handle, delay)
        except Exception:  # noqa: BLE001 - then it comes back after the visibility timeout
            logger().warning(
                "could not shorten the message's visibility",
                extra={"message_id": record.message_id},
                exc_info=True,
            )
