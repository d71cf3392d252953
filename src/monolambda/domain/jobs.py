"""Asynchronous prediction jobs: their states, the moves between them, and what a job holds.

The transitions are defined here once; the job store enforces them with conditional writes
(a move is written only if the job is still in one of the states it may leave from), so two
workers, a duplicate delivery and a cancel can race without a job finishing twice.
"""

import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, overload

from monolambda.domain.models import RankedLabel
from monolambda.domain.webhooks import WebhookState


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})

# Every move a job may make. RUNNING -> QUEUED is a worker giving a job back after a retryable
# failure (its message will come again), or the sweeper re-enqueueing a job whose worker died
# and whose message is gone; QUEUED -> QUEUED is the sweeper re-enqueueing a job whose message
# never came; RUNNING -> RUNNING is a worker taking over a job whose previous worker's lease
# ran out (it died). A terminal state is never left.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset(
        {JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.FAILED}
    ),
    JobStatus.RUNNING: frozenset(
        {
            JobStatus.RUNNING,
            JobStatus.QUEUED,
            JobStatus.SUCCEEDED,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
        }
    ),
    JobStatus.SUCCEEDED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


def may_move(source: JobStatus, target: JobStatus) -> bool:
    return target in TRANSITIONS[source]


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """The states a job may be in for a move to `target` to be written."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


# Job ids are UUIDs. With an idempotency key the id is derived from the caller and the key,
# so a retried submit lands on the same item and a conditional write refuses the second.
_IDEMPOTENT_IDS = uuid.UUID("6f1d3c52-8a8e-4f7e-9a4c-2f3b1c0d9e7a")


def new_job_id(owner: str, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_IDEMPOTENT_IDS, f"{owner}\n{idempotency_key}"))


def is_job_id(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


class JobError(NamedTuple):
    """Why a job, or one image of it, failed: a code and a message safe to show its owner."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)  # not a NamedTuple: its `index` would hide tuple.index
class ItemResult:
    """One image's outcome: its labels, or the error that image alone ran into."""

    index: int
    labels: tuple[RankedLabel, ...] = ()
    error: JobError | None = None

    def to_json(self) -> dict[str, object]:
        if self.error is not None:
            return {"i": self.index, "e": [self.error.code, self.error.message]}
        return {"i": self.index, "l": [[r.label, r.score] for r in self.labels]}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "ItemResult":
        index = int(str(data["i"]))
        error = data.get("e")
        if isinstance(error, list):
            return cls(index=index, error=JobError(str(error[0]), str(error[1])))
        labels = data.get("l")
        ranked = tuple(
            RankedLabel(label=str(label), score=float(score))
            for label, score in (labels if isinstance(labels, list) else [])
        )
        return cls(index=index, labels=ranked)


def results_to_json(results: Sequence[ItemResult]) -> str:
    return json.dumps([r.to_json() for r in results], separators=(",", ":"))


def results_from_json(text: str) -> "StoredResults":
    return StoredResults(text)


class StoredResults(Sequence[ItemResult]):
    """A job's results as stored (compact JSON), decoded only as far as they are read: an
    answer that shows two of a job's 64 results, 20 labels each, decodes two results (and
    makes 40 labels), not 64 (and 1,280); a page of 100 such jobs holds their text, not a
    hundred decoded lists."""

    __slots__ = ("_at", "_done", "_items", "_read", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        at = _SPACE.match(text, 0).end()  # type: ignore[union-attr] # always matches
        if not text.startswith("[", at):
            raise ValueError("stored results are a JSON list")
        self._at = at + 1
        self._read = 0  # items read from the text, results or not
        self._done = False
        # Kept as results, not as the decoded JSON they came from (half the memory).
        self._items: list[ItemResult] = []

    def _decode(self, count: int | None) -> None:
        """Results decoded until `count` are (None: every one)."""
        text, at = self._text, self._at
        while not self._done and (count is None or len(self._items) < count):
            at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
            if text.startswith("]", at):
                self._done = True
                break
            if self._read:
                if not text.startswith(",", at):
                    raise ValueError("stored results are a JSON list")
                at = _SPACE.match(text, at + 1).end()  # type: ignore[union-attr]
            item, at = _DECODER.raw_decode(text, at)
            self._read += 1
            if isinstance(item, dict):  # anything else is not a result
                self._items.append(ItemResult.from_json(item))
        self._at = at

    def __len__(self) -> int:
        self._decode(None)
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> ItemResult: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[ItemResult, ...]: ...

    def __getitem__(self, index: int | slice) -> ItemResult | tuple[ItemResult, ...]:
        if isinstance(index, slice):
            forward = index.step is None and (index.start or 0) >= 0
            self._decode(
                index.stop if forward and index.stop is not None and index.stop >= 0 else None
            )
            return tuple(self._items[index])
        self._decode(index + 1 if index >= 0 else None)
        return self._items[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment] # equal to a tuple, but not a value to key by

    def __repr__(self) -> str:
        return f"StoredResults({len(self)} results)"


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True, slots=True)  # not a NamedTuple: its `count` would hide tuple.count
class JobInputs:
    """What a job classifies: keys of the owner's uploads, or small images kept inline."""

    s3_keys: tuple[str, ...] = ()
    images: tuple[bytes, ...] = ()

    @property
    def count(self) -> int:
        return len(self.s3_keys) + len(self.images)

    def digest(self) -> str:
        h = hashlib.sha256()
        for key in self.s3_keys:
            h.update(b"k" + key.encode() + b"\0")
        for image in self.images:
            h.update(b"i" + hashlib.sha256(image).digest())
        return h.hexdigest()


