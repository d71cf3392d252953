"""--aws: the local API and function against a deployed stack's resources. Here "AWS" is a
moto server holding a CloudFormation stack, reached the way a user's AWS is: through the
standard environment (credentials, region, and here AWS_ENDPOINT_URL)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from cfnlint.decode import decode

from devstack.http_server import CONTROL_HEADER
from tests.support.processes import free_port, start, stop
from tests.support.stack import FIXTURE_TEMPLATE, http

STACK = "monolambda-deployed"


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    moto, _ = start(["-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], ready="Running on")
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "deployed",
        "AWS_SECRET_ACCESS_KEY": "deployed",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    # The fixture template's resources (not its SAM function) as a plain CloudFormation stack.
    template, _ = decode(str(FIXTURE_TEMPLATE))
    assert template is not None
    resources = {
        k: v
        for k, v in template["Resources"].items()
        if not v["Type"].startswith("AWS::Serverless")
    }
    cloudformation = boto3.client(
        "cloudformation",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    body = {"Parameters": template["Parameters"], "Resources": resources}
    cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(body, default=str))
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=STACK)["StackResources"]
    }
    try:
        yield endpoint, {**env, "PHYSICAL": json.dumps(physical)}
    finally:
        stop(moto)


def test_the_function_uses_the_deployed_resources(
    deployed: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    endpoint, env = deployed
    physical = json.loads(env.pop("PHYSICAL"))
    args = ["--aws", STACK, "--template", str(FIXTURE_TEMPLATE), "--port", "0"]
    process, lines = start(
        ["-m", "devstack", *args, "--state-dir", str(tmp_path), "--quiet"],
        ready="ready in",
        env=env,
    )
    try:
        state = json.loads((tmp_path / "stack.json").read_text())
        assert state["dynamodb"] == state["moto"] == ""  # no stand-ins were started
        status, _, raw = http(
            f"{state['api']}/echo", data=b"{}", headers={"content-type": "application/json"}
        )
        assert status == 200
        environment = json.loads(raw)["environment"]
        assert environment["ITEMS_TABLE"] == physical["ItemsTable"]
        assert environment["WORK_QUEUE_URL"] == physical["WorkQueue"]
        assert environment["FILES_BUCKET"] == physical["FilesBucket"]
        assert json.loads(raw)["endpoint"] == endpoint  # the caller's own configuration
        reset = http(
            f"{state['api']}/_devstack/reset",
            data=b"{}",
            headers={"content-type": "application/json", CONTROL_HEADER: state["control_key"]},
            method="POST",
        )
        assert reset[0] == 409  # never wipe a deployed stack's data
        assert any("SQS mappings run in AWS" in line for line in lines)
    finally:
        stop(process)
    assert process.returncode == 0


def test_an_unknown_deployed_stack_is_one_clear_line(
    deployed: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from tests.support.processes import ROOT  # noqa: PLC0415

    _, env = deployed
    env.pop("PHYSICAL")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack",
            "--aws",
            "no-such-stack",
            "--port",
            "0",
            "--state-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot read the deployed stack 'no-such-stack'")
    assert len(result.stderr.strip().splitlines()) == 1
