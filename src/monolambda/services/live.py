"""Live job updates, without GraphQL: who a connection acts as, its subscriptions, sending
messages to connections, and publishing a job's change to its subscribers.

Nothing here holds a socket: API Gateway holds each connection, and a message reaches it
through the management API (ConnectionPoster). A connection that has gone (410) is forgotten
with its subscriptions the first time a send finds it gone. Publishing sends to many
connections at once, each on its own: one slow or broken connection delays nobody else, and
a failed send fails nothing but itself.

No message over API Gateway's 128 KiB is posted: it is serialised no further than that
(domain.bounded_json), and an operation whose message would pass it, or that the management
API refuses for its size, ends alone with an `error` for its id (domain.live.too_large); the
connection's other operations carry on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from monolambda import metrics
from monolambda.domain.bounded_json import TooLargeError, dumps_within
from monolambda.domain.errors import UnauthenticatedError
from monolambda.domain.identity import ANONYMOUS, Caller, bearer_token
from monolambda.domain.live import (
    FORBIDDEN,
    MAX_MESSAGE_BYTES,
    TOO_MANY_INITS,
    Close,
    Connection,
    MessageRefusedError,
    MessageType,
    Subscription,
    farewell,
    too_large,
    topics_of,
)
from monolambda.logs import logger

# Protocols, for annotations only: importing them defines 13 (~7 M instructions). The jobs'
# domain and the thread pool only publishing needs: a connection's own events never load them.
if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from monolambda.domain.jobs import Job
    from monolambda.domain.ports import ConnectionPoster, ConnectionStore, TokenVerifier

    # The messages one subscription gets for one change: `next`, and `complete` after a
    # job's terminal state. Made by the API layer, which executes the subscription's document.
    Render = Callable[
        [Job, Sequence[Subscription]], list[tuple[Subscription, list[dict[str, Any]]]]
    ]


# DynamoDB's IN takes at most 100 values.
MAX_TOPICS_PER_QUERY = 100

# How an operation's messages went (deliver), or a connection's (publish).
SENT = "sent"
GONE = "gone"  # the connection has gone: it is forgotten
REFUSED = "refused"  # too large to carry: the operation ended with an error instead
FAILED = "failed"  # the management API failed (throttling, a timeout): logged


class LiveLimits(NamedTuple):
    # Subscriptions one connection may hold at once.
    max_subscriptions: int = 20
    # Connections sent to at once while publishing.
    send_concurrency: int = 16


_DEFAULT_LIMITS = LiveLimits()


class Published(NamedTuple):
    """What one publication did, for the log and the benchmarks."""

    subscribers: int
    sent: int
    gone: int
    failed: int
    # Subscriptions ended because their update was too large to carry.
    ended: int = 0


class LiveService:
    def __init__(
        self,
        *,
        store: ConnectionStore,
        poster: Callable[[], ConnectionPoster],
        tokens: Callable[[], TokenVerifier] | None,
        limits: LiveLimits = _DEFAULT_LIMITS,
    ) -> None:
        """`tokens` None: the stack has no authorizer, and every connection acts as the
        anonymous caller."""
        self.store = store
        self._poster = poster
        self._tokens = tokens
        self.limits = limits
        self._pool: ThreadPoolExecutor | None = None

    # --- a connection's life ---------------------------------------------------------------
    def connection(self, connection_id: str) -> Connection | None:
        """The connection once acknowledged (nothing is stored before its connection_init)."""
        return self.store.get(connection_id)

    def initialise(self, connection_id: str, payload: object) -> Close | None:
        """connection_init: the caller from the payload's token, then connection_ack; a Close
        when the connection must end instead."""
        caller = self._caller_of(payload)
        if caller is None:
            return FORBIDDEN
        if not self.store.acknowledge(connection_id, caller, utc_now()):
            return TOO_MANY_INITS
        self.send(connection_id, {"type": MessageType.CONNECTION_ACK.value})
        return None

    def _caller_of(self, payload: object) -> Caller | None:
        if self._tokens is None:
            return ANONYMOUS
        token = _token_of(payload)
        if token is None:
            logger().info("connection_init without a token")
            return None
        try:
            return self._tokens().caller(token)
        except UnauthenticatedError as refused:
            logger().info("connection_init token refused", extra={"reason": str(refused)})
            return None

    def close(self, connection_id: str, close: Close) -> None:
        """Ends a connection for a protocol reason. API Gateway closes it without our code
        (its management API takes none): the code and reason go to the client first, as a
        last message (domain.live.farewell), and to the log."""
        logger().info(
            "closing a connection",
            extra={"connection_id": connection_id, "code": close.code, "reason": close.reason},
        )
        poster = self._poster()
        if poster.post(connection_id, _encoded(farewell(close))):
            poster.close(connection_id)
        self.store.disconnect(connection_id)

    def disconnect(self, connection_id: str) -> None:
        self.store.disconnect(connection_id)

    def send(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        """One of the protocol's own messages (small: an ack, a pong); False (and the
        connection forgotten) when it has gone."""
        if self._poster().post(connection_id, _encoded(message)):
            return True
        self.store.disconnect(connection_id)
        return False

    def deliver(
        self, connection_id: str, operation_id: str, messages: Sequence[Mapping[str, Any]]
    ) -> str:
        """An operation's messages in order (`next`, then `complete`): SENT; GONE (the
        connection forgotten); or REFUSED when one would pass the limit, the operation
        then ended by an `error` for its id (its subscription is the caller's to end)."""
        outcome = self._deliver(self._poster(), connection_id, operation_id, messages)
        if outcome == GONE:
            self.store.disconnect(connection_id)
        return outcome

    def _deliver(
        self,
        poster: ConnectionPoster,
        connection_id: str,
        operation_id: str,
        messages: Sequence[Mapping[str, Any]],
    ) -> str:
        for message in messages:
            try:
                if not poster.post(connection_id, _encoded_within(message)):
                    return GONE
            except (TooLargeError, MessageRefusedError):
                logger().warning(
                    "an operation's message is over the WebSocket limit: the operation ends",
                    extra={"connection_id": connection_id, "operation_id": operation_id[:128]},
                )
                refusal = _encoded(too_large(operation_id))
                return REFUSED if poster.post(connection_id, refusal) else GONE
        return SENT

    # --- subscriptions -----------------------------------------------------------------------
    def subscribe(self, subscription: Subscription) -> None:
        self.store.subscribe(subscription, self.limits.max_subscriptions)

    def unsubscribe(self, connection_id: str, subscription_id: str) -> bool:
        """False when it had ended already (see ConnectionStore.unsubscribe)."""
        return self.store.unsubscribe(connection_id, subscription_id)

    # --- publishing a change -----------------------------------------------------------------
    def publish(self, jobs: Iterable[Job], render: Render) -> Published:
        """Each job's change to its owner's subscriptions of it: one query per owner of the
        batch's jobs (whatever the number of jobs and subscribers), the documents executed,
        then every connection's messages sent at once."""
        outbox: dict[str, list[tuple[Subscription, list[dict[str, Any]]]]] = {}
        subscribers = 0
        changes = list(jobs)
        found = self._subscriptions_of(changes)
        for job in changes:
            terminal, topics = job.status.terminal, topics_of(job.id)
            mine = [
                s
                for s in found.get(job.owner, ())
                if s.topic in topics
                and s.wants(job.status.value, job.updated_at, terminal=terminal)
            ]
            subscribers += len(mine)
            for subscription, messages in render(job, mine) if mine else ():
                # A job's last message goes out once: from here, or from the `subscribe`
                # that read the finished job first, whichever ended the subscription.
                last = terminal and subscription.ends_with_its_job
                ended = last and not self.unsubscribe(subscription.connection_id, subscription.id)
                if ended:
                    continue
                outbox.setdefault(subscription.connection_id, []).append((subscription, messages))
        outcomes = list(self._send_all(outbox))
        gone = [c for c, (outcome, _) in outcomes if outcome == GONE]
        for connection_id in gone:
            self.store.disconnect(connection_id)
        refused = [s for _, (outcome, r) in outcomes if outcome != GONE for s in r]
        for subscription in refused:
            self.unsubscribe(subscription.connection_id, subscription.id)
        published = Published(
            subscribers=subscribers,
            sent=sum(1 for _, (o, _) in outcomes if o == SENT),
            gone=len(gone),
            failed=sum(1 for _, (o, _) in outcomes if o == FAILED),
            ended=len(refused),
        )
        # Metrics, not a log line: a publication that went well logs nothing (a failed post
        # logs its own WARNING), so the stream's usual batch never builds the logger.
        for outcome in ("sent", "gone", "failed", "ended"):
            if counted := getattr(published, outcome):
                metrics.count("LiveUpdates", counted, outcome=outcome)
        return published

    def _subscriptions_of(self, jobs: list[Job]) -> dict[str, list[Subscription]]:
        """Per owner, their subscriptions to any of the jobs (or to all their jobs): the
        store's subscriptions are partitioned by owner, so one owner's query can never
        find another's."""
        topics: dict[str, set[str]] = {}
        for job in jobs:
            topics.setdefault(job.owner, set()).update(topics_of(job.id))
        found: dict[str, list[Subscription]] = {}
        for owner, wanted in topics.items():
            ordered = sorted(wanted)
            for start in range(0, len(ordered), MAX_TOPICS_PER_QUERY):
                chunk = ordered[start : start + MAX_TOPICS_PER_QUERY]
                found.setdefault(owner, []).extend(
                    s for s in self.store.subscribers(owner, chunk) if s.subscriber.sub == owner
                )
        return found

    def _send_all(self, outbox: Mapping[str, _Deliveries]) -> Iterable[tuple[str, _Sent]]:
        if len(outbox) <= 1:
            return [(c, self._send_in_order(c, d)) for c, d in outbox.items()]
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - publishing only

            self._pool = ThreadPoolExecutor(
                self.limits.send_concurrency, thread_name_prefix="live-send"
            )
        futures = [(c, self._pool.submit(self._send_in_order, c, d)) for c, d in outbox.items()]
        return [(c, f.result()) for c, f in futures]

    def _send_in_order(self, connection_id: str, deliveries: _Deliveries) -> _Sent:
        """A connection's messages one after another (a `complete` after its `next`): the
        connection's outcome, and the subscriptions whose update was too large (each ended
        alone, the others sent)."""
        poster = self._poster()
        refused: list[Subscription] = []
        try:
            for subscription, messages in deliveries:
                outcome = self._deliver(poster, connection_id, subscription.id, messages)
                if outcome == GONE:
                    return GONE, refused
                if outcome == REFUSED:
                    refused.append(subscription)
        except Exception:  # noqa: BLE001 - one connection's failure is its own
            logger().warning(
                "a live update was not sent", extra={"connection_id": connection_id}, exc_info=True
            )
            return FAILED, refused
        return SENT, refused


_Deliveries = list[tuple[Subscription, list[dict[str, Any]]]]
_Sent = tuple[str, list[Subscription]]


def _token_of(payload: object) -> str | None:
    """The token as graphql-ws, Apollo's and urql's links and gql send it in
    connection_init's payload: {"Authorization": "Bearer <jwt>"} (any case of the name; the
    value as the HTTP API's authorizer takes it: domain.identity.bearer_token)."""
    if not isinstance(payload, Mapping):
        return None
    for name, value in payload.items():
        if isinstance(name, str) and name.lower() == "authorization" and isinstance(value, str):
            return bearer_token(value)
    return None


def _encoded(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), default=str).encode()


def _encoded_within(message: Mapping[str, Any]) -> bytes:
    """TooLargeError past API Gateway's limit, found before the whole text is made. (ASCII
    JSON: its characters are its bytes.)"""
    return dumps_within(message, MAX_MESSAGE_BYTES).encode()


def utc_now() -> datetime:
    return datetime.now(UTC)
