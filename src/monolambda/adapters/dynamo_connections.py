"""WebSocket connections and their subscriptions in DynamoDB, through PynamoDB.

One table, one partition per connection: the connection's own item ("$connection") and one
item per subscription ("sub#<id>"), so a connection's end deletes what one query finds. Each
subscription item also carries its subscriber, the key of the sparse `by_subscriber` index:
a job's change finds every subscription of its owner with one query there (whatever their
number), and the subscriptions of one owner are the only ones it can find. Every item
expires (TTL) when API Gateway would have ended its connection anyway (two hours), in case
no $disconnect ever came.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from monolambda.adapters.dynamo_tables import bind, translated
from monolambda.domain.identity import Caller
from monolambda.domain.live import (
    Connection,
    Subscription,
    SubscriptionRefusedError,
    duplicate_subscriber,
)

CONNECTION_ITEM = "$connection"
_SUBSCRIPTION_PREFIX = "sub#"
# API Gateway ends every WebSocket connection after two hours; items outlive that a little.
ITEM_LIFETIME = timedelta(hours=2, minutes=10)


class BySubscriber(GlobalSecondaryIndex["ConnectionRecord"]):
    """Sparse: subscription items only (a connection's own item has no `subscriber`)."""

    class Meta:
        index_name = "by_subscriber"
        projection = AllProjection()

    subscriber = UnicodeAttribute(hash_key=True)


class ConnectionRecord(Model):
    class Meta:
        table_name = "connections"  # bound to the real name by dynamo_tables.bind
        max_retry_attempts = 3
        connect_timeout_seconds = 3
        read_timeout_seconds = 5

    connection_id = UnicodeAttribute(hash_key=True)
    item = UnicodeAttribute(range_key=True)
    expires_at = TTLAttribute()
    # The connection's item: when it opened; once acknowledged, who it acts as.
    connected_at = UTCDateTimeAttribute(null=True)
    caller = UnicodeAttribute(null=True)
    subscriptions = NumberAttribute(null=True)
    # Both: the caller's groups (a subscription's document runs as its subscriber).
    groups = UnicodeSetAttribute(null=True)
    # A subscription's item.
    subscriber = UnicodeAttribute(null=True)
    topic = UnicodeAttribute(null=True)
    document = UnicodeAttribute(null=True)
    variables = UnicodeAttribute(null=True)  # JSON
    operation_name = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)

    by_subscriber: ClassVar[BySubscriber] = BySubscriber()


class DynamoConnectionStore:
    def __init__(self, table_name: str) -> None:
        self._model = bind(ConnectionRecord, table_name)

    def get(self, connection_id: str) -> Connection | None:
        with _translated():
            try:
                record = ConnectionRecord.get(connection_id, CONNECTION_ITEM, consistent_read=True)
            except ConnectionRecord.DoesNotExist:
                return None
        caller = (
            Caller(sub=record.caller, groups=frozenset(record.groups or ()))
            if record.caller
            else None
        )
        return Connection(
            id=connection_id,
            connected_at=record.connected_at or datetime.fromtimestamp(0, UTC),
            caller=caller,
        )

    def acknowledge(self, connection_id: str, caller: Caller, now: datetime) -> bool:
        record = ConnectionRecord(
            connection_id,
            CONNECTION_ITEM,
            connected_at=now,
            caller=caller.sub,
            groups=set(caller.groups) or None,
            subscriptions=0,
            expires_at=now + ITEM_LIFETIME,
        )
        with _translated():
            try:
                record.save(condition=ConnectionRecord.item.does_not_exist())
            except PynamoDBException as e:
                if e.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def subscribe(self, subscription: Subscription, limit: int) -> None:
        """One transaction: the subscription, if its id is free, and the connection's count,
        if below `limit` and the connection is acknowledged."""
        now = datetime.now(UTC)
        record = ConnectionRecord(
            subscription.connection_id,
            _SUBSCRIPTION_PREFIX + subscription.id,
            expires_at=now + ITEM_LIFETIME,
            subscriber=subscription.subscriber.sub,
            groups=set(subscription.subscriber.groups) or None,
            topic=subscription.topic,
            document=subscription.query,
            variables=json.dumps(subscription.variables) if subscription.variables else None,
            operation_name=subscription.operation_name,
            status=subscription.status,
            created_at=now,
        )
        owner = ConnectionRecord(subscription.connection_id, CONNECTION_ITEM)
        try:
            with _translated(), TransactWrite(connection=_connection()) as transaction:
                transaction.save(record, condition=ConnectionRecord.item.does_not_exist())
                transaction.update(
                    owner,
                    actions=[ConnectionRecord.subscriptions.add(1)],
                    condition=(ConnectionRecord.caller == subscription.subscriber.sub)
                    & (ConnectionRecord.subscriptions < limit),
                )
        except TransactWriteError as e:
            reasons = [r.code if r else None for r in e.cancellation_reasons]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise SubscriptionRefusedError(
                    duplicate_subscriber(subscription.id), "the id is taken"
                ) from None
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                raise SubscriptionRefusedError(
                    None,
                    f"a connection holds at most {limit} subscriptions; complete one first",
                ) from None
            raise

    def unsubscribe(self, connection_id: str, subscription_id: str) -> bool:
        record = ConnectionRecord(connection_id, _SUBSCRIPTION_PREFIX + subscription_id)
        try:
            with _translated(), TransactWrite(connection=_connection()) as transaction:
                transaction.delete(record, condition=ConnectionRecord.item.exists())
                transaction.update(
                    ConnectionRecord(connection_id, CONNECTION_ITEM),
                    actions=[ConnectionRecord.subscriptions.add(-1)],
                    condition=ConnectionRecord.item.exists(),
                )
        except TransactWriteError as e:
            if any(r and r.code == "ConditionalCheckFailed" for r in e.cancellation_reasons):
                return False  # completed already, or the connection has gone
            raise
        return True

    def disconnect(self, connection_id: str) -> None:
        with _translated():
            items = ConnectionRecord.query(
                connection_id, attributes_to_get=["connection_id", "item"]
            )
            with ConnectionRecord.batch_write() as batch:
                for item in items:
                    batch.delete(item)

    def subscribers(self, owner: str, topics: Sequence[str]) -> list[Subscription]:
        with _translated():
            found = ConnectionRecord.by_subscriber.query(
                owner, filter_condition=ConnectionRecord.topic.is_in(*topics)
            )
            return [_subscription(r) for r in found]


def _subscription(record: ConnectionRecord) -> Subscription:
    variables: Any = json.loads(record.variables) if record.variables else None
    return Subscription(
        connection_id=record.connection_id,
        id=record.item.removeprefix(_SUBSCRIPTION_PREFIX),
        subscriber=Caller(sub=record.subscriber or "", groups=frozenset(record.groups or ())),
        topic=record.topic or "",
        query=record.document or "",
        variables=variables if isinstance(variables, dict) else None,
        operation_name=record.operation_name,
        status=record.status,
        created_at=record.created_at,
    )


def _connection() -> Any:
    """The SDK connection PynamoDB's transactions go through (the model's own)."""
    return ConnectionRecord._get_connection().connection


def _translated() -> AbstractContextManager[None]:
    return translated("the connection store")
