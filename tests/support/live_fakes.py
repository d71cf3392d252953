"""In-memory fakes of the live-update ports (mypy checks them against the protocols): the
store keeps the DynamoDB store's conditions (one acknowledgement, ids unique per
connection, a limit per connection, the owner's partition), the poster records what each
connection received."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monolambda.domain.errors import UnauthenticatedError
from monolambda.domain.identity import Caller
from monolambda.domain.live import (
    MAX_MESSAGE_BYTES,
    Connection,
    MessageRefusedError,
    Subscription,
    SubscriptionRefusedError,
    duplicate_subscriber,
)
from monolambda.domain.ports import ConnectionPoster, ConnectionStore, TokenVerifier


@dataclass
class FakeConnectionStore:
    connections: dict[str, Connection] = field(default_factory=dict)
    subscriptions: dict[tuple[str, str], Subscription] = field(default_factory=dict)
    queries: int = 0
    now: datetime | None = None  # what a subscription's created_at reads

    def get(self, connection_id: str) -> Connection | None:
        return self.connections.get(connection_id)

    def acknowledge(self, connection_id: str, caller: Caller, now: datetime) -> bool:
        if connection_id in self.connections:
            return False
        self.connections[connection_id] = Connection(connection_id, now, caller)
        return True

    def subscribe(self, subscription: Subscription, limit: int) -> None:
        key = (subscription.connection_id, subscription.id)
        if key in self.subscriptions:
            raise SubscriptionRefusedError(duplicate_subscriber(subscription.id), "taken")
        held = sum(1 for c, _ in self.subscriptions if c == subscription.connection_id)
        connection = self.connections.get(subscription.connection_id)
        if connection is None or connection.caller != subscription.subscriber:
            raise SubscriptionRefusedError(None, "not acknowledged")
        if held >= limit:
            raise SubscriptionRefusedError(None, f"at most {limit} subscriptions")
        self.subscriptions[key] = subscription._replace(created_at=self.now)

    def unsubscribe(self, connection_id: str, subscription_id: str) -> bool:
        return self.subscriptions.pop((connection_id, subscription_id), None) is not None

    def disconnect(self, connection_id: str) -> None:
        self.connections.pop(connection_id, None)
        for key in [k for k in self.subscriptions if k[0] == connection_id]:
            del self.subscriptions[key]

    def subscribers(self, owner: str, topics: Sequence[str]) -> list[Subscription]:
        self.queries += 1
        return [
            s
            for s in self.subscriptions.values()
            if s.subscriber.sub == owner and s.topic in topics
        ]


@dataclass
class FakePoster:
    """Messages per connection, decoded. Connections in `gone` answer 410; those in
    `broken` raise; a message over API Gateway's 128 KiB is refused as the management API
    refuses it (the adapter's MessageRefusedError)."""

    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)
    closed: list[str] = field(default_factory=list)
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, connection_id: str, data: bytes) -> bool:
        if connection_id in self.broken:
            raise TimeoutError("the management API did not answer")
        if connection_id in self.gone:
            return False
        if len(data) > MAX_MESSAGE_BYTES:
            self.refused += 1
            raise MessageRefusedError("PayloadTooLargeException")
        with self._lock:
            self.received.setdefault(connection_id, []).append(json.loads(data))
        return True

    def close(self, connection_id: str) -> None:
        self.closed.append(connection_id)

    def types(self, connection_id: str) -> list[str]:
        return [m["type"] for m in self.received.get(connection_id, [])]


@dataclass
class FakeTokens:
    """Tokens are "token-<sub>"; anything else is refused."""

    def caller(self, token: str) -> Caller:
        if not token.startswith("token-"):
            raise UnauthenticatedError("token refused")
        return Caller(sub=token.removeprefix("token-"))


def _checked() -> tuple[ConnectionStore, ConnectionPoster, TokenVerifier]:
    return FakeConnectionStore(), FakePoster(), FakeTokens()
