"""The deploy build (scripts/build.sh: sam build, trimmed, build info, bytecode), for this
machine's architecture, run in a fresh interpreter that sees nothing but the artifact, the
stdlib and, behind the artifact as in Lambda, the SDK the Lambda runtime provides (which the
artifact's own, the lock's, shadows)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from monolambda.adapters import aws
from tests.support.stack import RunningStack

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

HOST_ARCHITECTURE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[
    platform.machine().lower()
]

PROGRAM = """
import json, sys
sys.path.insert(0, sys.argv[1])
from monolambda.handler import handler, UnroutableEventError
event = json.loads(sys.argv[2])
class Context:
    aws_request_id = "artifact-test"
response = handler(event, Context())
from monolambda import precompiled
compiled = {"held": precompiled.recorded(), "misses": precompiled.misses()}
try:
    handler({"unknown": "event"}, Context())  # logs through Powertools, then refuses
    refused = False
except UnroutableEventError:
    refused = True
outside = sorted({m.__file__.split("/site-packages/")[0] for m in list(sys.modules.values())
                  if getattr(m, "__file__", None) and "site-packages" in m.__file__})
print(json.dumps(
    {"response": response, "refused": refused, "outside": outside, "compiled": compiled}
))
"""


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_dir = tmp_path_factory.mktemp("build")
    subprocess.run(
        ["scripts/build.sh", str(build_dir), HOST_ARCHITECTURE],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return build_dir / "MonolambdaFunction"


# The Lambda runtime's own boto3, botocore and s3transfer (in /var/runtime there, after
# /var/task on the path): the artifact's copies come first, and the routes must use those.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer")
MIB = 1024 * 1024

# Every module of the function, then a predict, a job submitted and read back, and a
# sweep, against the local stack: what onnxruntime, Pillow, numpy, PynamoDB and the SDK
# must still do after the trim.
ROUTES = """
import base64, importlib, json, pkgutil, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import monolambda
for module in pkgutil.walk_packages(monolambda.__path__, "monolambda."):
    importlib.import_module(module.name)
from monolambda.handler import handler
class Context:
    aws_request_id = "artifact-test"
    function_name = "monolambda"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:monolambda"
    def get_remaining_time_in_millis(self): return 29000
def graphql(query, variables):
    event = json.loads(sys.argv[3])
    event["body"] = json.dumps({"query": query, "variables": variables})
    return json.loads(handler(event, Context())["body"])
image = base64.b64encode(open(sys.argv[4], "rb").read()).decode()
predicted = graphql(
    "query($i: PredictInput!) { predict(input: $i) { labels { label } } }",
    {"i": {"model": "digits", "image": image}},
)
submitted = graphql(
    "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
    {"i": {"model": "digits", "images": [image]}},
)
job_id = submitted["data"]["submitJob"]["job"]["id"]
read = graphql("query($id: ID!) { job(id: $id) { id status } }", {"id": job_id})
swept = handler(json.loads(sys.argv[5]), Context())
sdk = {name: sys.modules[name].__file__ for name in ("boto3", "botocore", "s3transfer")}
print(json.dumps(
    {"predicted": predicted, "read": read, "swept": swept, "job": job_id, "sdk": sdk}
))
"""


@pytest.fixture(scope="module")
def runtime_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    here = tmp_path_factory.mktemp("var-runtime")
    site = Path(boto3.__file__).parents[1]
    for name in RUNTIME_SDK:
        (here / name).symlink_to(site / name)
    return here


def function_env(stack: RunningStack, **extra: str) -> dict[str, str]:
    """The deployed function's environment, as the local stack gives it."""
    declared = json.loads((stack.state_dir / "function-env.json").read_text())
    return {**declared["MonolambdaFunction"], "PATH": os.environ.get("PATH", ""), **extra}


