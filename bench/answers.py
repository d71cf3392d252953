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
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from job_harness import OWNER, ROOT, Stack, png
from local_stack import stop

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
    body = json.loads(response["body"])
    errors = body.get("errors") or []
    print(json.dumps({
        "seconds": sorted(times)[len(times) // 2],
        "over_idle_mib": status("VmHWM") - before,
        "bytes": len(response["body"]),
        "refused": errors[0]["message"][:90] if errors else None,
        "code": errors[0]["extensions"]["code"] if errors else None,
    }))
    """
)


def seed(stack: Stack) -> None:
    """JOBS finished jobs of IMAGES images for OWNER, written as the worker leaves them."""
    os.environ.update(stack.env)
    from monolambda.adapters.dynamo_jobs import JobRecord, bind, owner_status  # noqa: PLC0415
    from monolambda.domain.jobs import ItemResult, results_to_json  # noqa: PLC0415
    from monolambda.domain.models import RankedLabel  # noqa: PLC0415

    bind(stack.env["JOBS_TABLE"])
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
                    owner=OWNER,
                    created_at=created,
                    owner_status=owner_status(OWNER, "SUCCEEDED"),
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
    labels = f"results(first: 30) {{ labels {{ {LONG}: score }} }}"
    whole = "results { index labels { label score } }"
    two = "results(first: 2) { index labels { label score } }"
    wide = " ".join(page(100, two, f"a{n}") for n in range(15))
    widest_accepted = " ".join(page(100, two, f"a{n}") for n in range(4))
    return {
        "long names: one alias over the limit (100,000 chars)": (
            f"{{ jobs(first: 100) {{ edges {{ node {{ results(first: 30) "
            f"{{ labels {{ {'A' * 100_000}: score }} }} }} }} }} }}"
        ),
        "long names: 64-char alias over 100 jobs x 30 results x 20 labels": (
            f"{{ {page(100, labels)} }}"
        ),
        "long names: the same within the byte estimate (jobs(first: 80))": (
            f"{{ {page(80, labels)} }}"
        ),
        "wide reads: 15 aliases of a page with results (the finding)": f"{{ {wide} }}",
        "wide reads: the most the store-read bound accepts": f"{{ {widest_accepted} }}",
        "fragments: the finding in an inline fragment after __typename": (
            f"{{ __typename ... on Query {{ {wide} }} }}"
        ),
        "fragments: the widest accepted read, spread from a named fragment": (
            f"{{ ...F }} fragment F on Query {{ {widest_accepted} }}"
        ),
        "long strings: a page with each job's results whole": f"{{ {page(100, whole)} }}",
        "long strings: the longest accepted page of whole results": f"{{ {page(20, whole)} }}",
    }


def run(stack: Stack, query: str, runs: int) -> dict[str, Any]:
    env = {**os.environ, **stack.env, "POWERTOOLS_LOG_LEVEL": "CRITICAL"}
    env["PYTHONPATH"] = f"{ROOT / 'src'}"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, query, OWNER, str(runs)],
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        stack = Stack(Path(state))
        try:
            seed(stack)
            rows = []
            for name, query in documents().items():
                figures = run(stack, query, args.runs)
                rows.append((name, query, figures))
                outcome = f"refused {figures['code']}" if figures["refused"] else "answered"
                print(
                    f"{name:<66} {outcome:<26} {figures['seconds'] * 1000:8.0f} ms "
                    f"{figures['over_idle_mib']:6.1f} MiB {figures['bytes']:>10,} B",
                    flush=True,
                )
        finally:
            stop(stack.process)
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
    ok = worst[2]["seconds"] <= 1.0 and peak[2]["over_idle_mib"] <= 64
    print(f"median of all: {statistics.median(r[2]['seconds'] for r in rows) * 1000:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
