"""External findings: `make build` / `make deploy` could not choose the architecture, and a
deployed stack's bucket started empty with nothing documented to put the bundled models in it;
`make deploy` aborted without a terminal (the changeset's confirmation), so the steps after
it never ran, and took no parameters beyond the architecture.

Here "AWS" is a moto server holding the project's stack (its bucket and model parameters, as
CloudFormation created them), reached through the standard environment as a user's AWS is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import boto3
import jwt
import pytest

from devstack.template import load
from tests.support.deployed import aws_client
from tests.support.processes import ROOT, free_port, start, stop

# samconfig.toml's dev stack, so that `--config-env dev` finds it.
STACK = "monolambda-dev"


def client(service: Literal["cloudformation", "s3", "ssm"], env: dict[str, str]) -> Any:
    return aws_client(service, env)


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
    for release in ("digits/1", "digits/2", "digits/3", "colours/1"):
        assert {f"models/{release}/model.onnx", f"models/{release}/manifest.json"} <= keys
        assert f"model     s3://{bucket}/models/{release}" in result.stdout
    ssm = client("ssm", deployed)
    pointer = ssm.get_parameter(Name=f"/{STACK}/models/digits/current")["Parameter"]["Value"]
    assert pointer == "3"  # the template's pointer names a version that is now there


def test_seed_models_names_a_missing_stack_in_one_line(deployed: dict[str, str]) -> None:
    result = seed_models(deployed, "--config-env", "prod")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot read the deployed stack 'monolambda-prod'")


def deploy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """scripts/deploy.py as make runs it, with no terminal (stdin is not one)."""
    return subprocess.run(
        [sys.executable, "scripts/deploy.py", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_deploy_merges_params_over_the_environments_overrides() -> None:
    result = deploy(
        "deploy",
        "prod",
        "--arch",
        "x86_64",
        "--params",
        "LogLevel=DEBUG WebOrigins=https://a.example,https://b.example",
        env={"DRY_RUN": "1"},
    )
    assert result.returncode == 0, result.stderr
    sam, secrets, seed = result.stdout.splitlines()
    assert sam == (
        "sam deploy --template-file .aws-sam/build/template.yaml --config-file samconfig.toml "
        "--config-env prod --parameter-overrides Environment=prod AuthEnabled=true "
        "LogLevel=DEBUG TrustedDocumentsOnly=true Tracing=Active LogRetentionDays=90 "
        "WebOrigins=https://a.example,https://b.example Architecture=x86_64 "
        "--no-confirm-changeset --no-fail-on-empty-changeset"
    )
    assert secrets == "python -m devstack.secrets --config-env prod"
    assert seed == "python -m devstack.seed --config-env prod"
    # Asked to confirm, it shows the changeset (a terminal's default).
    confirmed = deploy("deploy", "dev", "--confirm", "yes", env={"DRY_RUN": "1"})
    assert "--no-confirm-changeset" not in confirmed.stdout


@pytest.mark.parametrize("params", ["LogLevel", "1x=2", "a='unclosed"])
def test_deploy_names_a_malformed_parameter(params: str) -> None:
    result = deploy("deploy", "dev", "--params", params, env={"DRY_RUN": "1"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert deploy("deploy", "staging", env={"DRY_RUN": "1"}).stderr.startswith(
        "error: samconfig.toml has no environment 'staging'"
    )


def fake_sam(tmp_path: Path, exit_code: int) -> dict[str, str]:
    """A sam that records its arguments and exits as told (no AWS is reached)."""
    script = tmp_path / "sam"
    script.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "sam-args"}\nexit {exit_code}\n')
    script.chmod(0o755)
    return {"SAM": str(script)}


def test_a_failed_deploy_runs_nothing_after_it(deployed: dict[str, str], tmp_path: Path) -> None:
    result = deploy("deploy", "dev", env={**deployed, **fake_sam(tmp_path, 3)})
    assert result.returncode == 3
    assert "no secrets were made, no models seeded" in result.stderr
    names = client("ssm", deployed).describe_parameters()["Parameters"]
    assert not any("/secrets/" in p["Name"] for p in names)


def test_a_deploy_makes_the_stacks_secrets_and_seeds_its_models(
    deployed: dict[str, str], tmp_path: Path
) -> None:
    result = deploy("deploy", "dev", env={**deployed, **fake_sam(tmp_path, 0)})
    assert result.returncode == 0, result.stderr
    assert (
        "--no-confirm-changeset --no-fail-on-empty-changeset" in (tmp_path / "sam-args").read_text()
    )
    ssm = client("ssm", deployed)
    made = {p["Name"] for p in ssm.describe_parameters()["Parameters"]}
    assert {f"/{STACK}/secrets/cursor-key", f"/{STACK}/secrets/webhook-key"} <= made
    s3 = client("s3", deployed)
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert "models/digits/2/model.onnx" in keys


def test_the_resolved_template_has_no_language_extensions_left(tmp_path: Path) -> None:
    out = tmp_path / "resolved.json"
    result = deploy(
        "template",
        "prod",
        "--params",
        "AuthDomainPrefix=monolambda-x WebCallbackUrls=https://app.example.com/",
        "--source",
        str(ROOT / "template.yaml"),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    template = json.loads(out.read_text())
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    text = json.dumps(template)
    assert "Fn::If" not in text
    assert "AWS::LanguageExtensions" not in text
    client_properties = template["Resources"]["UserPoolClient"]["Properties"]
    assert client_properties["CallbackURLs"] == ["https://app.example.com/"]
    code = Path(template["Resources"]["MonolambdaFunction"]["Properties"]["CodeUri"])
    assert (out.parent / code).resolve() == (ROOT / "src").resolve()


def test_make_build_and_deploy_take_the_architecture_and_params() -> None:
    out = subprocess.run(
        ["make", "-n", "deploy", "ENV=prod", "ARCH=x86_64", "PARAMS=LogLevel=DEBUG", "CONFIRM=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.replace("\\\n  ", "")
    assert "scripts/build.sh .aws-sam/build x86_64" in out
    assert (
        'scripts/deploy.py deploy prod --arch "x86_64" --params "LogLevel=DEBUG" --confirm no'
        in out
    )


def teardown(
    env: dict[str, str], *args: str, which: tuple[str, ...] = ("--config-env", "dev")
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack.teardown", *which, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_destroy_empties_the_bucket_deletes_the_secrets_then_the_stack(
    deployed: dict[str, str],
) -> None:
    """External finding: `sam delete` left both SecureStrings, and a bucket with objects in it
    fails a stack's deletion on AWS."""
    assert seed_models(deployed, "--stack", STACK).returncode == 0
    made = subprocess.run(
        [sys.executable, "-m", "devstack.secrets", "--stack", STACK],
        cwd=ROOT,
        env={**os.environ, **deployed},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "(made)" in made.stdout
    refused = teardown(deployed, "--confirm", "monolambda-prod")
    assert refused.returncode == 2
    assert "CONFIRM_STACK=monolambda-dev" in refused.stderr
    assert client("cloudformation", deployed).describe_stacks(StackName=STACK)["Stacks"]

    result = teardown(deployed, "--confirm", STACK)
    assert result.returncode == 0, result.stderr
    assert "objects and versions deleted" in result.stdout
    assert result.stdout.count("(deleted)") == 2
    ssm = client("ssm", deployed)
    assert not any("/secrets/" in p["Name"] for p in ssm.describe_parameters()["Parameters"])
    stacks = client("cloudformation", deployed).list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in stacks if s["StackName"] == STACK} == {"DELETE_COMPLETE"}


