"""Webhooks: a finished job's final state, POSTed to the URL given at submit, signed.

The table's stream sees the job reach a terminal state and queues a webhook message (its own
message group, so a slow receiver holds up nothing else); the worker delivers it here. A
delivery is tried once per message delivery, so the queue's back-off spaces the retries and
its receive count is the attempt number: accepted (2xx) is recorded DELIVERED; refused (an
address that is not public, now) is FAILED at once; anything else is PENDING and tried again,
until the last attempt records FAILED. A duplicate message finds the webhook settled and
sends nothing. Every request carries the job's id as its delivery id, so the rare repeat
(a worker dying between the receiver's 2xx and the record) can be recognised.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from monolambda.domain.errors import BadUserInputError
from monolambda.domain.jobs import Job
from monolambda.domain.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    CallbackPolicy,
    RefusedAddressError,
    WebhookState,
    WebhookStatus,
    signature,
)
from monolambda.services.job_runner import RetryLaterError
from monolambda.services.jobs import utc_now

# Protocols, for annotations only: importing them defines 13 (~7 M instructions).
if TYPE_CHECKING:
    from monolambda.domain.ports import (
        CallbackResolver,
        JobStore,
        ResultStore,
        WebhookSender,
    )

RESULT_URL_EXPIRY_S = 3600


class WebhookOutcome(StrEnum):
    DELIVERED = "webhook-delivered"
    FAILED = "webhook-failed"
    # Already DELIVERED or FAILED: a duplicate message.
    SETTLED = "webhook-settled"
    # No such job of this owner, no callback, or not finished: nothing to send.
    NOTHING_TO_SEND = "webhook-nothing-to-send"


def check_callback(policy: CallbackPolicy, resolver: CallbackResolver, url: str) -> str:
    """At submit: the URL's form, and where its host resolves now. BadUserInputError
    otherwise (the delivery checks again: DNS answers change)."""
    target = policy.target(url)
    try:
        policy.check(target, resolver.addresses(target.host, target.port))
    except RefusedAddressError as e:
        raise BadUserInputError(f"callbackUrl is refused: {e}") from None
    return url


class WebhookService:
    def __init__(
        self,
        *,
        store: JobStore,
        sender: Callable[[], WebhookSender],
        results: Callable[[], ResultStore],
        key: Callable[[], bytes],
        policy: CallbackPolicy,
        max_attempts: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._sender = sender
        self._results = results
        self._key = key
        self._policy = policy
        self.max_attempts = max_attempts
        self._clock = clock

    def deliver(self, job_id: str, *, owner: str, attempt: int) -> WebhookOutcome:
        """One try. RetryLaterError when it failed and another try may do better."""
        job = self._store.get(job_id)
        if job is None or job.owner != owner or not job.callback_url or not job.status.terminal:
            return WebhookOutcome.NOTHING_TO_SEND
        if job.webhook is not None and job.webhook.status is not WebhookStatus.PENDING:
            return WebhookOutcome.SETTLED
        error, final = self._try(job)
        if error is None:
            self._record(job, WebhookStatus.DELIVERED, attempt, None)
            return WebhookOutcome.DELIVERED
        if final or attempt >= self.max_attempts:
            self._record(job, WebhookStatus.FAILED, attempt, error)
            return WebhookOutcome.FAILED
        self._record(job, WebhookStatus.PENDING, attempt, error)
        raise RetryLaterError(f"webhook attempt {attempt} failed: {error}")

    def _try(self, job: Job) -> tuple[str | None, bool]:
        """(why it failed, or None; whether trying again is pointless)."""
        try:
            target = self._policy.target(str(job.callback_url))
        except BadUserInputError as e:
            return str(e), True
        body = self.payload(job)
        timestamp = int(self._clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "monolambda-webhooks/1",
            SIGNATURE_HEADER: signature(self._key(), timestamp, body),
            DELIVERY_HEADER: job.id,
        }
        try:
            status = self._sender().post(target, body, headers)
        except RefusedAddressError as e:
            return f"refused: {e}", True
        except OSError as e:
            return f"could not reach the receiver: {type(e).__name__}", False
        if 200 <= status < 300:  # noqa: PLR2004 - HTTP's success range
            return None, False
        if 300 <= status < 400:  # noqa: PLR2004 - redirects are never followed
            return f"HTTP {status}: redirects are not followed", True
        return f"HTTP {status}", False

    def payload(self, job: Job) -> bytes:
        """The job's final state, as job(id) shows it."""
        results = None
        if job.results is not None:
            results = [
                {
                    "index": r.index,
                    "labels": [{"label": x.label, "score": x.score} for x in r.labels],
                    "error": None
                    if r.error is None
                    else {"code": r.error.code, "message": r.error.message},
                }
                for r in job.results
            ]
        data = {
            "jobId": job.id,
            "status": job.status.value,
            "model": job.model,
            "version": job.version,
            "progress": {"done": job.done, "total": job.total, "failed": job.failed},
            "createdAt": job.created_at.isoformat(),
            "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
            "error": None
            if job.error is None
            else {"code": job.error.code, "message": job.error.message},
            "results": results,
            "resultUrl": self._results().url(job.result_key, RESULT_URL_EXPIRY_S)
            if job.result_key
            else None,
        }
        return json.dumps(data, separators=(",", ":")).encode()

    def _record(self, job: Job, status: WebhookStatus, attempt: int, error: str | None) -> None:
        self._store.record_webhook(
            job.id,
            WebhookState(status=status, attempts=attempt, at=self._clock(), last_error=error),
        )
