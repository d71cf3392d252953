"""The deploy artifact: its size unzipped on both architectures (goal: 130 MiB or less) and
its largest parts, and its cold starts against the source tree's.

    python bench/artifact.py [--runs 7] [--keep DIR]

Builds with scripts/build.sh (sam build, trimmed, bytecode) for arm64 and x86_64. Cold
starts: fresh interpreters answering one request each, `{ health }`, the first `job(id)` and
the first predict, against a local stack (DynamoDB Local and moto, started here): from the
artifact alone (python -I -S; sys.path is the artifact, then the SDK the Lambda runtime
provides, which the artifact's own shadows) and from the source tree (src/ and the venv), interleaved so that machine noise
hits both alike. Only this machine's architecture can run; the other is measured for size.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]

from local_stack import start, stop  # noqa: E402
from startup import EVENT  # noqa: E402

from scripts.trim_artifact import largest_parts  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
HOST = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[
    platform.machine().lower()
]
# What the Lambda runtime has in /var/runtime, after the artifact on the path: the artifact
# ships the lock's copies (slimmed: scripts/slim_sdk.py), which the routes import instead.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer")

CHILD = textwrap.dedent(
    """
    import json, sys, time
    paths, event = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    sys.path[:0] = paths
    from monolambda.handler import handler
    class Context:
        aws_request_id = "bench"
        function_name = "monolambda"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:monolambda"
        def get_remaining_time_in_millis(self): return 29000
    response = handler(event, Context())
    assert response["statusCode"] == 200 and '"errors"' not in response["body"], response
    print(json.dumps({"cpu_ms": time.process_time() * 1000}), flush=True)
    """
)


def build(arch: str, into: Path) -> Path:
    subprocess.run(
        ["scripts/build.sh", str(into), arch],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return into / "MonolambdaFunction"


def size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def runtime_sdk(into: Path) -> Path:
    import boto3  # noqa: PLC0415

    site = Path(boto3.__file__).parents[1]
    into.mkdir()
    for name in RUNTIME_SDK:
        (into / name).symlink_to(site / name)
    return into


def graphql_event(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """bench/startup.py's HTTP API event, with this query and a caller's claims."""
    event = copy.deepcopy(EVENT)
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": "bench"}, "scopes": None}}
    event["body"] = json.dumps({"query": query, "variables": variables or {}})
    return event


def cold_start(command: list[str], env: dict[str, str]) -> dict[str, float]:
    began = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, env=env, cwd="/", check=False)
    wall_ms = (time.perf_counter() - began) * 1000
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return {"wall_ms": wall_ms, **json.loads(out.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="cold starts per case and tree")
    parser.add_argument("--keep", type=Path, help="build here and keep the builds")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        artifacts = {arch: build(arch, work / f"build-{arch}") for arch in ("arm64", "x86_64")}
        print("artifact unzipped (goal: 130 MiB or less each)")
        for arch, artifact in artifacts.items():
            parts = ", ".join(f"{n} {s / MIB:.1f}" for n, s in largest_parts(artifact, 6))
            print(f"  {arch:<7} {size(artifact) / MIB:6.1f} MiB   largest: {parts}")

        stack, _ = start(work / "stack")
        try:
            env = json.loads((work / "stack" / "function-env.json").read_text())
            env = {**env["MonolambdaFunction"], "PATH": os.environ["PATH"]}
            env.update(APP_ENV="prod", POWERTOOLS_LOG_LEVEL="CRITICAL", PYTHONHASHSEED="0")
            image = base64.b64encode((ROOT / "samples" / "seven.png").read_bytes()).decode()
            job_id = submitted_job(env, image)
            cases = {
                "{ health }": graphql_event("{ health { status } }"),
                "first job(id)": graphql_event(
                    "query($id: ID!) { job(id: $id) { id status } }", {"id": job_id}
                ),
                "first predict": graphql_event(
                    "query($i: PredictInput!) { predict(input: $i) { labels { label } } }",
                    {"i": {"model": "digits", "image": image}},
                ),
            }
            sdk = runtime_sdk(work / "var-runtime")
            subprocess.run(
                [sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True
            )
            trees = {
                "artifact": (
                    [sys.executable, "-I", "-S", "-c", CHILD],
                    [str(artifacts[HOST]), str(sdk)],
                ),
                "source": ([sys.executable, "-c", CHILD], [str(ROOT / "src")]),
            }
            results: dict[tuple[str, str], list[dict[str, float]]] = {}
            for run in range(args.runs + 1):  # the first round warms the file cache, unkept
                for case, event in cases.items():
                    for tree, (command, paths) in trees.items():
                        timing = cold_start([*command, json.dumps(paths), json.dumps(event)], env)
                        if run:
                            results.setdefault((case, tree), []).append(timing)
        finally:
            stop(stack)

    print()
    print(f"cold start on {HOST}, {args.runs} interleaved runs, medians (ms)")
    print(f"{'case':<15} {'artifact':>9} {'source':>9} {'ratio':>6}   cpu: artifact source ratio")
    for case in cases:

        def median(tree: str, key: str, case: str = case) -> float:
            return statistics.median(r[key] for r in results[(case, tree)])

        wall = (median("artifact", "wall_ms"), median("source", "wall_ms"))
        cpu = (median("artifact", "cpu_ms"), median("source", "cpu_ms"))
        print(
            f"{case:<15} {wall[0]:9.1f} {wall[1]:9.1f} {wall[0] / wall[1]:6.2f}"
            f"   {cpu[0]:9.1f} {cpu[1]:6.1f} {cpu[0] / cpu[1]:5.2f}"
        )
    print("wall = process start to exit after its first answer; cpu = the process's CPU time")


def submitted_job(env: dict[str, str], image: str) -> str:
    """A job to read back, submitted through the source tree's handler in a child."""
    program = CHILD.replace(
        'print(json.dumps({"cpu_ms"', 'print(json.dumps({"body": response["body"], "cpu_ms"'
    )
    event = graphql_event(
        "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
        {"i": {"model": "digits", "images": [image]}},
    )
    out = subprocess.run(
        [sys.executable, "-c", program, json.dumps([str(ROOT / "src")]), json.dumps(event)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the job's submit failed: {out.stderr[-2000:]}")
    body = json.loads(json.loads(out.stdout.strip().splitlines()[-1])["body"])
    job_id: str = body["data"]["submitJob"]["job"]["id"]
    return job_id


if __name__ == "__main__":
    main()
