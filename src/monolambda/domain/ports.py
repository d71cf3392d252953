"""What the use cases need from the outside world, as small protocols.

Adapters implement them (S3 + SSM, Pillow, onnxruntime, PynamoDB, SQS); tests use in-memory
fakes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from monolambda.domain.identity import Caller
from monolambda.domain.jobs import Job, JobError, JobMessage, JobOutcome, JobStatus, OpenJob
from monolambda.domain.live import Connection, Subscription
from monolambda.domain.models import InputSpec, ModelManifest
from monolambda.domain.uploads import UploadForm
from monolambda.domain.webhooks import CallbackTarget, WebhookState


class ModelRegistry(Protocol):
    def model_names(self) -> list[str]: ...

    def versions(self, name: str) -> list[str]: ...

    def current_version(self, name: str) -> str:
        """The pointer's version; NotFoundError for an unknown model."""
        ...

    def manifest(self, name: str, version: str) -> ModelManifest:
        """NotFoundError for an unknown version; ModelUnavailableError for a broken one."""
        ...

    def model_file(self, manifest: ModelManifest) -> str:
        """A local path to the model file, its SHA-256 checked."""
        ...


class ImageBatch(Protocol):
    """Images made ready for one model: opaque to the services, understood by Inference."""

    count: int


class Images(Protocol):
    def measure(self, data: bytes, which: str) -> tuple[int, int]:
        """Width and height from the image's header alone (nothing decoded);
        BadUserInputError for anything that is not a usable image, or one too large."""
        ...

    def prepare(self, images: Sequence[bytes], spec: InputSpec) -> ImageBatch:
        """Decoded one at a time, each shrunk before the next is read;
        BadUserInputError for anything that is not a usable image."""
        ...


class Inference(Protocol):
    def run(self, manifest: ModelManifest, model_file: str, batch: ImageBatch) -> list[list[float]]:
        """One list of per-label scores per image."""
        ...


class Uploads(Protocol):
    def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires_s: int
    ) -> UploadForm:
        """A form for a browser's multipart POST straight to storage."""
        ...

    def read(self, key: str, max_bytes: int) -> bytes:
        """NotFoundError when absent; BadUserInputError when larger than max_bytes."""
        ...

    def sizes(self, prefix: str, keys: Sequence[str]) -> dict[str, int]:
        """The size of each of `keys` (all under `prefix`) that exists; absent ones are left
        out. One listing of the prefix, not one request per key."""
        ...


# A position in a list of jobs: the store's own key attributes, as strings.
PageKey = Mapping[str, str]


class JobStore(Protocol):
    """Jobs, each move between states a conditional write (domain.jobs.TRANSITIONS)."""

    def create(self, job: Job) -> Job | None:
        """Writes a new QUEUED job. When a job already has that id, nothing is written and
        that job is returned."""
        ...

    def get(self, job_id: str) -> Job | None: ...

    def get_many(self, job_ids: Sequence[str]) -> dict[str, Job]:
        """The jobs that exist among `job_ids`, in as few reads as the store allows, as
        their owners see them: everything but their inputs (Job.inputs is None)."""
        ...

    def page(
        self, owner: str, status: JobStatus | None, limit: int, after: PageKey | None
    ) -> list[Job]:
        """Up to `limit` of the owner's jobs, newest first, after `after`. Summaries: the
        inputs and results are not read (Job.complete is False)."""
        ...

    def page_key(self, job: Job, status: JobStatus | None) -> dict[str, str]:
        """The position just after `job` in the list `page` reads for `status`."""
        ...

    def cancel(self, job_id: str, owner: str, now: datetime) -> Job | None:
        """QUEUED or RUNNING -> CANCELLED if the owner matches; None when not written."""
        ...

    def start(
        self, job_id: str, owner: str, holder: str, now: datetime, lease_until: datetime
    ) -> Job | None:
        """QUEUED -> RUNNING, or a RUNNING job whose lease ran out or is already `holder`'s,
        attempts counted; None when not written (finished, cancelled, held, absent, or not
        `owner`'s)."""
        ...

    def progress(self, job: Job, holder: str, done: int, now: datetime) -> bool:
        """Records progress while `holder` still runs it; False once it was cancelled or
        taken over."""
        ...

    def finish(self, job: Job, holder: str, outcome: JobOutcome, now: datetime) -> bool:
        """RUNNING (held by `holder`) -> SUCCEEDED or FAILED; False when not written."""
        ...

    def release(self, job: Job, holder: str, error: JobError, now: datetime) -> bool:
        """RUNNING (held by `holder`) -> QUEUED, for its message to come again."""
        ...

    def record_webhook(self, job_id: str, state: WebhookState) -> bool:
        """The webhook's state after a try; never over a DELIVERED or FAILED one (False)."""
        ...

    # --- for the sweeper -------------------------------------------------------------------
    def stale(self, before: datetime, limit: int) -> list[OpenJob]:
        """Up to `limit` open (QUEUED or RUNNING) jobs last changed before `before`, oldest
        first, read without reading the jobs themselves."""
        ...

    def requeue(self, job: OpenJob, now: datetime) -> bool:
        """QUEUED or RUNNING -> QUEUED with one more enqueue (the outbox sends a new message),
        only if the job is as `job` read it; False when not written."""
        ...

    def abandon(self, job: OpenJob, error: JobError, now: datetime) -> bool:
        """QUEUED or RUNNING -> FAILED with `error`, only if the job is as `job` read it."""
        ...


