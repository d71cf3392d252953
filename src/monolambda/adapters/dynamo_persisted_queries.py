"""Documents registered by automatic persisted queries, in DynamoDB through PynamoDB.

The table is bounded by its keys, not by counting: a document's slot is the first three hex
digits of its SHA-256 (4,096 slots), and a registration overwrites whatever its slot held.
So no stream of registrations grows the table past 4,096 items; a client whose document was
evicted sends its text once more (Apollo's protocol) and registers it again. Each item
expires a week after it was last registered.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from monolambda.adapters.dynamo_tables import bind, translated

SLOT_DIGITS = 3
LIFETIME = timedelta(days=7)


class PersistedQueryRecord(Model):
    class Meta:
        table_name = "persisted-queries"  # bound to the real name by dynamo_tables.bind
        max_retry_attempts = 2
        connect_timeout_seconds = 2
        read_timeout_seconds = 3

    slot = UnicodeAttribute(hash_key=True)
    digest = UnicodeAttribute()
    document = UnicodeAttribute()
    expires_at = TTLAttribute()


class DynamoPersistedQueries:
    def __init__(self, table_name: str) -> None:
        self._model = bind(PersistedQueryRecord, table_name)

    def get(self, digest: str) -> str | None:
        with _translated():
            try:
                record = PersistedQueryRecord.get(digest[:SLOT_DIGITS])
            except PersistedQueryRecord.DoesNotExist:
                return None
        return record.document if record.digest == digest else None

    def put(self, digest: str, text: str) -> None:
        record = PersistedQueryRecord(
            digest[:SLOT_DIGITS],
            digest=digest,
            document=text,
            expires_at=datetime.now(UTC) + LIFETIME,
        )
        with _translated():
            record.save()


def _translated() -> AbstractContextManager[None]:
    return translated("the persisted-queries store")
