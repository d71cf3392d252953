"""Cold start and warm latency of our handler against a bare Strawberry+Mangum hello world,
and the cold start of every other route against `{ health }`.

    python bench/startup.py [--runs 11] [--requests 3000] [--no-instructions] [--no-live]

Both handlers run in fresh interpreters from the same venv, interleaved, so machine noise
hits both alike; the table reports medians and ratios (ours / baseline). Absolute figures
drift between machines; the ratios are the result.

By instructions (valgrind's callgrind), each case's warm request (the same case run with two
numbers of requests: the difference over theirs). Then, by instructions to the first
response, each route against
`{ health }`: the WebSocket API's events and the jobs table's stream with and without a
subscriber, against a local stack started here (bench/route_events.py), and what a
container restored from a SnapStart snapshot still pays on each. Every process of ours runs
with awscrt and pyOpenSSL unimportable, as in Lambda's runtime (botocore and urllib3 load
them when they are installed, as in this venv), and with the precompiled code the deploy
build ships (scripts/precompile.py, made here the same way; "not precompiled" without it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import route_events  # noqa: E402

from scripts import slim_sdk  # noqa: E402

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

# The hello with the same compiled copy of what Python generates as ours (monolambda.precompiled,
# recorded for the hello by RECORD_HELLO in `precompile`): what the hello would gain from our
# build.
BASELINE_PRECOMPILED = textwrap.dedent(
    """
    from monolambda import precompiled
    precompiled.load()
    from bench_baseline import handler
    """
)

# Runs in the child: imports the handler, answers one request, reports timings as JSON.
CHILD = route_events.without_crt() + textwrap.dedent(
    """
    import json, os, sys, time
    started = time.perf_counter()
    # The function's own lines (its EMF metrics) go where Lambda's stdout would, not into
    # this protocol: "ready", then the figures.
    report = os.fdopen(os.dup(1), "w")
    sys.stdout = open(os.devnull, "w")
    module, attribute, query, requests = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    event = json.loads(sys.argv[5])
    if query:
        event["body"] = json.dumps({"query": query})

    class Context:
        aws_request_id = "bench"
        function_name = "bench"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
        def get_remaining_time_in_millis(self): return 29000

    context = Context()
    handler = getattr(__import__(module, fromlist=[attribute]), attribute)
    snapshot = os.environ.get("BENCH_SNAPSHOT")
    if snapshot:
        # SnapStart: what Lambda runs before its snapshot, then (restored) after it.
        from monolambda import snapstart
        snapstart.before_snapshot()
        if snapshot == "taken":
            report.write("ready\\n"); report.flush()
            os._exit(0)
        snapstart.after_restore()
    first = handler(event, context)
    if "Records" in event:
        assert "batchItemFailures" in first, first
    else:  # an HTTP request, or a WebSocket event (whose answers go through the sink)
        assert first["statusCode"] == 200 and '"errors"' not in first.get("body", ""), first
    if requests == 0:
        # Counted to the first response: a Lambda cold start never pays for the exit, which
        # costs the hello (a final collection) more than ours (gc.freeze spares it).
        report.write("ready\\n"); report.flush()
        os._exit(0)
    heavy = [m for m in ("strawberry", "starlette", "mangum", "boto3", "numpy") if m in sys.modules]
    cold_ms = (time.perf_counter() - started) * 1000
    cold_cpu_ms = time.process_time() * 1000  # CPU since the process began: no steal, no waits
    report.write("ready\\n"); report.flush()
    samples = []
    for _ in range(requests):
        t = time.perf_counter_ns()
        handler(event, context)
        samples.append(time.perf_counter_ns() - t)
    samples.sort()
    import resource
    report.write(json.dumps({
        "cold_in_process_ms": cold_ms,
        "cold_cpu_ms": cold_cpu_ms,
        "p50_us": samples[len(samples) // 2] / 1000,
        "p99_us": samples[int(len(samples) * 0.99)] / 1000,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "heavy": heavy,
    }) + "\\n")
    report.flush()
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

# An SQS batch of ten messages, as Lambda's event source mapping delivers it. They are not
# job messages (no owner, no job id), so the route is built (PynamoDB's table model, the
# batch processor) and answers each message alone without calling AWS: the route's own cold
# start, without a job's run.
SQS_EVENT = {
    "Records": [
        {
            "messageId": f"m-{n}",
            "receiptHandle": f"r-{n}",
            "body": json.dumps({"jobId": f"j-{n}"}),
            "attributes": {"ApproximateReceiveCount": "1"},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs",
            "awsRegion": "us-east-1",
        }
        for n in range(10)
    ]
}

CASES = {
    "baseline hello": ("bench_baseline", "handler", "{ hello }"),
    "cached hello": ("bench_baseline_cached", "handler", "{ hello }"),
    "hello, precompiled": ("bench_baseline_precompiled", "handler", "{ hello }"),
    "ours health": ("monolambda.handler", "handler", "{ health { status } }"),
    "ours health, not precompiled": ("monolambda.handler", "handler", "{ health { status } }"),
    "ours health, no metrics": ("monolambda.handler", "handler", "{ health { status } }"),
    "ours health, traced": ("monolambda.handler", "handler", "{ health { status } }"),
    "ours version": ("monolambda.handler", "handler", "{ version { version } }"),
    "ours SQS route": ("monolambda.handler", "handler", None),
}
# Observability against none: ours writes its EMF metrics by default; "no metrics" turns them
# off, "traced" adds X-Ray subsegments for a sampled invocation (to a UDP port on 127.0.0.1
# that nothing reads: the function's cost is the same).
CASE_ENV = {
    "hello, precompiled": {"MONOLAMBDA_PRECOMPILED": "{workdir}/hello-precompiled.bin"},
    "ours health, not precompiled": {"MONOLAMBDA_PRECOMPILED": "off"},
    "ours health, no metrics": {"POWERTOOLS_METRICS_DISABLED": "true"},
    "ours health, traced": {
        "TRACING": "Active",
        "_X_AMZN_TRACE_ID": "Root=1-67a0c3b1-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;"
        "Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    },
}


# Before a snapshot every route is built, the WebSocket route's too: its settings (names only).
LIVE_ENV = {
    "CONNECTIONS_TABLE": "connections",
    "WEBSOCKET_MANAGEMENT_URL": "http://127.0.0.1:9/live",
    "JWT_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench",
    "JWT_AUDIENCE": "bench-client",
}
# SnapStart (instructions only): a process that builds every route as the before-snapshot hook
# does and stops ("taken"), against one that then runs the after-restore hook and answers
# ("restored"): the difference is what a container restored from the snapshot still pays
# for its first answer on that route.
SNAPSHOT_CASES = {
    "health, snapshot taken": ("ours health", "taken"),
    "health, restored": ("ours health", "restored"),
    "SQS route, snapshot taken": ("ours SQS route", "taken"),
    "SQS route, restored": ("ours SQS route", "restored"),
}


RECORD_HELLO = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from monolambda import precompiled
    precompiled.record()
    from bench_baseline import handler
    class Context:
        aws_request_id = "bench"
    event = json.loads(sys.argv[1])
    event["body"] = json.dumps({"query": "{ hello }"})
    assert handler(event, Context())["statusCode"] == 200
    precompiled.save(Path(sys.argv[2]))
    """
)


def ship_sdk(workdir: Path) -> None:
    """botocore as the deploy build ships it (scripts/slim_sdk.py: the data of the services
    the function calls alone), in `workdir`, which is on ours' path before the venv's (the
    hello imports no botocore). No folder of its own: each entry on the path costs every
    import a look, and the artifact has one."""
    import botocore  # noqa: PLC0415

    slim_sdk.copy(Path(botocore.__file__).parent, workdir / "botocore")


def precompile(workdir: Path) -> None:
    """What the deploy build ships (scripts/precompile.py), and the same made for the hello."""
    script = ROOT / "scripts" / "precompile.py"
    subprocess.run([sys.executable, str(script), str(workdir / "precompiled.bin")], check=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(workdir)])}
    out = str(workdir / "hello-precompiled.bin")
    subprocess.run(
        [sys.executable, "-c", RECORD_HELLO, json.dumps(EVENT), out], check=True, env=env
    )


def run_once(
    case: str,
    requests: int,
    workdir: Path,
    wrapper: list[str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    module, attribute, query = CASES[case]
    env = {
        **os.environ,
        "APP_ENV": "prod",
        # The worker logs each malformed message (an ERROR); its logger is still built, and
        # stdout stays the child's channel to this process.
        "POWERTOOLS_LOG_LEVEL": "CRITICAL",
        # The worker's settings (names only: no AWS call is made for these messages).
        "JOBS_TABLE": "jobs",
        "JOBS_QUEUE_URL": "http://127.0.0.1:9/123456789012/jobs.fifo",
        "MODELS_BUCKET": "data",
        "MODEL_PARAMETER_PREFIX": "/stack/models",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(workdir)]),
        "PYTHONDONTWRITEBYTECODE": "1",  # never time a run that is busy writing .pyc files
        "PYTHONHASHSEED": "0",  # the same hashing every run: instruction counts repeat
        # As the deploy build ships it (scripts/precompile.py, made in `main`).
        "MONOLAMBDA_PRECOMPILED": str(workdir / "precompiled.bin"),
        **{name: value.format(workdir=workdir) for name, value in CASE_ENV.get(case, {}).items()},
        **(extra_env or {}),
    }
    event = EVENT if query is not None else SQS_EVENT
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            *(wrapper or []),
            sys.executable,
            "-c",
            CHILD,
            module,
            attribute,
            query or "",
            str(requests),
            json.dumps(event),
        ],
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
    if requests == 0:  # it ended at its first response (count_instructions)
        child.wait(timeout=120)
        return {"cold_ms": cold_ms}
    result: dict[str, Any] = json.loads(child.stdout.readline())
    child.wait(timeout=120)
    result["cold_ms"] = cold_ms
    return result


def count_instructions(workdir: Path) -> dict[str, int]:
    """Instructions each case's process executes (one request), counted by callgrind: wall
    and CPU times of a cold start vary by 10-20 % between runs here; this does not."""
    if shutil.which("valgrind") is None:
        print("valgrind not found: no instruction counts (apt-get install valgrind)")
        return {}
    counts = {case: callgrind(case, case, workdir) for case in CASES}
    for name, (case, snapshot) in SNAPSHOT_CASES.items():
        counts[name] = callgrind(name, case, workdir, {"BENCH_SNAPSHOT": snapshot, **LIVE_ENV})
    return counts


# A warm request by instructions: each case run twice under callgrind, with these numbers of
# requests after its first; the difference over theirs is one request's (start-up and exit
# cancel out). The clock's p50 also pays for what instructions do not show: cache misses,
# the kernel's side of a system call.
WARM_REQUESTS = (50, 250)
WARM_CASES = ("baseline hello", "cached hello", "ours health", "ours version")


def warm_instructions(workdir: Path) -> dict[str, float]:
    per_request = {}
    for case in WARM_CASES:
        counts = []
        for requests in WARM_REQUESTS:
            wrapper, log = callgrind_wrapper(f"{case} warm {requests}", workdir)
            run_once(case, requests, workdir, wrapper)
            counts.append(collected(case, log))
        per_request[case] = (counts[1] - counts[0]) / (WARM_REQUESTS[1] - WARM_REQUESTS[0])
    return per_request


def print_warm_instructions(per_request: dict[str, float], base: str) -> None:
    print()
    print("instructions per warm request (callgrind: the same on a busy machine)")
    for case, count in per_request.items():
        print(f"{case:<30} {count / 1e6:9.3f} M   {count / per_request[base]:.3f}x base")


def callgrind_wrapper(name: str, workdir: Path) -> tuple[list[str], Path]:
    log = workdir / f"callgrind-{re.sub(r'[^a-zA-Z]+', '-', name)}.log"
    wrapper = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={workdir}/callgrind.out.%p",
        f"--log-file={log}",
    ]
    return wrapper, log


def collected(name: str, log: Path) -> int:
    found = re.search(r"Collected : (\d+)", log.read_text())
    if found is None:
        raise RuntimeError(f"{name}: no count in {log}")
    return int(found.group(1))


def callgrind(name: str, case: str, workdir: Path, extra_env: dict[str, str] | None = None) -> int:
    wrapper, log = callgrind_wrapper(name, workdir)
    run_once(case, 0, workdir, wrapper, extra_env)
    return collected(name, log)


# --- every route against { health }, on a local stack ---------------------------------------
# Each case: the events that set it up (run first, each in a process of its own, unmeasured),
# the event measured, and the messages the function must have posted to the case's
# connection by then (a WebSocket event is answered 200 whatever it did).
LiveCase = tuple[list[Any], Any, str | None, list[str] | None]


def live_cases(stack: route_events.LiveStack) -> dict[str, Callable[[], LiveCase]]:
    ws, new = stack.websocket, route_events.new_connection

    def health() -> LiveCase:
        return [], {**EVENT, "body": json.dumps({"query": "{ health { status } }"})}, None, None

    def connect() -> LiveCase:
        return [], ws("CONNECT", new()), None, None

    def init() -> LiveCase:
        c = new()
        return [], stack.init(c), c, ["connection_ack"]

    def ping() -> LiveCase:
        c = new()
        return [stack.init(c)], ws("MESSAGE", c, {"type": "ping"}), c, ["connection_ack", "pong"]

    def subscribe() -> LiveCase:
        c = new()
        return [stack.init(c)], stack.subscribe(c), c, ["connection_ack"]

    def complete() -> LiveCase:
        c = new()
        event = ws("MESSAGE", c, {"id": "s1", "type": "complete"})
        return [stack.init(c), stack.subscribe(c)], event, c, ["connection_ack"]

    def disconnect() -> LiveCase:
        c = new()
        return [stack.init(c), stack.subscribe(c)], ws("DISCONNECT", c), c, ["connection_ack"]

    def stream_none() -> LiveCase:
        return [], stack.finished_job("bench-nobody"), None, None

    def stream_one() -> LiveCase:
        expected = [*route_events.posted(stack.subscriber), "next"]  # one more, this change's
        return [], stack.finished_job(stack.watcher), stack.subscriber, expected

    return {
        "{ health }": health,
        "$connect": connect,
        "connection_init": init,
        "ping": ping,
        "subscribe": subscribe,
        "complete": complete,
        "$disconnect": disconnect,
        "stream, no subscriber": stream_none,
        "stream, one subscriber": stream_one,
    }


# The goals (issue 30), x { health }, by instructions.
LIVE_GOALS = {"connection_init": 1.3, "subscribe": 1.5, "stream, one subscriber": 1.5}


def live_instructions(workdir: Path, only: set[str] | None = None) -> dict[str, dict[str, int]]:
    """Per route: its cold start, and (SnapStart) its snapshot taken and restored."""
    base = {
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(workdir)]),
        "MONOLAMBDA_PRECOMPILED": str(workdir / "precompiled.bin"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    counts: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp, route_events.live_stack(Path(tmp)) as stack:
        env = route_events.environment(stack, base)
        stack.prepare(lambda event: route_events.run_plain(event, env))
        for name, case in live_cases(stack).items():
            if only is not None and name not in only:
                continue
            counts[name] = {}
            for kind, snapshot in (("cold", None), ("taken", "taken"), ("restored", "restored")):
                setup, event, connection, expected = case()
                for step in setup:
                    route_events.run_plain(step, env)
                wrapper, log = callgrind_wrapper(f"{name} {kind}", workdir)
                extra = {"BENCH_SNAPSHOT": snapshot} if snapshot else {}
                child = [*wrapper, sys.executable, "-c", CHILD, "monolambda.handler", "handler"]
                child += ["", "0", json.dumps(event)]
                out = subprocess.run(
                    child, check=False, env={**env, **extra}, capture_output=True, text=True
                )
                if out.returncode != 0 or not out.stdout.startswith("ready"):
                    raise RuntimeError(f"{name} ({kind}): {out.stderr[-2000:]}")
                if connection is not None and kind != "taken":
                    got = route_events.posted(connection)
                    if expected is not None and got[: len(expected)] != expected:
                        raise RuntimeError(f"{name} ({kind}): posted {got}, not {expected}")
                counts[name][kind] = collected(name, log)
    return counts


def print_live(counts: dict[str, dict[str, int]]) -> None:
    health = counts["{ health }"]["cold"]
    print()
    print("every route's cold start against { health }, by instructions to its first response")
    print("(a local stack: DynamoDB Local, moto, a sink for the management API), and what a")
    print("container restored from a SnapStart snapshot still pays on it")
    print(f"{'route':<24} {'cold':>9} {'x health':>9} {'goal':>6} {'restored':>10} {'snapshot':>9}")
    for name, count in counts.items():
        goal = LIVE_GOALS.get(name)
        restored = count["restored"] - count["taken"]
        print(
            f"{name:<24} {count['cold'] / 1e6:8.1f}M {count['cold'] / health:8.3f}x"
            f" {'' if goal is None else f'{goal:.1f}x':>6} {restored / 1e6:+9.1f}M"
            f" {count['taken'] / 1e6:8.1f}M"
        )
    print("(restored: the after-restore hook and the first answer, over the snapshot's own")
    print("start; snapshot: the process that built every route before its snapshot)")


def print_instructions(instructions: dict[str, int], base: str) -> None:
    print()
    base_count = instructions[base]
    print("instructions executed by a process from its start to its first response")
    print("(valgrind's callgrind: the same count on a busy machine as on an idle one)")
    for case, count in instructions.items():
        if case not in SNAPSHOT_CASES:
            print(f"{case:<30} {count / 1e6:9.1f} M   {count / base_count:.3f}x base")
    if "hello, precompiled" in instructions:
        ours, hello = instructions["ours health"], instructions["hello, precompiled"]
        print(f"ours {{ health }} / the hello given the same precompiled code: {ours / hello:.3f}x")
    print()
    print("SnapStart: what a container restored from the snapshot still pays to its first")
    print("response (the after-restore hook, then the request), against the same cold start")
    for route, cold_case in (("health", "ours health"), ("SQS route", "ours SQS route")):
        taken = instructions[f"{route}, snapshot taken"]
        restored = instructions[f"{route}, restored"] - taken
        cold = instructions[cold_case]
        print(
            f"{route:<24} {restored / 1e6:+9.1f} M   {restored / cold:.3f}x its cold start"
            f" ({cold / 1e6:.1f} M; the snapshot's own start: {taken / 1e6:.1f} M)"
        )
    print("(two processes of two thousand million or more: their difference moves by a few tens")
    print("of millions between runs; the restore itself, Lambda resuming the snapshot and")
    print("faulting its pages in, is not counted here)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11, help="fresh interpreters per case (odd)")
    parser.add_argument("--requests", type=int, default=3000, help="warm requests per run")
    parser.add_argument(
        "--no-instructions",
        action="store_true",
        help="skip the instruction counts (valgrind's callgrind, ~20 s a case)",
    )
    parser.add_argument(
        "--no-live",
        action="store_true",
        help="skip the routes measured against a local stack (~30 callgrind runs)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bench_baseline.py").write_text(BASELINE)
        (workdir / "bench_baseline_cached.py").write_text(BASELINE_CACHED)
        (workdir / "bench_baseline_precompiled.py").write_text(BASELINE_PRECOMPILED)
        ship_sdk(workdir)
        # Bytecode for both, as the deploy build ships it (scripts/compile_artifact.py).
        for path in (workdir, ROOT / "src"):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(path)], check=True)
        precompile(workdir)
        results: dict[str, list[dict[str, Any]]] = {case: [] for case in CASES}
        for case in CASES:  # one unmeasured run each, so the OS file cache is warm for all
            run_once(case, 10, workdir)
        for _ in range(args.runs):
            for case in CASES:
                results[case].append(run_once(case, args.requests, workdir))
        instructions = {} if args.no_instructions else count_instructions(workdir)
        warm = warm_instructions(workdir) if instructions else {}
        live = {} if args.no_instructions or args.no_live else live_instructions(workdir)

    def median(case: str, key: str) -> float:
        return float(statistics.median(r[key] for r in results[case]))

    base = "baseline hello"

    def paired(case: str, key: str) -> float:
        """The median of the same round's ratios: each round runs every case back to back,
        so a ratio within a round shares that moment's load, which a ratio of medians does
        not."""
        rounds = zip(results[case], results[base], strict=True)
        return float(statistics.median(r[key] / b[key] for r, b in rounds))

    python = sys.version.split()[0]
    print(f"python {python}, {args.runs} interleaved runs, {args.requests} warm requests each")
    print()
    columns = (
        "cold ms",
        "x base",
        "paired",
        "cpu ms",
        "x base",
        "paired",
        "p50 us",
        "x base",
        "p99 us",
        "p99/p50",
    )
    header = f"{'case':<30} " + " ".join(f"{c:>8}" for c in columns) + "  RSS MiB  loaded"
    print(header)
    print("-" * len(header))
    for case in CASES:
        cold, cpu = median(case, "cold_ms"), median(case, "cold_cpu_ms")
        p50, p99 = median(case, "p50_us"), median(case, "p99_us")
        cells = (
            f"{cold:.1f}",
            f"{cold / median(base, 'cold_ms'):.2f}",
            f"{paired(case, 'cold_ms'):.2f}",
            f"{cpu:.1f}",
            f"{cpu / median(base, 'cold_cpu_ms'):.2f}",
            f"{paired(case, 'cold_cpu_ms'):.2f}",
            f"{p50:.1f}",
            f"{p50 / median(base, 'p50_us'):.2f}",
            f"{p99:.1f}",
            f"{p99 / p50:.2f}",
        )
        loaded = sorted({m for r in results[case] for m in r["heavy"]})
        rss = median(case, "rss_mib")
        print(
            f"{case:<30} "
            + " ".join(f"{c:>8}" for c in cells)
            + f"  {rss:7.1f}  "
            + ",".join(loaded)
        )
    if instructions:
        print_instructions(instructions, base)
        print_warm_instructions(warm, base)
    if live:
        print_live(live)
    sqs = median("ours SQS route", "cold_ms") / median("ours health", "cold_ms")
    print()
    print(f"SQS (worker) route cold start / {{ health }} cold start: {sqs:.2f}")
    print(
        "cold = process start to first response, median (wall; cpu = the process's own CPU time "
        "to that point,\nunmoved by a noisy host); x base = ratio of the medians; paired = "
        "median of each round's own ratio;\np50/p99 = per request through the handler"
    )
    print("baseline = bare Strawberry+Mangum hello world, default settings; cached = with")
    print("ParserCache and ValidationCache; ours run with APP_ENV=prod; loaded = which of")
    print("strawberry, starlette, mangum, boto3, numpy the process had imported")


if __name__ == "__main__":
    main()
