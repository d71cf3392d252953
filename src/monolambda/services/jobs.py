"""Job use cases for callers: submit, read one or many, list newest first, cancel.

A submit writes the job, then sends its message itself: the job is queued at once, however
many other jobs the table's stream has still to carry. The stream stays the guarantee: the
job's insert on it sends the same message again (triggers/stream.py), which the FIFO queue
drops as a duplicate within five minutes (and the worker skips after that), and which is
the job's only send when the submit's own failed or never happened (the function stopped
between the two calls). A submit costs the write and the send, plus a listing of the
caller's uploads when it names some.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from monolambda.domain.errors import BadUserInputError, NotFoundError
from monolambda.domain.identity import Caller
from monolambda.domain.jobs import (
    Job,
    JobInputs,
    JobMessage,
    JobRequest,
    JobStatus,
    is_job_id,
    new_job_id,
)
from monolambda.domain.models import ModelManifest
from monolambda.domain.sizes import MAX_PAGE
from monolambda.domain.uploads import UploadGrant, job_upload, job_upload_key, upload_job_id
from monolambda.logs import logger
from monolambda.services.predictions import (
    PredictionLimits,
    check_top_k,
    grant_upload,
    resolve_manifest,
    uploads_prefix,
)

# Protocols, for annotations only: importing them defines 13 (~7 M instructions).
if TYPE_CHECKING:
    from monolambda.domain.ports import (
        JobQueue,
        JobStore,
        ModelRegistry,
        PageKey,
        ResultStore,
        Uploads,
    )

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# Cursors this service makes are about 200 characters; anything far longer is not one.
MAX_CURSOR_CHARS = 2048
# A job started by an upload ranks this many labels per image (submitJob's default).
UPLOAD_JOB_TOP_K = 3


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class JobLimits:
    # Images per job: a job must fit one invocation (the function's timeout) with room to
    # spare; ~500 small images take ~2 s (bench/jobs.py).
    max_images: int = 500
    # Inline images all together: DynamoDB items stop at 400 KB, and the result may share it.
    max_inline_bytes: int = 256 * 1024
    # Results up to this size stay in the job; larger ones go to S3 behind a presigned GET.
    max_inline_result_bytes: int = 64 * 1024
    retention_days: int = 30
    max_page: int = MAX_PAGE
    result_url_expiry_s: int = 900


@dataclass(frozen=True, slots=True)
class Submission:
    job: Job
    # False when an earlier submit with the same idempotency key made the job.
    created: bool
    dry_run: bool = False


class UploadStartOutcome(StrEnum):
    STARTED = "started"
    # Storage told of the same object again (its notifications are at-least-once).
    DUPLICATE = "duplicate"
    NOT_A_JOB_UPLOAD = "not-a-job-upload"
    # The model was removed between createUpload and the file's arrival.
    UNKNOWN_MODEL = "unknown-model"


@dataclass(frozen=True, slots=True)
class UploadStart:
    outcome: UploadStartOutcome
    job_id: str | None = None


@dataclass(frozen=True, slots=True)
class JobPage:
    jobs: list[Job]
    cursors: list[str]
    has_next: bool
    has_previous: bool


class JobService:
    def __init__(
        self,
        *,
        store: JobStore,
        registry: Callable[[], ModelRegistry],
        uploads: Callable[[], Uploads],
        results: Callable[[], ResultStore],
        cursor_key: Callable[[], bytes],
        default_model: str,
        limits: JobLimits | None = None,
        upload_limits: PredictionLimits | None = None,
        callbacks: Callable[[str], str] | None = None,
        queue: Callable[[], JobQueue] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        # Each outside part is made on first use: reading a job needs the table only.
        self._store = store
        self._registry = registry
        self._uploads = uploads
        self._results = results
        self._cursor_key = cursor_key
        self._default_model = default_model
        self.limits = limits or JobLimits()
        self._upload_limits = upload_limits or PredictionLimits()
        # Checks a callback URL (services.webhooks.check_callback); None: no webhooks here.
        self._callbacks = callbacks
        # Where a new job's message goes at once (None: the stream alone sends it).
        self._queue = queue
        self._clock = clock

    # --- submit ----------------------------------------------------------------------------
    def submit(
        self,
        *,
        caller: Caller,
        model: str | None,
        version: str | None,
        images: Sequence[bytes],
        s3_keys: Sequence[str],
        top_k: int,
        idempotency_key: str | None,
        correlation_id: str,
        dry_run: bool = False,
        callback_url: str | None = None,
    ) -> Submission:
        """Every check first; then, unless a dry run, one write."""
        if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise BadUserInputError(
                "idempotencyKey must be 1 to 64 letters, digits or the characters _ . : -"
            )
        check_top_k(top_k)
        if callback_url is not None:
            if self._callbacks is None:
                raise BadUserInputError("webhooks are not configured on this stack")
            callback_url = self._callbacks(callback_url)
        inputs = self._inputs(caller, images, s3_keys)
        manifest = resolve_manifest(self._registry(), model or self._default_model, version)
        job = self._new_job(
            job_id=new_job_id(caller.sub, idempotency_key),
            owner=caller.sub,
            manifest=manifest,
            inputs=inputs,
            top_k=top_k,
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
            callback_url=callback_url,
        )
        if dry_run:
            return Submission(job=job, created=False, dry_run=True)
        existing = self._store.create(job)
        if existing is None:
            self._enqueue(job)
            return Submission(job=job, created=True)
        if existing.owner != caller.sub or existing.request_hash != job.request_hash:
            raise BadUserInputError(
                "this idempotencyKey was already used for a different request; "
                "use a new key for a new job"
            )
        return Submission(job=existing, created=False)

    def _new_job(
        self,
        *,
        job_id: str,
        owner: str,
        manifest: ModelManifest,
        inputs: JobInputs,
        top_k: int,
        correlation_id: str,
        idempotency_key: str | None,
        callback_url: str | None = None,
    ) -> Job:
        now = self._clock()
        request = JobRequest(manifest.name, manifest.version, inputs, top_k, callback_url)
        return Job(
            id=job_id,
            owner=owner,
            model=manifest.name,
            version=manifest.version,
            status=JobStatus.QUEUED,
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(days=self.limits.retention_days),
            total=inputs.count,
            top_k=top_k,
            correlation_id=correlation_id,
            request_hash=request.fingerprint(),
            inputs=inputs,
            idempotency_key=idempotency_key,
            callback_url=callback_url,
        )

    # --- jobs started by an upload ---------------------------------------------------------
    def create_upload(
        self, *, caller: Caller, content_type: str, size: int, model: str | None
    ) -> UploadGrant:
        """A presigned POST whose file, once stored, starts a job of its own (its id is
        known now, so the caller can follow it)."""
        name = model or self._default_model
        resolve_manifest(self._registry(), name, None)  # an unknown model is refused now
        key = job_upload_key(caller.sub, name)
        grant = grant_upload(self._uploads(), self._upload_limits, key, content_type, size)
        return grant._replace(job_id=upload_job_id(caller.sub, key))

    def start_from_upload(self, key: str, *, correlation_id: str) -> UploadStart:
        """The job an uploaded object starts, written once however often storage tells of
        the object (its id comes from the key)."""
        upload = job_upload(key)
        if upload is None:
            return UploadStart(UploadStartOutcome.NOT_A_JOB_UPLOAD)
        try:
            manifest = resolve_manifest(self._registry(), upload.model, None)
        except BadUserInputError:
            return UploadStart(UploadStartOutcome.UNKNOWN_MODEL, upload.job_id)
        job = self._new_job(
            job_id=upload.job_id,
            owner=upload.owner,
            manifest=manifest,
            inputs=JobInputs(s3_keys=(key,)),
            top_k=UPLOAD_JOB_TOP_K,
            correlation_id=correlation_id,
            idempotency_key=None,
        )
        if self._store.create(job) is None:
            self._enqueue(job)
            return UploadStart(UploadStartOutcome.STARTED, job.id)
        return UploadStart(UploadStartOutcome.DUPLICATE, job.id)

    def _inputs(self, caller: Caller, images: Sequence[bytes], s3_keys: Sequence[str]) -> JobInputs:
        if bool(images) == bool(s3_keys):
            raise BadUserInputError("give images or s3Keys (one of the two, not empty)")
        count = len(images) + len(s3_keys)
        if count > self.limits.max_images:
            raise BadUserInputError(f"a job takes at most {self.limits.max_images} images")
        if images:
            if sum(len(i) for i in images) > self.limits.max_inline_bytes:
                raise BadUserInputError(
                    f"inline images total more than {self.limits.max_inline_bytes} bytes; "
                    "upload them with createUpload and give s3Keys"
                )
            if any(not image for image in images):
                raise BadUserInputError("an image is empty")
            return JobInputs(images=tuple(images))
        prefix = uploads_prefix(caller)
        for index, key in enumerate(s3_keys):
            # Another caller's key is indistinguishable from a missing one.
            if not key.startswith(prefix) or ".." in key:
                raise BadUserInputError(f"s3Keys[{index}]: no such upload")
        sizes = self._uploads().sizes(prefix, s3_keys)
        for index, key in enumerate(s3_keys):
            if key not in sizes:
                raise BadUserInputError(f"s3Keys[{index}]: no such upload")
            if sizes[key] > self._upload_limits.max_upload_bytes:
                raise BadUserInputError(
                    f"s3Keys[{index}]: larger than {self._upload_limits.max_upload_bytes} bytes"
                )
        return JobInputs(s3_keys=tuple(s3_keys))

    # --- read ----------------------------------------------------------------------------
    def get(self, caller: Caller, job_id: str) -> Job:
        job = self._store.get(job_id) if is_job_id(job_id) else None
        return self._owned(caller, job)

    def get_many(self, caller: Caller, job_ids: Sequence[str]) -> list[Job | NotFoundError]:
        """For a DataLoader: every id of one request in one read, each answered on its own."""
        valid = sorted({i for i in job_ids if is_job_id(i)})
        found = self._store.get_many(valid) if valid else {}
        answers: list[Job | NotFoundError] = []
        for job_id in job_ids:
            try:
                answers.append(self._owned(caller, found.get(job_id)))
            except NotFoundError as e:
                answers.append(e)
        return answers

    def page(
        self, caller: Caller, *, status: JobStatus | None, first: int, after: str | None
    ) -> JobPage:
        if not 1 <= first <= self.limits.max_page:
            raise BadUserInputError(f"first must be from 1 to {self.limits.max_page}")
        start = self._read_cursor(caller, status, after) if after is not None else None
        # One more than asked for says whether there is a next page, in the same read.
        jobs = self._store.page(caller.sub, status, first + 1, start)
        shown = jobs[:first]
        return JobPage(
            jobs=shown,
            cursors=[self._cursor(caller, status, self._store.page_key(j, status)) for j in shown],
            has_next=len(jobs) > first,
            has_previous=start is not None,
        )

    def result_url(self, job: Job) -> str | None:
        if job.result_key is None:
            return None
        return self._results().url(job.result_key, self.limits.result_url_expiry_s)

    # --- cancel ----------------------------------------------------------------------------
    def cancel(self, caller: Caller, job_id: str) -> Job:
        """QUEUED or RUNNING -> CANCELLED; a finished job is answered as it is. A running
        job's worker sees the cancel at its next progress write and stops."""
        if not is_job_id(job_id):
            raise NotFoundError("no such job")
        cancelled = self._store.cancel(job_id, caller.sub, self._clock())
        if cancelled is not None:
            return cancelled
        return self._owned(caller, self._store.get(job_id))

    # --- helpers ---------------------------------------------------------------------------
    def _enqueue(self, job: Job) -> None:
        """The new job's message, sent now; if this fails, the stream's send is the one."""
        if self._queue is None:
            return
        message = JobMessage(job_id=job.id, owner=job.owner, correlation_id=job.correlation_id)
        try:
            not_sent = self._queue().send([message])
        except Exception:  # noqa: BLE001 - the job is written: the stream sends its message
            not_sent = {job.id}
        if not_sent:
            logger().warning(
                "a new job's message was not sent at submit; the stream sends it",
                extra={"job_id": job.id, "correlation_id": job.correlation_id},
            )

    @staticmethod
    def _owned(caller: Caller, job: Job | None) -> Job:
        # Another caller's job is answered exactly as a job that does not exist.
        if job is None or job.owner != caller.sub:
            raise NotFoundError("no such job")
        return job

    def _cursor(self, caller: Caller, status: JobStatus | None, key: PageKey) -> str:
        payload = json.dumps(
            {"o": caller.sub, "s": status or "", "k": dict(key)},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        return f"{_b64(payload)}.{_b64(self._signature(payload))}"

    def _read_cursor(self, caller: Caller, status: JobStatus | None, cursor: str) -> PageKey:
        refused = BadUserInputError("after is not a cursor of this list")
        body, _, signature = cursor.partition(".")
        try:
            payload = _unb64(body)
            given = _unb64(signature)
        except (ValueError, binascii.Error):
            raise refused from None
        if not hmac.compare_digest(given, self._signature(payload)):
            raise refused
        try:
            data = json.loads(payload)
        except ValueError:
            raise refused from None
        # Signed by us, yet only for the list it came from: this caller, this status filter.
        if data.get("o") != caller.sub or data.get("s") != (status or ""):
            raise refused
        key = data.get("k")
        if not isinstance(key, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in key.items()
        ):
            raise refused
        return key

    def _signature(self, payload: bytes) -> bytes:
        return hmac.new(self._cursor_key(), payload, hashlib.sha256).digest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or len(text) > MAX_CURSOR_CHARS:
        raise ValueError("not a cursor")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