class JobRequest(NamedTuple):
    """A submitJob as the use case checked it: what decides whether two submits are one."""

    model: str
    version: str
    inputs: JobInputs
    top_k: int
    callback_url: str | None = None

    def fingerprint(self) -> str:
        parts: list[object] = [self.model, self.version, self.top_k, self.inputs.digest()]
        if self.callback_url is not None:
            parts.append(self.callback_url)
        text = json.dumps(parts)
        return hashlib.sha256(text.encode()).hexdigest()


class Job(NamedTuple):
    id: str
    owner: str
    model: str
    version: str
    status: JobStatus
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    total: int
    top_k: int
    correlation_id: str
    request_hash: str
    inputs: JobInputs | None = None  # None when read from an index that does not hold them
    done: int = 0
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    idempotency_key: str | None = None
    error: JobError | None = None
    # The outcome: inline when small, else the key of an object in the results store.
    results: Sequence[ItemResult] | None = None
    result_key: str | None = None
    # The worker holding a RUNNING job (its message id), and until when.
    lease_holder: str | None = None
    lease_until: datetime | None = None
    # False for a list page's items, read from an index that holds a summary only.
    complete: bool = True
    # How many times the job was handed to the queue (1, and one more per re-enqueue).
    enqueues: int = 1
    # Where the final state is POSTed, and how that went (None until the first try).
    callback_url: str | None = None
    webhook: WebhookState | None = None
    # Images whose result is an error (of a finished job; 0 before).
    failed: int = 0


class OpenJob(NamedTuple):
    """A QUEUED or RUNNING job as the sweeper reads it: enough to decide, and, with
    `updated_at`, to write only if nothing changed since."""

    id: str
    owner: str
    status: JobStatus
    updated_at: datetime
    attempts: int
    enqueues: int
    lease_until: datetime | None = None


class JobOutcome(NamedTuple):
    """A run's end, as the worker writes it: SUCCEEDED with results, or FAILED with why."""

    status: JobStatus
    done: int
    results: tuple[ItemResult, ...] | None = None
    result_key: str | None = None
    error: JobError | None = None
    # Images whose result is an error (kept apart: results may be stored elsewhere).
    failed: int = 0


class MessageKind(StrEnum):
    RUN = "run"  # run the job
    WEBHOOK = "webhook"  # send the finished job's webhook


class JobMessage(NamedTuple):
    """What the queue carries for a job: never its payload, only where to find it."""

    job_id: str
    owner: str
    correlation_id: str
    # Distinguishes a deliberate re-enqueue from a duplicate send of the same one.
    enqueue: int = 1
    kind: MessageKind = MessageKind.RUN

    def body(self) -> str:
        data = {"jobId": self.job_id, "owner": self.owner, "correlationId": self.correlation_id}
        if self.kind is not MessageKind.RUN:
            data["kind"] = self.kind.value
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def parse(cls, body: str) -> "JobMessage":
        """ValueError for anything that is not a job message."""
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("a job message is a JSON object")  # noqa: TRY004 - parse's one error
        job_id, owner, correlation_id = (data.get(k) for k in ("jobId", "owner", "correlationId"))
        if not (isinstance(job_id, str) and is_job_id(job_id)):
            raise ValueError("jobId is not a job id")
        if not (isinstance(owner, str) and owner):
            raise ValueError("owner is missing")
        if not isinstance(correlation_id, str):
            raise ValueError("correlationId is missing")  # noqa: TRY004 - parse's one error
        try:
            kind = MessageKind(str(data.get("kind", MessageKind.RUN)))
        except ValueError:
            raise ValueError("kind is not one of: run, webhook") from None
        return cls(job_id=job_id, owner=owner, correlation_id=correlation_id[:128], kind=kind)
