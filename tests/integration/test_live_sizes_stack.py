"""Issue 26, findings 3 and 4, on the local stack with gql (WebsocketsTransport) as a client
would meet them: the local WebSocket API refuses a post over 128 KiB as API Gateway does
(PayloadTooLargeException), and the function never sends one.

Finding 3: a query whose answer is over 128 KiB, sent over the socket, closed the connection
with an internal error. Finding 4: one subscription whose update was too large stopped every
later update on its connection."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from gql import gql
from gql.transport.exceptions import TransportQueryError

from monolambda.adapters.dynamo_jobs import DynamoJobStore
from monolambda.domain.jobs import ItemResult, Job, JobInputs, JobOutcome, JobStatus
from monolambda.domain.models import RankedLabel
from tests.integration.test_live_stack import TIMEOUT_S, session, token_for
from tests.support.in_process import Function

NAME = "sizes-user"
BIG_PAGE = (
    "{ jobs(first: 40) { edges { node { id results(first: 10) { index labels { label score } } "
    "} } } }"
)


def sub_of(token: str) -> str:
    sub: str = jwt.decode(token, options={"verify_signature": False})["sub"]
    return sub


def job_of(store: DynamoJobStore, owner: str, images: int) -> str:
    """A QUEUED job of the owner's, written by the store as submitJob writes it."""
    now = datetime.now(UTC)
    job_id = str(uuid.uuid4())
    job = Job(
        id=job_id,
        owner=owner,
        model="colours",
        version="1",
        status=JobStatus.QUEUED,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(days=1),
        total=images,
        top_k=20,
        correlation_id="sizes",
        request_hash="0" * 64,
        inputs=JobInputs(images=(b"x",)),
    )
    assert store.create(job) is None
    return job_id


def finish(store: DynamoJobStore, job_id: str, owner: str, label: str, images: int) -> None:
    """The job run to SUCCEEDED through the store, as the worker does."""
    now = datetime.now(UTC)
    running = store.start(job_id, owner, "holder", now, now + timedelta(minutes=5))
    assert running is not None
    results = tuple(
        ItemResult(i, tuple(RankedLabel(label, 0.5) for _ in range(20))) for i in range(images)
    )
    outcome = JobOutcome(JobStatus.SUCCEEDED, images, results=results)
    assert store.finish(running, "holder", outcome, now)


@pytest.fixture
def store(function: Function) -> DynamoJobStore:
    return DynamoJobStore(function.environment["JOBS_TABLE"])


def test_an_answer_over_the_socket_limit_is_a_coded_error_and_the_connection_stays(
    function: Function, store: DynamoJobStore
) -> None:
    token = token_for(function.stack, NAME)
    owner = sub_of(token)
    for _ in range(40):
        finish(store, job_of(store, owner, 10), owner, "cat", 10)

    async def run() -> tuple[Any, Any]:
        async with session(function.stack, token) as opened:
            with pytest.raises(TransportQueryError) as refused:
                await opened.execute(gql(BIG_PAGE))
            # The same connection answers the next operation.
            after = await opened.execute(gql("{ me { sub } }"))
            return refused.value.errors, after

    errors, after = asyncio.run(asyncio.wait_for(run(), TIMEOUT_S))
    (error,) = errors
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "bytes; at most 131,072" in error["message"]
    assert after == {"me": {"sub": owner}}


def test_a_subscription_too_large_for_an_update_ends_alone(
    function: Function, store: DynamoJobStore
) -> None:
    """`big` then `small` on one connection; the job finishes with labels far longer than
    declared, so `big`'s update would be over 128 KiB: `big` ends with an error, `small`
    sees the job to its end, and so does a later job."""
    token = token_for(function.stack, NAME)
    owner = sub_of(token)
    big = "subscription { jobsUpdated { id status results(first: 64) { labels { label score } } } }"
    small = "subscription { jobsUpdated { id status } }"
    label = "L" * 200
    function.start(worker=False)  # the stream: changes are published to the subscribers

    async def run() -> tuple[list[str], list[str], BaseException | None]:
        async with session(function.stack, token) as opened:
            seen: list[str] = []
            big_seen: list[str] = []
            big_error: list[BaseException] = []

            async def follow_big() -> None:
                try:
                    async for result in opened.subscribe(gql(big)):
                        big_seen.append(result["jobsUpdated"]["status"])
                except TransportQueryError as e:
                    big_error.append(e)

            async def follow_small() -> None:
                async for result in opened.subscribe(gql(small)):
                    seen.append(result["jobsUpdated"]["status"])
                    if seen.count("SUCCEEDED") == 2:
                        return

            tasks = [asyncio.create_task(follow_big()), asyncio.create_task(follow_small())]
            # Both stored before the first change: wait until the table holds them.
            await asyncio.to_thread(stored_subscriptions, function, 2)
            first = await asyncio.to_thread(job_of, store, owner, 64)
            await asyncio.to_thread(finish, store, first, owner, label, 64)
            await asyncio.to_thread(until_seen, seen, "SUCCEEDED")
            second = await asyncio.to_thread(job_of, store, owner, 1)
            await asyncio.to_thread(finish, store, second, owner, "cat", 1)
            await tasks[1]
            tasks[0].cancel()
            return seen, big_seen, big_error[0] if big_error else None

    seen, big_seen, big_error = asyncio.run(asyncio.wait_for(run(), TIMEOUT_S * 2))
    assert seen.count("SUCCEEDED") == 2  # small missed nothing, the second job included
    assert "SUCCEEDED" not in big_seen
    assert isinstance(big_error, TransportQueryError)
    assert "over 131,072 bytes" in str(big_error)


def stored_subscriptions(function: Function, count: int) -> None:
    from tests.support.waiting import eventually  # noqa: PLC0415

    table = function.stack.client("dynamodb")
    name = function.environment["CONNECTIONS_TABLE"]

    def enough() -> bool:
        items = table.scan(TableName=name, ConsistentRead=True)["Items"]
        return sum(1 for i in items if "topic" in i) >= count

    assert eventually(enough, TIMEOUT_S)


def until_seen(seen: list[str], status: str) -> None:
    from tests.support.waiting import eventually  # noqa: PLC0415

    assert eventually(lambda: status in seen, TIMEOUT_S)
