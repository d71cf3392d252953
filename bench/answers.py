"""What one read can cost: the worst documents the API accepts or refuses, on a stack holding
one user's 100 SUCCEEDED jobs of 64 images each (top 20 labels, inline images, as large as a
job's item gets), DynamoDB Local and moto as the stand-ins (issue 26).

Each document runs in a fresh process as the function (the real handler, HTTP API events),
after a warm-up request that loads the same code paths; printed per document: the outcome,
the wall time of the request (median of --runs), and the process's peak memory over what it
held before the request (goal: <= 64 MiB for every document, refused or accepted), then
the worst accepted read (goal: <= 1 s on a quiet machine) with its document.

The families, each at the limits the API enforces:
- long names: aliases at the name limit (64 characters) over the largest list, and one over
  it (the external finding sent 100,000);
- wide reads: aliases of a whole page of jobs with their results (the finding's 15), and the
  largest such read the store-read bound accepts;
- fragments: the same documents wrapped in inline and named fragments, with a leading
  __typename;
- long strings: the longest page the byte estimate accepts, each job's results whole.

    python bench/answers.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from job_harness import ROOT, png
from live import LocalStack

from devstack.http_server import CONTROL_HEADER

JOBS = 100
IMAGES = 64
TOP_K = 20
LONG = "A" * 64

CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    from monolambda.handler import handler

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024

    class Context:
        aws_request_id = "bench"
        def get_remaining_time_in_millis(self):
            return 29_000

    def event(query):
        return {
            "version": "2.0", "routeKey": "POST /graphql", "rawPath": "/graphql",
            "rawQueryString": "", "headers": {"content-type": "application/json"},
            "requestContext": {
                "http": {"method": "POST", "path": "/graphql", "sourceIp": "127.0.0.1"},
                "requestId": "bench", "stage": "$default",
                "authorizer": {"jwt": {"claims": {"sub": sys.argv[2]}}},
            },
            "body": json.dumps({"query": query}), "isBase64Encoded": False,
        }

    # The same code paths warmed: a page with its jobs' results (clients, models, caches).
    warm = handler(event("{ jobs(first: 2) { edges { node { id results(first: 1) { index } } } } }"), Context())
    assert '"errors"' not in warm["body"], warm["body"][:300]
    query = sys.argv[1]
    before = status("VmRSS")
    times = []
    for _ in range(int(sys.argv[3])):
        began = time.perf_counter()
        response = handler(event(query), Context())
        times.append(time.perf_counter() - began)
    peak = status("VmHWM")  # before this script reads the answer
    body = json.loads(response["body"])
    errors = body.get("errors") or []
    print(json.dumps({
        "seconds": sorted(times)[len(times) // 2],
        "over_idle_mib": peak - before,
        "bytes": len(response["body"]),
        "refused": errors[0]["message"][:90] if errors else None,
        "code": errors[0]["extensions"]["code"] if errors else None,
    }))
    """
)


def seed(stack: LocalStack, owner: str) -> None:
    """JOBS finished jobs of IMAGES images for the owner, written as the worker leaves them."""
    os.environ.update(stack.env)
    from monolambda.adapters.dynamo_job_items import JobRecord, owner_status  # noqa: PLC0415
    from monolambda.adapters.dynamo_tables import bind  # noqa: PLC0415
    from monolambda.domain.jobs import ItemResult, results_to_json  # noqa: PLC0415
    from monolambda.domain.models import RankedLabel  # noqa: PLC0415

    bind(JobRecord, stack.env["JOBS_TABLE"])
    rng = random.Random(26)  # noqa: S311 - scores, not secrets
    start = datetime.now(UTC) - timedelta(hours=1)
    with JobRecord.batch_write() as batch:
        for n in range(JOBS):
            created = start + timedelta(seconds=n)
            results = tuple(
                ItemResult(
                    i, tuple(RankedLabel(str(label), rng.random()) for label in range(TOP_K))
                )
                for i in range(IMAGES)
            )
            batch.save(
                JobRecord(
                    str(uuid.uuid4()),
                    owner=owner,
                    created_at=created,
                    owner_status=owner_status(owner, "SUCCEEDED"),
                    updated_at=created,
                    status="SUCCEEDED",
                    model="digits",
                    model_version="2",
                    total=IMAGES,
                    done=IMAGES,
                    attempts=1,
                    top_k=TOP_K,
                    correlation_id=str(uuid.uuid4()),
                    request_hash="0" * 64,
                    images=[png(n * IMAGES + i) for i in range(IMAGES)],
                    results=results_to_json(results),
                    started_at=created,
                    finished_at=created,
                    expires_at=created + timedelta(days=30),
                )
            )


