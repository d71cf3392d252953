"""Issue 27: automatic persisted queries' registrations in DynamoDB Local, through the adapter
(adapters/dynamo_persisted_queries.py), as the template makes the table: kept for other
containers, bounded by its slots, expiring."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from monolambda.adapters.dynamo_persisted_queries import LIFETIME, DynamoPersistedQueries
from monolambda.api.guard.trusted_documents import Registered, TrustedDocuments, sha256_of
from tests.support.stack import RunningStack

VERSION = "query Version { version { version } }"


@pytest.fixture
def table(idle_stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> str:
    idle_stack.reset()
    environment = json.loads((idle_stack.state_dir / "function-env.json").read_text())
    for variable, value in environment["MonolambdaFunction"].items():
        monkeypatch.setenv(variable, value)
    name: str = environment["MonolambdaFunction"]["PERSISTED_QUERIES_TABLE"]
    return name


def test_a_registration_is_read_by_another_container(table: str) -> None:
    digest = sha256_of(VERSION)
    first = TrustedDocuments(
        {}, only=False, registered=Registered(lambda: DynamoPersistedQueries(table))
    )
    request = {
        "query": VERSION,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
    }
    assert first.query_of(request) == VERSION
    other = TrustedDocuments(
        {}, only=False, registered=Registered(lambda: DynamoPersistedQueries(table))
    )
    by_hash = {"extensions": request["extensions"]}
    assert other.query_of(by_hash) == VERSION


def test_a_slot_holds_one_document_and_items_expire(table: str, idle_stack: RunningStack) -> None:
    store = DynamoPersistedQueries(table)
    a, b = "abc" + "0" * 61, "abc" + "1" * 61  # one slot: the first three digits
    store.put(a, "query A { health { status } }")
    assert store.get(a) == "query A { health { status } }"
    store.put(b, "query B { health { status } }")
    assert store.get(a) is None  # evicted by its slot's newer registration
    assert store.get(b) == "query B { health { status } }"
    assert store.get("fff" + "0" * 61) is None
    items = idle_stack.client("dynamodb").scan(TableName=table)["Items"]
    assert len(items) == 1
    expires = datetime.fromtimestamp(int(items[0]["expires_at"]["N"]), UTC)
    assert abs(expires - (datetime.now(UTC) + LIFETIME)) < timedelta(minutes=5)