def in_artifact(program: str, *args: str, env: dict[str, str]) -> Any:
    """`program`'s last line of JSON, run by an interpreter that sees nothing but the stdlib
    and what `args` put on its path (-I: no user site, no PYTHON* variables; -S: no
    site-packages)."""
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", program, *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_artifact_is_under_130_mib(artifact: Path) -> None:
    size = sum(p.stat().st_size for p in artifact.rglob("*") if p.is_file())
    assert size <= 130 * MIB, f"{size / MIB:.1f} MiB"
    # What the trim takes out (scripts/trim_artifact.py) is not back.
    for gone in ("google", "flatbuffers", "numpy/_core/tests", "onnxruntime/tools"):
        assert not (artifact / gone).exists(), gone
    assert not list(artifact.glob("onnxruntime/capi/libonnxruntime.so*"))


def test_every_route_runs_from_the_artifact(
    artifact: Path, runtime_sdk: Path, stack: RunningStack
) -> None:
    from tests.support.apigw import http_api_event, load_event  # noqa: PLC0415

    event = http_api_event({"query": "{ __typename }"}, claims={"sub": "artifact-user"})
    result = in_artifact(
        ROUTES,
        str(artifact),
        str(runtime_sdk),
        json.dumps(event),
        str(ROOT / "samples" / "seven.png"),
        json.dumps(load_event("schedule-sweep.json")),
        env=function_env(stack),
    )
    assert result["predicted"]["data"]["predict"]["labels"][0]["label"] == "7"
    assert result["read"]["data"]["job"]["id"] == result["job"], result["read"]
    assert "errors" not in result["read"]
    # The sweep queried the open jobs (the one just submitted is not stale yet).
    assert result["swept"]["failed"] == 0
    assert result["swept"]["requeued"] == 0
    # The artifact's SDK (the lock's, slimmed: scripts/slim_sdk.py), not the runtime's.
    for name, where in result["sdk"].items():
        assert where.startswith(str(artifact) + os.sep), (name, where)


def test_the_artifact_answers_health_on_its_own(artifact: Path) -> None:
    from tests.support.apigw import http_api_event  # noqa: PLC0415

    event = http_api_event(
        {"query": "{ health { status } version { version gitRevision buildTime } }"}
    )
    env = {
        "APP_ENV": "prod",
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    }
    result = in_artifact(PROGRAM, str(artifact), json.dumps(event), env=env)
    assert result["outside"] == []
    assert result["refused"] is True
    response = result["response"]
    assert response["statusCode"] == 200
    data = json.loads(response["body"])["data"]
    assert data["health"]["status"] in {"OK", "DEGRADED"}
    assert data["version"]["gitRevision"]  # recorded by the build
    assert data["version"]["buildTime"]
    # What Python generates on the way (dataclasses' methods, regular expressions, ...) came
    # compiled from the build's precompiled.bin: none of it compiled here.
    code, regexes = result["compiled"]["held"]
    assert code > 300, result["compiled"]
    assert regexes > 50, result["compiled"]
    assert result["compiled"]["misses"] == 0