def page(first: int, results: str, alias: str = "") -> str:
    head = f"{alias}: " if alias else ""
    return f"{head}jobs(first: {first}) {{ edges {{ node {{ id {results} }} }} }}"


def documents() -> dict[str, str]:
    """Each family's worst: refused ones past a limit, accepted ones at the limits (values
    80,000, reads 400, bytes 5 MiB; the parameters below are the largest each bound takes)."""
    labels = f"results(first: 30) {{ labels {{ {LONG}: score }} }}"
    two = "results(first: 2) { index labels { label score } }"
    wide = " ".join(page(100, two, f"a{n}") for n in range(15))
    # 201 reads (a page and each job whole) + 199 (a second page, each job whole): 400.
    widest = f"{page(100, two, 'a')} {page(99, 'results(first: 1) { index }', 'b')}"
    return {
        "long names: one alias over the limit (100,000 chars)": (
            f"{{ jobs(first: 100) {{ edges {{ node {{ results(first: 30) "
            f"{{ labels {{ {'A' * 100_000}: score }} }} }} }} }} }}"
        ),
        "long names: 64-char alias, 100 jobs x 30 results x 20 labels": (
            f"{{ {page(100, labels)} }}"
        ),
        "long names: the same within the byte bound (80 jobs)": f"{{ {page(80, labels)} }}",
        "wide reads: 15 aliases of a page with results (the finding)": f"{{ {wide} }}",
        "wide reads: two pages, every job read whole (400 reads)": f"{{ {widest} }}",
        "fragments: the finding in an inline fragment after __typename": (
            f"{{ __typename ... on Query {{ {wide} }} }}"
        ),
        "fragments: the 400 reads spread from a named fragment": (
            f"{{ ...F }} fragment F on Query {{ {widest} }}"
        ),
        "many values: a page with each job's results whole": (
            f"{{ {page(100, 'results { index labels { label score } }')} }}"
        ),
        "many values: a page with 18 results of each (75,900 values)": (
            f"{{ {page(100, 'results(first: 18) { index labels { label score } }')} }}"
        ),
    }


def run(stack: LocalStack, owner: str, query: str, runs: int) -> dict[str, Any]:
    env = {**os.environ, **stack.env, "POWERTOOLS_LOG_LEVEL": "CRITICAL"}
    env["PYTHONPATH"] = f"{ROOT / 'src'}"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, query, owner, str(runs)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- over the WebSocket API ---------------------------------------------------------------------
BIG_PAGE = (
    "{ jobs(first: 40) { edges { node { id results(first: 10) { index labels { label score } } "
    "} } } }"
)
BIG = "subscription { jobsUpdated { id status results(first: 64) { labels { label score } } } }"
SMALL = "subscription { jobsUpdated { id status } }"


def websocket(stack: LocalStack, owner: str) -> dict[str, Any]:
    """Issue 26's findings 3 and 4 as a client meets them (gql over graphql-transport-ws):
    the 40-job page over the socket, then `big` and `small` on one connection while two jobs
    finish, the first with labels far longer than declared (its update over 128 KiB)."""
    from monolambda.adapters.dynamo_jobs import DynamoJobStore  # noqa: PLC0415

    store = DynamoJobStore(stack.env["JOBS_TABLE"])

    async def run() -> dict[str, Any]:
        transport = WebsocketsTransport(
            url=stack.ws, init_payload={"Authorization": f"Bearer {stack.token}"}
        )
        async with Client(transport=transport) as opened:
            try:
                await opened.execute(gql(BIG_PAGE))
                page = "answered"
            except TransportQueryError as refused:
                page = str(refused.errors[0]["extensions"]["code"])  # type: ignore[index]
            alive = (await opened.execute(gql("{ me { sub } }")))["me"]["sub"] == owner
            small: list[str] = []
            big: list[str] = []

            async def follow(query: str, seen: list[str]) -> None:
                try:
                    async for result in opened.subscribe(gql(query)):
                        seen.append(result["jobsUpdated"]["status"])
                except TransportQueryError:
                    seen.append("error")

            tasks = [
                asyncio.create_task(follow(BIG, big)),
                asyncio.create_task(follow(SMALL, small)),
            ]
            await asyncio.sleep(1)  # both subscribe messages sent and stored
            for label in ("L" * 200, "cat"):
                await asyncio.to_thread(finish, store, owner, label)
            deadline = asyncio.get_running_loop().time() + 60
            while small.count("SUCCEEDED") < 2 and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)
            for task in tasks:
                task.cancel()
            return {"page": page, "alive": alive, "small": small, "big": big}

    return asyncio.run(run())


