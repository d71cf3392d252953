"""Live updates on the local stack: how soon a subscriber hears that a job ended (against a
client polling job(id) once a second), and what one change costs the stream route as its
subscribers grow. The WebSocket and stream routes' cold starts are bench/startup.py's.

    python bench/live.py [--jobs 100]

Clients are Python's gql over graphql-transport-ws, at ws://.../graphql as users connect.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from gql import Client, GraphQLRequest  # noqa: E402
from gql.transport.websockets import WebsocketsTransport  # noqa: E402
from job_harness import CALLS, Context, b64, png  # noqa: E402

SUBMIT = "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }"
EVERY_JOB = "subscription { jobsUpdated { id status updatedAt } }"
POLL = "query($id: ID!) { job(id: $id) { status } }"
ONE_JOB = "subscription($id: ID!) { jobUpdated(id: $id) { id status progress { done total } } }"


class LocalStack:
    """`python -m devstack` on free ports, its output kept in its state directory."""

    def __init__(self, state_dir: Path, *extra: str) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.log = state_dir / "stack.log"
        self._log = self.log.open("w")
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "devstack", "--port", "0", "--dynamodb-port", "0"),
                *("--moto-port", "0", "--state-dir", str(state_dir), *extra),
            ],
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "POWERTOOLS_LOG_LEVEL": "WARNING"},
        )
        deadline = time.monotonic() + 120
        while "ready in" not in self.log.read_text():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the stack did not start:\n" + self.log.read_text()[-2000:])
            time.sleep(0.2)
        state = json.loads((state_dir / "stack.json").read_text())
        self.api, self.token = state["api"], state["token"]
        self.ws = self.api.replace("http://", "ws://", 1) + "/graphql"
        self.env: dict[str, str] = json.loads((state_dir / "function-env.json").read_text())[
            "MonolambdaFunction"
        ]

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the local stack, 127.0.0.1
            f"{self.api}/graphql",
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"content-type": "application/json", "authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            body: dict[str, Any] = json.loads(response.read())
        if "errors" in body:
            raise RuntimeError(body["errors"])
        return body["data"]

    def submit(self, seed: int) -> str:
        answer = self.graphql(SUBMIT, i={"images": [b64(png(seed))], "model": "digits"})
        job_id: str = answer["submitJob"]["job"]["id"]
        return job_id

    def stop(self) -> None:
        self.process.send_signal(2)
        self.process.wait(timeout=30)
        self._log.close()


@asynccontextmanager
async def session(stack: LocalStack) -> AsyncIterator[Any]:
    transport = WebsocketsTransport(
        url=stack.ws, init_payload={"Authorization": f"Bearer {stack.token}"}
    )
    async with Client(transport=transport) as opened:
        yield opened


# --- 1. how soon the end of a job is heard ------------------------------------------------------
def latency(stack: LocalStack, jobs: int) -> dict[str, float]:
    """One subscriber of every job (jobsUpdated); jobs submitted one after another, each
    waited for. Latency: its terminal write (updatedAt) to the message's arrival."""

    async def run() -> list[float]:
        heard: list[float] = []
        async with session(stack) as opened:
            updates = opened.subscribe(GraphQLRequest(EVERY_JOB))
            first = asyncio.ensure_future(anext(updates))
            await asyncio.sleep(0.5)  # the subscribe is stored (it answers nothing before)
            for n in range(jobs):
                job_id = await asyncio.to_thread(stack.submit, n)
                while True:
                    update = (await first)["jobsUpdated"]
                    arrived = time.time()
                    first = asyncio.ensure_future(anext(updates))
                    if update["id"] == job_id and update["status"] == "SUCCEEDED":
                        written = datetime.fromisoformat(update["updatedAt"]).timestamp()
                        heard.append(arrived - written)
                        break
            first.cancel()
        return heard

    heard = asyncio.run(run())
    asked = [stack.submit(10_000 + n) for n in range(20)]
    poll_ms = statistics.median(timed(stack.graphql, POLL, id=j) for j in asked)
    # A client polling once a second hears the end at its next poll (a uniform wait of 0-1 s
    # from the write) plus that poll's own time.
    phases = random.Random(0)  # noqa: S311 - a model, not a secret
    polled = sorted(phases.random() + poll_ms / 1000 for _ in heard)
    heard.sort()
    return {
        "push p50 ms": percentile(heard, 50) * 1000,
        "push p99 ms": percentile(heard, 99) * 1000,
        "poll 1/s p50 ms": percentile(polled, 50) * 1000,
        "poll 1/s p99 ms": percentile(polled, 99) * 1000,
        "job(id) request ms": poll_ms,
    }


def expect(holds: bool, what: object = "") -> None:
    if not holds:
        raise RuntimeError(f"unexpected: {what}")


def timed(call: Any, *args: Any, **kwargs: Any) -> float:
    began = time.perf_counter()
    call(*args, **kwargs)
    return (time.perf_counter() - began) * 1000


def percentile(values: list[float], p: int) -> float:
    return values[min(len(values) - 1, round(len(values) * p / 100 - 0.5))]


# --- 2. one change, 1 to 100 subscribers ------------------------------------------------------
def change_event(job_id: str, done: int) -> dict[str, Any]:
    """A progress change of a RUNNING job as the stream delivers it (the owner is the stack's
    dev user, whose subscriptions these are)."""
    return {
        "Records": [
            {
                "eventName": "MODIFY",
                "eventSource": "aws:dynamodb",
                "dynamodb": {
                    "SequenceNumber": str(done),
                    "OldImage": job_image(job_id, done - 1),
                    "NewImage": job_image(job_id, done),
                },
            }
        ]
    }


