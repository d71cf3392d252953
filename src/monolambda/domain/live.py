"""Live job updates as plain data: a WebSocket connection, the subscriptions it holds, where
a job's change is published, and the graphql-transport-ws protocol's words (graphql-ws's
PROTOCOL.md): its message types and close codes.

A subscription is stored under its subscriber (the caller who opened it), never under the
job: a change of a job is published to its owner's subscriptions only, found with one query
of the owner's partition, so a message can never reach a connection of another owner.
"""

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from monolambda.domain.identity import Caller
from monolambda.domain.sizes import MAX_SOCKET_MESSAGE_BYTES

PROTOCOL = "graphql-transport-ws"

# One message over API Gateway's WebSocket API (it refuses larger ones).
MAX_MESSAGE_BYTES = MAX_SOCKET_MESSAGE_BYTES

# Every change to any of the subscriber's jobs (jobsUpdated).
ALL_JOBS = "jobs"


def job_topic(job_id: str) -> str:
    """The changes of one job (jobUpdated)."""
    return f"job:{job_id}"


def topics_of(job_id: str) -> tuple[str, str]:
    """Where a change of the job is published: its own subscribers and its owner's."""
    return job_topic(job_id), ALL_JOBS


class MessageType(StrEnum):
    CONNECTION_INIT = "connection_init"
    CONNECTION_ACK = "connection_ack"
    PING = "ping"
    PONG = "pong"
    SUBSCRIBE = "subscribe"
    NEXT = "next"
    ERROR = "error"
    COMPLETE = "complete"


class Close(NamedTuple):
    """Why the server ends a connection, in the protocol's codes."""

    code: int
    reason: str


# The id of farewell(): no client's operation has it (graphql-ws's ids are UUIDs).
FAREWELL_ID = "connection"
BAD_MESSAGE = 4400  # plus what was wrong with it
UNAUTHORIZED = Close(4401, "Unauthorized")
FORBIDDEN = Close(4403, "Forbidden")
TOO_MANY_INITS = Close(4429, "Too many initialisation requests")


def farewell(close: Close) -> dict[str, Any]:
    """The last message before the server ends a connection. API Gateway cannot give the
    close its code, so the code and reason come first as an `error` message: before
    connection_ack, graphql-ws clients (Apollo's and urql's links among them) and gql take
    any message but an ack as fatal and stop, where a bare close would have them reconnect
    at once, again and again; afterwards, its id matches no operation and it is ignored."""
    code = _FAREWELL_CODES.get(close.code, "BAD_REQUEST")
    return {
        "id": FAREWELL_ID,
        "type": MessageType.ERROR.value,
        "payload": [
            {
                "message": f"{close.reason}: the server closes this connection",
                "extensions": {"code": code, "closeCode": close.code},
            }
        ],
    }


_FAREWELL_CODES = {4401: "UNAUTHENTICATED", 4403: "UNAUTHENTICATED", 4500: "INTERNAL"}


def too_large(message_id: str) -> dict[str, Any]:
    """The `error` that ends an operation whose message would pass API Gateway's limit (the
    estimate made before execution let it through: strings longer than their kind usually
    is). The connection and its other operations carry on."""
    return {
        "id": message_id,
        "type": MessageType.ERROR.value,
        "payload": [
            {
                "message": f"the answer is over {MAX_MESSAGE_BYTES:,} bytes, the most a "
                "WebSocket message carries. Ask for fewer: jobs(first:), results(first:)",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }


def duplicate_subscriber(subscription_id: str) -> Close:
    return Close(4409, f"Subscriber for {subscription_id[:100]} already exists")


def bad_message(why: str) -> Close:
    return Close(BAD_MESSAGE, why[:120])


class Connection(NamedTuple):
    id: str
    connected_at: datetime
    # Set by an accepted connection_init: who the connection acts as.
    caller: Caller | None = None

    @property
    def acknowledged(self) -> bool:
        return self.caller is not None


class Subscription(NamedTuple):
    """One `subscribe` of a connection, kept until its `complete` or its connection's end:
    the document is executed again against each change it is published."""

    connection_id: str
    id: str  # the client's id, unique on its connection
    subscriber: Caller
    topic: str
    query: str
    variables: Mapping[str, Any] | None = None
    operation_name: str | None = None
    # jobsUpdated(status:): only changes into this state.
    status: str | None = None
    # When it was stored: a change made well before it was already in its first state.
    created_at: datetime | None = None

    @property
    def ends_with_its_job(self) -> bool:
        """jobUpdated completes after its job's terminal state; jobsUpdated never does."""
        return self.topic != ALL_JOBS

    def wants(self, status: str, updated_at: datetime, *, terminal: bool) -> bool:
        """Whether a change into `status` at `updated_at` is news to this subscription. A
        change made before it was stored is in jobUpdated's first message already: sent
        again by a publication that lags, it would show an older state after a newer one.
        A terminal state is always news (it is sent once: see ConnectionStore.unsubscribe)."""
        if self.status is not None and self.status != status:
            return False
        return terminal or self.created_at is None or updated_at > self.created_at


class MessageRefusedError(Exception):
    """The management API refused one message for what it holds (its size): the connection
    is fine, and so are its other operations."""


class SubscriptionRefusedError(Exception):
    """A subscribe the store refused: the id is taken, or the connection holds too many."""

    def __init__(self, close: Close | None, message: str) -> None:
        super().__init__(message)
        self.close = close