def finish(store: Any, owner: str, label: str) -> None:
    """A job of the owner's written RUNNING (no message is sent for it, so no worker takes
    it), then SUCCEEDED with 64 results of 20 labels each, through the store as the worker
    writes them."""
    from monolambda.adapters.dynamo_job_items import JobRecord, owner_status  # noqa: PLC0415
    from monolambda.domain.jobs import ItemResult, JobOutcome, JobStatus  # noqa: PLC0415
    from monolambda.domain.models import RankedLabel  # noqa: PLC0415

    now = datetime.now(UTC)
    job_id = str(uuid.uuid4())
    JobRecord(
        job_id,
        owner=owner,
        created_at=now,
        owner_status=owner_status(owner, "RUNNING"),
        updated_at=now,
        status="RUNNING",
        model="digits",
        model_version="2",
        total=IMAGES,
        top_k=TOP_K,
        correlation_id="bench",
        request_hash="0" * 64,
        lease_holder="bench",
        lease_until=now + timedelta(minutes=5),
        expires_at=now + timedelta(days=1),
    ).save()
    running = store.get(job_id)
    results = tuple(
        ItemResult(i, tuple(RankedLabel(label, 0.5) for _ in range(TOP_K))) for i in range(IMAGES)
    )
    outcome = JobOutcome(JobStatus.SUCCEEDED, IMAGES, results=results)
    if not store.finish(running, "bench", outcome, now):
        raise RuntimeError("the job did not finish")


def websocket_stats(stack: LocalStack, state: Path) -> dict[str, Any]:
    key = json.loads((state / "stack.json").read_text())["control_key"]
    request = urllib.request.Request(  # noqa: S310 - the local stack, 127.0.0.1
        f"{stack.api}/_devstack/websockets", headers={CONTROL_HEADER: key}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        stats: dict[str, Any] = json.loads(response.read())
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "stack"
        stack = LocalStack(state)
        try:
            owner = jwt.decode(stack.token, options={"verify_signature": False})["sub"]
            seed(stack, owner)
            rows = []
            for name, query in documents().items():
                figures = run(stack, owner, query, args.runs)
                rows.append((name, query, figures))
                outcome = f"refused {figures['code']}" if figures["refused"] else "answered"
                print(
                    f"{name:<66} {outcome:<26} {figures['seconds'] * 1000:8.0f} ms "
                    f"{figures['over_idle_mib']:6.1f} MiB {figures['bytes']:>10,} B",
                    flush=True,
                )
            live = websocket(stack, owner)
            stats = websocket_stats(stack, state)
        finally:
            stack.stop()
    accepted = [r for r in rows if not r[2]["refused"]]
    worst = max(accepted, key=lambda r: r[2]["seconds"])
    peak = max(rows, key=lambda r: r[2]["over_idle_mib"])
    print(
        f"\nworst accepted read: {worst[2]['seconds'] * 1000:.0f} ms (goal <= 1000 ms on a "
        f"quiet machine): {worst[0]}\n  {worst[1][:300]}"
    )
    print(
        f"largest memory over idle: {peak[2]['over_idle_mib']:.1f} MiB (goal <= 64 MiB): {peak[0]}"
    )
    print("\nover the WebSocket API (gql):")
    print(
        f"  the 40-job page: {live['page']} (goal BAD_USER_INPUT), connection kept: {live['alive']}"
    )
    print(f"  `small` saw {live['small']} (goal: both jobs to SUCCEEDED)")
    print(
        f"  `big` saw {live['big']} (goal: the first job RUNNING, then its error, and nothing more)"
    )
    print(
        f"  posts carried {stats['posts']}, the largest {stats['largestPostBytes']:,} bytes, "
        f"refused for their size {stats['refusedForSize']} (goal 0)"
    )
    ok = (
        worst[2]["seconds"] <= 1.0
        and peak[2]["over_idle_mib"] <= 64
        and live["page"] == "BAD_USER_INPUT"
        and live["alive"]
        and live["small"].count("SUCCEEDED") == 2
        and live["big"][-1:] == ["error"]
        and stats["refusedForSize"] == 0
        and stats["largestPostBytes"] <= 128 * 1024
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