def test_the_artifact_holds_runtime_code_only_compiled(artifact: Path) -> None:
    top_level = {p.name for p in artifact.iterdir()}
    for unwanted in (
        "tests",
        "devstack",
        "bench",
        "pytest",
        "_pytest",
        "moto",
        "samcli",
    ):
        assert unwanted not in top_level
    assert {"monolambda", "strawberry", "mangum", "aws_lambda_powertools"} <= top_level
    # The lock's SDK, with the data of the services the function calls alone.
    for name in ("boto3", "botocore", "s3transfer"):
        version = importlib.metadata.version(name)
        assert (artifact / f"{name}-{version}.dist-info").is_dir(), name
    services = {p.name for p in (artifact / "botocore" / "data").iterdir() if p.is_dir()}
    assert services == set(aws.SERVICES + aws.CREDENTIAL_SERVICES)
    tag = sys.implementation.cache_tag
    missing = [
        str(source.relative_to(artifact))
        for source in artifact.rglob("*.py")
        if not (source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc").exists()
    ]
    assert missing == []
    assert (artifact / "monolambda" / "build_info.json").exists()
    # The clients' trusted documents ship with the function (api.guard.trusted_documents).
    shipped = artifact / "monolambda" / "api" / "guard" / "trusted-documents"
    source = ROOT / "src/monolambda/api/guard/trusted-documents"
    assert sorted(p.name for p in shipped.iterdir()) == sorted(p.name for p in source.iterdir())
    for manifest in source.iterdir():
        assert (shipped / manifest.name).read_bytes() == manifest.read_bytes()
    # So are the metrics' EMF lines (monolambda.metrics).
    lines = artifact / "monolambda" / "emf-templates.json"
    assert lines.read_bytes() == (ROOT / "src/monolambda/emf-templates.json").read_bytes()


# What each route loads on its first event, from the artifact: the third-party packages
# (the artifact's and the runtime's SDK) and our own modules. A route's event may fail
# against the local stack (an unknown connection, a job that does not exist): what it loaded
# to get there is what a cold start of that route pays.
ROUTE_IMPORTS = """
import json, sys
artifact, sdk = sys.argv[1], sys.argv[2]
sys.path[:0] = [artifact, sdk]
from monolambda.handler import handler
class Context:
    aws_request_id = "route-imports"
    function_name = "monolambda"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:monolambda"
    def get_remaining_time_in_millis(self): return 29000
try:
    handler(json.loads(sys.argv[3]), Context())
except Exception:
    pass
packages, ours = set(), set()
for name, module in list(sys.modules.items()):
    where = getattr(module, "__file__", None) or ""
    if name.split(".")[0] == "monolambda":
        ours.add(name)
    elif where.startswith((artifact, sdk)):
        packages.add(name.split(".")[0])
print(json.dumps({"packages": sorted(packages), "monolambda": sorted(ours)}))
"""
ROUTE_EVENTS = {
    "http { health }": "http-api-query.json",
    "sqs": "sqs-job-message.json",
    "stream": "dynamodb-stream-job-finished.json",
    "s3": "s3-job-upload.json",
    "schedule": "schedule-sweep.json",
    "websocket $connect": "websocket-connect.json",
    "websocket message": "websocket-message-ping.json",
    "websocket $disconnect": "websocket-disconnect.json",
}
ROUTE_IMPORTS_FILE = Path(__file__).with_name("route_imports.json")


def test_each_routes_imports_are_the_recorded_ones(
    artifact: Path, runtime_sdk: Path, stack: RunningStack
) -> None:
    """What a route loads on its first event cannot grow unnoticed (issue 30): a new package
    or module on a route is a change to tests/packaging/route_imports.json, made on purpose
    (UPDATE_ROUTE_IMPORTS=1 rewrites it), and seen in review."""
    from tests.support.apigw import load_event  # noqa: PLC0415

    env = function_env(stack, POWERTOOLS_LOG_LEVEL="CRITICAL")
    found = {
        route: in_artifact(
            ROUTE_IMPORTS, str(artifact), str(runtime_sdk), json.dumps(load_event(name)), env=env
        )
        for route, name in ROUTE_EVENTS.items()
    }
    if os.environ.get("UPDATE_ROUTE_IMPORTS"):
        ROUTE_IMPORTS_FILE.write_text(json.dumps(found, indent=1) + "\n")
    recorded = json.loads(ROUTE_IMPORTS_FILE.read_text())
    changed = {}
    for route, loaded in found.items():
        for kind in ("packages", "monolambda"):
            was, now = set(recorded.get(route, {}).get(kind, [])), set(loaded[kind])
            if was != now:
                added, gone = sorted(now - was), sorted(was - now)
                changed[f"{route}: {kind}"] = {"added": added, "gone": gone}
    assert changed == {}, (
        "a route loads other modules than tests/packaging/route_imports.json records; if that "
        "is meant, rewrite it with UPDATE_ROUTE_IMPORTS=1: " + json.dumps(changed, indent=1)
    )
    # What the design promises: no route but HTTP loads the GraphQL stack, and none loads Starlette.
    for route, loaded in found.items():
        assert "starlette" not in loaded["packages"], route
        if not route.startswith("http"):
            assert not {"strawberry", "graphql", "mangum"} & set(loaded["packages"]), route