PROD_STACK = ("--stack", "monolambda-prod")


def test_destroy_keeps_a_prod_stacks_data(deployed: dict[str, str]) -> None:
    """In prod the bucket's DeletionPolicy is Retain (template.yaml): make destroy leaves it
    and its objects, and says so."""
    template = load(ROOT / "template.yaml", {}, {"Environment": "prod"})
    (bucket_resource,) = [r for r in template.resources.values() if r.type == "AWS::S3::Bucket"]
    assert bucket_resource.deletion_policy == "Retain"
    body = {
        "Parameters": {"Environment": {"Type": "String"}},
        "Resources": {
            bucket_resource.logical_id: {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",
                "Properties": {"BucketName": bucket_resource.properties["BucketName"]},
            }
        },
    }
    cloudformation = client("cloudformation", deployed)
    cloudformation.create_stack(
        StackName="monolambda-prod",
        TemplateBody=json.dumps(body, default=str),
        Parameters=[{"ParameterKey": "Environment", "ParameterValue": "prod"}],
    )
    assert seed_models(deployed, "--stack", "monolambda-prod").returncode == 0
    s3 = client("s3", deployed)
    bucket = cloudformation.describe_stack_resource(
        StackName="monolambda-prod", LogicalResourceId=bucket_resource.logical_id
    )["StackResourceDetail"]["PhysicalResourceId"]
    result = teardown(deployed, "--confirm", "monolambda-prod", which=PROD_STACK)
    assert result.returncode == 0, result.stderr
    assert f"bucket    {bucket}: kept with its objects (prod: Retain)" in result.stdout
    assert "kept      JobsTable" in result.stdout
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] > 0


