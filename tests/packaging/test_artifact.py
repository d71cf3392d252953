"""The deploy build (scripts/build.sh: sam build + build info + bytecode), for this machine's
architecture, run in a fresh interpreter that sees nothing but the artifact and the stdlib."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

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
try:
    handler({"unknown": "event"}, Context())  # logs through Powertools, then refuses
    refused = False
except UnroutableEventError:
    refused = True
outside = sorted({m.__file__.split("/site-packages/")[0] for m in list(sys.modules.values())
                  if getattr(m, "__file__", None) and "site-packages" in m.__file__})
print(json.dumps({"response": response, "refused": refused, "outside": outside}))
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
    out = subprocess.run(
        # -I: no user site, no PYTHON* variables; -S: no site-packages at all.
        [sys.executable, "-I", "-S", "-c", PROGRAM, str(artifact), json.dumps(event)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd="/",
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["outside"] == []
    assert result["refused"] is True
    response = result["response"]
    assert response["statusCode"] == 200
    data = json.loads(response["body"])["data"]
    assert data["health"]["status"] in {"OK", "DEGRADED"}
    assert data["version"]["gitRevision"]  # recorded by the build
    assert data["version"]["buildTime"]


def test_the_artifact_holds_runtime_code_only_compiled(artifact: Path) -> None:
    top_level = {p.name for p in artifact.iterdir()}
    for unwanted in (
        "tests",
        "devstack",
        "bench",
        "pytest",
        "_pytest",
        "boto3",
        "botocore",
        "moto",
        "samcli",
    ):
        assert unwanted not in top_level
    assert {"monolambda", "strawberry", "mangum", "aws_lambda_powertools"} <= top_level
    tag = sys.implementation.cache_tag
    missing = [
        str(source.relative_to(artifact))
        for source in artifact.rglob("*.py")
        if not (source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc").exists()
    ]
    assert missing == []
    assert (artifact / "monolambda" / "build_info.json").exists()
    # The clients' trusted documents ship with the function (api.trusted_documents).
    shipped = artifact / "monolambda" / "api" / "trusted-documents.json"
    assert shipped.read_bytes() == (ROOT / "src/monolambda/api/trusted-documents.json").read_bytes()