def job_image(job_id: str, done: int) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")  # as PynamoDB writes it
    return {
        "id": {"S": job_id},
        "owner": {"S": OWNER_SUB},
        "owner_status": {"S": f"{OWNER_SUB}#RUNNING"},
        "status": {"S": "RUNNING"},
        "model": {"S": "digits"},
        "model_version": {"S": "2"},
        "total": {"N": "1000"},
        "done": {"N": str(done)},
        "attempts": {"N": "1"},
        "top_k": {"N": "3"},
        "correlation_id": {"S": "bench"},
        "request_hash": {"S": "bench"},
        "created_at": {"S": now},
        "updated_at": {"S": now},
        "expires_at": {"N": str(int(time.time()) + 86400)},
    }


OWNER_SUB = ""  # the dev user's sub, learned from the stack


def fan_out(
    stack: LocalStack, counts: tuple[int, ...], repeats: int
) -> dict[int, dict[str, float]]:
    os.environ.update({**stack.env, "POWERTOOLS_LOG_LEVEL": "WARNING"})
    CALLS.install()
    from monolambda.handler import handler  # noqa: PLC0415

    return {count: one_change(stack, handler, count, repeats) for count in counts}


SUBSCRIBERS = textwrap.dedent(
    """
    import asyncio, sys
    from contextlib import AsyncExitStack
    from gql import Client, GraphQLRequest
    from gql.transport.websockets import WebsocketsTransport

    url, token, job_id, count, query = sys.argv[1:6]

    async def main():
        async with AsyncExitStack() as opened:
            sessions = [
                await opened.enter_async_context(Client(transport=WebsocketsTransport(
                    url=url, init_payload={"Authorization": f"Bearer {token}"})))
                for _ in range(int(count))
            ]
            streams = [s.subscribe(GraphQLRequest(query, variable_values={"id": job_id}))
                       for s in sessions]
            await asyncio.gather(*(anext(s) for s in streams))  # each shown QUEUED
            print("ready", flush=True)

            async def drain(stream):
                async for _ in stream:
                    print("got", flush=True)

            await asyncio.gather(*(drain(s) for s in streams))

    asyncio.run(main())
    """
)


class Subscribers:
    """`count` gql clients subscribed to one job, in a process of their own (so that their
    event loop takes no time from the route being measured)."""

    def __init__(self, stack: LocalStack, job_id: str, count: int) -> None:
        self.received = 0
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SUBSCRIBERS, stack.ws, stack.token, job_id, str(count), ONE_JOB],
            stdout=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(120):
            raise RuntimeError(f"{count} subscribers did not start")

    def _read(self) -> None:
        for line in self.process.stdout or ():
            if line.strip() == "ready":
                self._ready.set()
            elif line.strip() == "got":
                self.received += 1

    def close(self) -> None:
        self.process.kill()
        self.process.wait(30)
        if self.process.stdout is not None:
            self.process.stdout.close()


def one_change(stack: LocalStack, handler: Any, count: int, repeats: int) -> dict[str, float]:
    job_id = stack.submit(count)
    subscribers = Subscribers(stack, job_id, count)
    times = []
    first = subscribers.received
    CALLS.take("outbox")
    for done in range(1, repeats + 1):
        expected = subscribers.received + count
        with CALLS.route("outbox"):
            began = time.perf_counter()
            answer = handler(change_event(job_id, done), Context())
            times.append((time.perf_counter() - began) * 1000)
        expect(answer == {"batchItemFailures": []}, answer)
        deadline = time.monotonic() + 30
        while subscribers.received < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        expect(subscribers.received >= expected, f"{count} subscribers: messages lost")
    calls = CALLS.take("outbox")
    subscribers.close()
    return {
        "ms per change": statistics.median(times[1:] or times),
        "Query per change": calls["dynamodb.Query"] / repeats,
        "DynamoDB calls": sum(v for k, v in calls.items() if k.startswith("dynamodb")) / repeats,
        "posts per change": (subscribers.received - first) / repeats,
    }


def main() -> None:
    global OWNER_SUB  # noqa: PLW0603 - learned once from the stack
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=100, help="jobs whose end is timed")
    parser.add_argument("--repeats", type=int, default=11, help="changes per subscriber count")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        busy = LocalStack(Path(tmp) / "busy")  # event sources on: jobs run as under make dev
        try:
            heard = latency(busy, args.jobs)
        finally:
            busy.stop()
        idle = LocalStack(Path(tmp) / "idle", "--no-event-sources")  # jobs stay QUEUED
        try:
            OWNER_SUB = idle.graphql("{ me { sub } }")["me"]["sub"]
            spread = fan_out(idle, (1, 10, 100), args.repeats)
        finally:
            idle.stop()

    print(
        f"1. a job's end, heard by a subscriber ({args.jobs} jobs, local stack, make dev's event sources)"
    )
    for name, value in heard.items():
        print(f"   {name:<22} {value:8.1f}")
    print("   (poll: a client asking job(id) once a second hears it at its next poll, a uniform")
    print("   0-1 s after the write, plus the request's own time, measured here)")
    print()
    print(
        "2. one change of a job, by its number of subscribers (the stream route, in this process)"
    )
    print(f"   {'subscribers':>11} {'ms':>8} {'Query':>6} {'DynamoDB':>9} {'posts':>6}")
    for count, row in spread.items():
        print(
            f"   {count:>11} {row['ms per change']:8.1f} {row['Query per change']:6.1f}"
            f" {row['DynamoDB calls']:9.1f} {row['posts per change']:6.1f}"
        )
    print()


if __name__ == "__main__":
    main()
