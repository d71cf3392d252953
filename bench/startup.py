"""Cold start and warm latency of our handler against a bare Strawberry+Mangum hello world.

    python bench/startup.py [--runs 11] [--requests 3000]

Both handlers run in fresh interpreters from the same venv, interleaved, so machine noise
hits both alike; the table reports medians and ratios (ours / baseline). Absolute figures
drift between machines; the ratios are the result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BASELINE = textwrap.dedent(
    """
    import strawberry
    from mangum import Mangum
    from strawberry.asgi import GraphQL


    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self) -> str:
            return "world"


    handler = Mangum(GraphQL(strawberry.Schema(query=Query)), lifespan="off")
    """
)

# The same hello world with Strawberry's opt-in parse and validation caches: the best a
# Strawberry+Mangum user gets by configuration alone.
BASELINE_CACHED = BASELINE.replace(
    "strawberry.Schema(query=Query)",
    "strawberry.Schema(query=Query, extensions=[ParserCache, ValidationCache])",
).replace(
    "import strawberry\n",
    "import strawberry\nfrom strawberry.extensions import ParserCache, ValidationCache\n",
)

# Runs in the child: imports the handler, answers one request, reports timings as JSON.
CHILD = textwrap.dedent(
    """
    import json, sys, time
    started = time.perf_counter()
    module, attribute, query, requests = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    event = json.loads(sys.argv[5])
    event["body"] = json.dumps({"query": query})

    class Context:
        aws_request_id = "bench"
        function_name = "bench"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
        def get_remaining_time_in_millis(self): return 29000

    context = Context()
    handler = getattr(__import__(module, fromlist=[attribute]), attribute)
    first = handler(event, context)
    assert first["statusCode"] == 200 and '"errors"' not in first["body"], first
    cold_ms = (time.perf_counter() - started) * 1000
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    samples = []
    for _ in range(requests):
        t = time.perf_counter_ns()
        handler(event, context)
        samples.append(time.perf_counter_ns() - t)
    samples.sort()
    import resource
    print(json.dumps({
        "cold_in_process_ms": cold_ms,
        "p50_us": samples[len(samples) // 2] / 1000,
        "p99_us": samples[int(len(samples) * 0.99)] / 1000,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    """
)

EVENT = {
    "version": "2.0",
    "routeKey": "POST /graphql",
    "rawPath": "/graphql",
    "rawQueryString": "",
    "headers": {"content-type": "application/json", "host": "api.example.com"},
    "requestContext": {
        "http": {
            "method": "POST",
            "path": "/graphql",
            "protocol": "HTTP/1.1",
            "sourceIp": "1.2.3.4",
        },
        "requestId": "bench",
        "stage": "$default",
    },
    "isBase64Encoded": False,
}

CASES = {
    "baseline hello": ("bench_baseline", "handler", "{ hello }"),
    "cached hello": ("bench_baseline_cached", "handler", "{ hello }"),
    "ours health": ("monolambda.handler", "handler", "{ health { status } }"),
    "ours version": ("monolambda.handler", "handler", "{ version { version } }"),
}


def run_once(case: str, requests: int, workdir: Path) -> dict[str, float]:
    module, attribute, query = CASES[case]
    env = {
        **os.environ,
        "APP_ENV": "prod",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(workdir)]),
        "PYTHONDONTWRITEBYTECODE": "1",  # never time a run that is busy writing .pyc files
    }
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, module, attribute, query, str(requests), json.dumps(EVENT)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    if child.stdout is None:
        raise RuntimeError("no pipe to the child")
    ready = child.stdout.readline()
    cold_ms = (time.perf_counter() - started) * 1000
    if ready.strip() != "ready":
        raise RuntimeError(f"{case}: the child did not answer: {ready!r}")
    result: dict[str, float] = json.loads(child.stdout.readline())
    child.wait(timeout=120)
    result["cold_ms"] = cold_ms
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11, help="fresh interpreters per case (odd)")
    parser.add_argument("--requests", type=int, default=3000, help="warm requests per run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bench_baseline.py").write_text(BASELINE)
        (workdir / "bench_baseline_cached.py").write_text(BASELINE_CACHED)
        # Bytecode for both, as the deploy build ships it (scripts/compile_artifact.py).
        for path in (workdir, ROOT / "src"):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(path)], check=True)
        results: dict[str, list[dict[str, float]]] = {case: [] for case in CASES}
        for case in CASES:  # one unmeasured run each, so the OS file cache is warm for all
            run_once(case, 10, workdir)
        for _ in range(args.runs):
            for case in CASES:
                results[case].append(run_once(case, args.requests, workdir))

    def median(case: str, key: str) -> float:
        return statistics.median(r[key] for r in results[case])

    base = "baseline hello"
    python = sys.version.split()[0]
    print(f"python {python}, {args.runs} interleaved runs, {args.requests} warm requests each")
    print()
    columns = ("cold ms", "x base", "p50 us", "x base", "p99 us", "p99/p50", "RSS MiB")
    header = f"{'case':<16} " + " ".join(f"{c:>8}" for c in columns)
    print(header)
    print("-" * len(header))
    for case in CASES:
        cold, p50, p99 = median(case, "cold_ms"), median(case, "p50_us"), median(case, "p99_us")
        cells = (
            f"{cold:.1f}",
            f"{cold / median(base, 'cold_ms'):.2f}",
            f"{p50:.1f}",
            f"{p50 / median(base, 'p50_us'):.2f}",
            f"{p99:.1f}",
            f"{p99 / p50:.2f}",
            f"{median(case, 'rss_mib'):.1f}",
        )
        print(f"{case:<16} " + " ".join(f"{c:>8}" for c in cells))
    print()
    print(
        "cold = process start to first response, median; p50/p99 = per request through the handler"
    )
    print("baseline = bare Strawberry+Mangum hello world, default settings; cached = with")
    print("ParserCache and ValidationCache; ours run with APP_ENV=prod")


if __name__ == "__main__":
    main()
