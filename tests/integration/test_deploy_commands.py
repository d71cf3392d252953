"""External finding: `make build` / `make deploy` could not choose the architecture, and a
deployed stack's bucket started empty with nothing documented to put the bundled models in it.

Here "AWS" is a moto server holding the project's stack (its bucket and model parameters, as
CloudFormation created them), reached through the standard environment as a user's AWS is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, Literal

import boto3
import pytest

from devstack.template import load
from tests.support.processes import ROOT, free_port, start, stop

STACK = "monolambda-seeded"


def client(service: Literal["cloudformation", "s3", "ssm"], env: dict[str, str]) -> Any:
    return boto3.client(
        service,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def deployed() -> Iterator[dict[str, str]]:
    port = free_port()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "deployed",
        "AWS_SECRET_ACCESS_KEY": "deployed",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    template = load(ROOT / "template.yaml", {}, {"Environment": "dev"})
    # The bucket and the parameters alone (the bucket's notification, which needs the
    # function, left out): what seeding reads.
    resources: dict[str, Any] = {
        r.logical_id: {
            "Type": r.type,
            "Properties": {
                k: v for k, v in r.properties.items() if k != "NotificationConfiguration"
            },
        }
        for r in template.resources.values()
        if r.type in ("AWS::S3::Bucket", "AWS::SSM::Parameter")
    }
    moto, _ = start(["-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], ready="Running on")
    try:
        client("cloudformation", env).create_stack(
            StackName=STACK, TemplateBody=json.dumps({"Resources": resources}, default=str)
        )
        yield env
    finally:
        stop(moto)


def seed_models(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack.seed", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_seed_models_fills_a_deployed_stacks_bucket(deployed: dict[str, str]) -> None:
    result = seed_models(deployed, "--stack", STACK)
    assert result.returncode == 0, result.stderr
    s3 = client("s3", deployed)
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    for release in ("digits/1", "digits/2", "colours/1"):
        assert {f"models/{release}/model.onnx", f"models/{release}/manifest.json"} <= keys
        assert f"model     s3://{bucket}/models/{release}" in result.stdout
    ssm = client("ssm", deployed)
    pointer = ssm.get_parameter(Name=f"/{STACK}/models/digits/current")["Parameter"]["Value"]
    assert pointer == "2"  # the template's pointer names a version that is now there


def test_seed_models_names_a_missing_stack_in_one_line(deployed: dict[str, str]) -> None:
    result = seed_models(deployed, "--config-env", "prod")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot read the deployed stack 'monolambda-prod'")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            ["prod", "x86_64"],
            "--parameter-overrides Environment=prod AuthEnabled=true "
            "LogLevel=INFO TrustedDocumentsOnly=true Architecture=x86_64",
        ),
        (["dev", "arm64"], "Environment=dev AuthEnabled=true LogLevel=DEBUG Architecture=arm64"),
    ],
)
def test_deploy_passes_the_architecture_with_the_environments_overrides(
    arguments: list[str], expected: str
) -> None:
    out = subprocess.run(
        ["scripts/deploy.sh", *arguments],
        cwd=ROOT,
        env={**os.environ, "DRY_RUN": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith(f"sam deploy --config-env {arguments[0]} ")
    assert expected in out


def test_make_build_and_deploy_take_the_architecture() -> None:
    out = subprocess.run(
        ["make", "-n", "deploy", "ENV=prod", "ARCH=x86_64"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "scripts/build.sh .aws-sam/build x86_64" in out
    assert "scripts/deploy.sh prod x86_64" in out
