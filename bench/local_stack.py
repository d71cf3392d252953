"""The local stack's own figures: command to ready, request latency through the local API
gateway (JWT check included) one client at a time and with 20 concurrent clients, and the
memory of the whole stack.

    python bench/local_stack.py [--starts 5] [--requests 500] [--clients 20 --each 100]

For scale: `sam local start-api` (which needs Docker, not on these machines) is reported at
1-10 s per request (aws-sam-cli issues #134, #362, #2223).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["-m", "devstack", "--port", "0", "--dynamodb-port", "0", "--moto-port", "0", "--quiet"]


def _discard(lines: Iterable[str]) -> None:
    for _ in lines:
        pass


def start(state_dir: Path, *extra: str) -> tuple[subprocess.Popen[str], float]:
    """`python -m devstack` on free ports, and the seconds it took to be ready."""
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *ARGS, "--state-dir", str(state_dir), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    if process.stdout is None:
        raise RuntimeError("no pipe")
    for line in process.stdout:
        if line.startswith("ready in"):
            ready = time.perf_counter() - began
            # The function's logs keep coming on this pipe: read them away, or a full pipe
            # blocks every invocation that writes a line.
            threading.Thread(target=_discard, args=(process.stdout,), daemon=True).start()
            return process, ready
    raise RuntimeError("the stack did not start")


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)


def one_request(host: str, port: int, body: str, headers: dict[str, str]) -> float:
    """Milliseconds for one POST on a connection of its own; raises on a reset or a non-200."""
    connection = http.client.HTTPConnection(host, port, timeout=10)
    began = time.perf_counter()
    try:
        connection.request("POST", "/graphql", body, headers)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"status {response.status}")
    return (time.perf_counter() - began) * 1000


def _client(job: tuple[str, int, str, dict[str, str], int]) -> tuple[list[float], int]:
    host, port, body, headers, each = job
    times, failures = [], 0
    for _ in range(each):
        try:
            times.append(one_request(host, port, body, headers))
        except (OSError, RuntimeError, http.client.HTTPException):
            failures += 1
    return times, failures


def concurrent(
    host: str, port: int, body: str, headers: dict[str, str], *, clients: int, each: int
) -> tuple[list[float], int]:
    """`clients` processes (threads of one process would wait on each other's GIL and count
    it as latency), `each` requests apiece: the latencies, and how many failed or reset."""
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        results = pool.map(_client, [(host, port, body, headers, each)] * clients)
    return sorted(t for times, _ in results for t in times), sum(f for _, f in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--each", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state_dir = Path(tmp)
        ready = []
        for _ in range(args.starts):
            process, seconds = start(state_dir)
            ready.append(seconds)
            stop(process)
        process, _ = start(state_dir)
        try:
            state = json.loads((state_dir / "stack.json").read_text())
            host, port = state["api"].removeprefix("http://").split(":")
            body = json.dumps({"query": "{ health { status } }"})
            headers = {
                "content-type": "application/json",
                "authorization": f"Bearer {state['token']}",
            }
            for _ in range(50):  # the first requests warm the function's container
                one_request(host, int(port), body, headers)
            samples = sorted(
                one_request(host, int(port), body, headers) for _ in range(args.requests)
            )
            loaded, failures = concurrent(
                host, int(port), body, headers, clients=args.clients, each=args.each
            )
            tree = [
                psutil.Process(process.pid),
                *psutil.Process(process.pid).children(recursive=True),
            ]
            rss = {p.name(): p.memory_info().rss / 2**20 for p in tree}
        finally:
            stop(process)
    median_ready = statistics.median(ready)
    p50, p99 = samples[len(samples) // 2], samples[int(len(samples) * 0.99)]
    print(
        f"command to ready (fresh stand-ins, resources, function): median {median_ready:.2f} s "
        f"(min {min(ready):.2f}, max {max(ready):.2f}, {args.starts} starts)"
    )
    print(
        f"POST {{ health }} through the local gateway with a JWT: p50 {p50:.2f} ms, "
        f"p99 {p99:.2f} ms ({args.requests} requests, a connection each)"
    )
    print(
        f"{args.clients} concurrent clients x {args.each} requests: "
        f"p50 {loaded[len(loaded) // 2]:.2f} ms, p99 {loaded[int(len(loaded) * 0.99)]:.2f} ms, "
        f"{failures} failed or reset   (goal: p99 <= 50 ms, 0 resets)"
    )
    print(
        "memory (RSS): "
        + ", ".join(f"{name} {mib:.0f} MiB" for name, mib in rss.items())
        + f"; total {sum(rss.values()):.0f} MiB"
    )


if __name__ == "__main__":
    main()