def users(
    env: dict[str, str], *args: str, password: str = "", stack: str = "monolambda-users"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack.users", *args, "--stack", stack],
        cwd=ROOT,
        env={**os.environ, **env, "PASSWORD": password},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def pool_stack(deployed: dict[str, str], stack: str, flow: str) -> str:
    """A stack whose outputs name a user pool and its app client, which allows `flow` (and
    refreshing); the client's id."""
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=deployed["AWS_ENDPOINT_URL"],
        region_name=deployed["AWS_DEFAULT_REGION"],
        aws_access_key_id="deployed",
        aws_secret_access_key="deployed",
    )
    pool = cognito.create_user_pool(PoolName="users")["UserPool"]["Id"]
    app: str = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="app", ExplicitAuthFlows=[flow, "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    client("cloudformation", deployed).create_stack(
        StackName=stack,
        TemplateBody=json.dumps(
            {
                "Resources": {
                    "Marker": {
                        "Type": "AWS::SSM::Parameter",
                        "Properties": {"Name": f"/{stack}/marker", "Type": "String", "Value": "x"},
                    }
                },
                "Outputs": {"UserPoolId": {"Value": pool}, "UserPoolClientId": {"Value": app}},
            }
        ),
    )
    return app


def test_a_user_of_a_deployed_pool_and_its_token(deployed: dict[str, str]) -> None:
    """External finding: a stack deployed with auth had no documented way to get a token (no
    user, and a client that allowed SRP only)."""
    app = pool_stack(deployed, "monolambda-users", "ALLOW_USER_PASSWORD_AUTH")
    made = users(deployed, "add", "ann@example.com", "--groups", "admins")
    assert made.returncode == 0, made.stderr
    password = made.stdout.split("password: ")[1].strip()
    assert users(deployed, "token", "ann@example.com").returncode == 2  # no PASSWORD
    signed_in = users(deployed, "token", "ann@example.com", password=password)
    assert signed_in.returncode == 0, signed_in.stderr
    claims = jwt.decode(signed_in.stdout.strip(), options={"verify_signature": False})
    assert claims["aud"] == app
    assert claims["token_use"] == "id"
    assert claims["cognito:username"] == "ann@example.com"
    wrong = users(deployed, "token", "ann@example.com", password="not-it-at-all-1A!")
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("error: ")
    assert "Traceback" not in wrong.stderr


def test_login_to_a_pool_without_the_password_flow_says_why(deployed: dict[str, str]) -> None:
    """Issue 29, finding 7: `make login ENV=prod` relied on Cognito to refuse the password
    flow; the app client's flows are read first, and the refusal says what to do instead."""
    pool_stack(deployed, "monolambda-srp", "ALLOW_USER_SRP_AUTH")
    made = users(deployed, "add", "ann@example.com", stack="monolambda-srp")
    password = made.stdout.split("password: ")[1].strip()
    refused = users(deployed, "token", "ann@example.com", stack="monolambda-srp", password=password)
    assert refused.returncode == 1
    assert "does not allow the password flow" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_destroying_a_stack_that_is_gone_says_so_and_succeeds(deployed: dict[str, str]) -> None:
    """Issue 29, finding 7: `make destroy` on a stack that is already gone exited 2."""
    gone = teardown(deployed, "--confirm", "monolambda-gone", which=("--stack", "monolambda-gone"))
    assert gone.returncode == 0, gone.stderr
    assert "monolambda-gone does not exist in us-east-1: nothing to delete" in gone.stdout