class ResultStore(Protocol):
    """Results too large to keep in the job itself."""

    def put(self, key: str, body: bytes) -> None: ...

    def url(self, key: str, expires_s: int) -> str:
        """A presigned GET for the owner to fetch it with."""
        ...


class JobQueue(Protocol):
    def send(self, messages: Sequence[JobMessage]) -> set[str]:
        """Enqueues each job once; returns the ids of the jobs whose send failed."""
        ...

    def delay(self, receipt: str, seconds: int) -> None:
        """Makes a received message come back after `seconds` rather than after the
        queue's whole visibility timeout (a retry's back-off)."""
        ...


class CallbackResolver(Protocol):
    def addresses(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to (an IP literal: itself); empty when none."""
        ...


class WebhookSender(Protocol):
    def post(self, target: CallbackTarget, body: bytes, headers: Mapping[str, str]) -> int:
        """The receiver's HTTP status (redirects are not followed: a 3xx is the answer).
        RefusedAddressError when the host resolves to, or the connection reaches, an address
        webhooks are never sent to; OSError when the receiver cannot be reached in time."""
        ...


class ConnectionStore(Protocol):
    """WebSocket connections and their subscriptions (domain.live)."""

    def get(self, connection_id: str) -> Connection | None:
        """An acknowledged connection; None before its connection_init or once gone."""
        ...

    def acknowledge(self, connection_id: str, caller: Caller, now: datetime) -> bool:
        """Stores the connection and who it acts as; False when it already was (a second
        connection_init)."""
        ...

    def subscribe(self, subscription: Subscription, limit: int) -> None:
        """Stores it; SubscriptionRefusedError when its id is taken on the connection, the
        connection holds `limit` subscriptions already, or it is not acknowledged."""
        ...

    def unsubscribe(self, connection_id: str, subscription_id: str) -> bool:
        """False when it was not there (completed already, by the client or by the
        publication of its job's terminal state: whoever removes it sends the `complete`)."""
        ...

    def disconnect(self, connection_id: str) -> None:
        """Forgets the connection and every subscription it holds."""
        ...

    def subscribers(self, owner: str, topics: Sequence[str]) -> list[Subscription]:
        """The owner's subscriptions to any of `topics`: one query of the owner's
        subscriptions, whatever their number."""
        ...


class ConnectionPoster(Protocol):
    """API Gateway's management API for the WebSocket API's connections."""

    def post(self, connection_id: str, data: bytes) -> bool:
        """Sends one message; False when the connection is gone (410). MessageRefusedError
        when the message itself is refused (over 128 KiB); raises on anything else
        (throttling, a timeout)."""
        ...

    def close(self, connection_id: str) -> None:
        """Ends the connection (API Gateway closes it with no code of ours); a gone one
        is no error."""
        ...


class TokenVerifier(Protocol):
    def caller(self, token: str) -> Caller:
        """Who the token speaks for; UnauthenticatedError for any token the API's
        authorizer would refuse (signature, issuer, audience, expiry, algorithm)."""
        ...


class PersistedQueryStore(Protocol):
    """Documents clients registered by automatic persisted queries, by their SHA-256 (hex):
    a store that outlives a container, bounded in size (a registration may evict another,
    whose client then sends its text once more)."""

    def get(self, digest: str) -> str | None:
        """The registered text, or None."""
        ...

    def put(self, digest: str, text: str) -> None: ...
