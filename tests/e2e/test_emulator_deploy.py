"""The deploy, proven on every change: `make deploy RESOLVED=1` puts the stack on an AWS
emulator running here without Docker (ministack, pinned in requirements-emulator.txt, in
.venv-emulator), `make user` and `make login` give it a user and a token, the deployed-stack
smoke test (tests/e2e/test_deployed_stack.py) runs against it, and `make destroy` removes it,
leaving nothing behind. A failed first prod deploy and its rollback are tried too.

Where the emulator lacks a feature, the step is recorded as the emulator's gap, an expected
failure with the emulator's version and the reason (strict: a gap that closes fails the run,
so the record stays true); the template is not bent for it. One gap is worked around here,
in the test, because every later step needs it: the emulator does not make an HTTP API's
routes from the OpenAPI `Body` SAM writes, so the test makes those routes through the
emulator's own API Gateway v2 calls, from the deployed template's `Body`.

Nothing leaves this machine: the emulator listens on 127.0.0.1, and every process here (the
emulator, the function it runs, sam) has HTTPS_PROXY pointing at a closed port on 127.0.0.1
with NO_PROXY for 127.0.0.1, so a call to an AWS host name (the function's @connections
calls, sam's version check) is refused locally instead of leaving.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.deployed import aws_client, run_smoke_test
from tests.support.docs import named_block
from tests.support.processes import ROOT, free_port, start, stop

pytestmark = pytest.mark.slow

MINISTACK = ROOT / ".venv-emulator" / "bin" / "ministack"
VERSION = re.search(r"ministack\[full\]==(\S+)", (ROOT / "requirements-emulator.in").read_text())
EMULATOR = f"ministack {VERSION.group(1) if VERSION else '?'}"
STACK = "monolambda-dev"  # samconfig.toml's dev stack
ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[
    platform.machine().lower()
]

# The smoke test's steps this emulator cannot run, with why (MONOLAMBDA_KNOWN_GAPS).
SMOKE_GAPS = {
    "test_a_job_watched_over_the_websocket_api": (
        f"{EMULATOR}: the WebSocket API's management endpoint (@connections) and the user "
        "pool's keys (jwks.json) are only at AWS host names, which the emulator does not "
        "answer, so the function can post no connection_ack"
    ),
}
SMOKE_STEPS = {
    "test_a_query",
    "test_a_predict",
    "test_a_job_to_completion",
    "test_a_job_watched_over_the_websocket_api",
    "test_a_job_started_by_an_upload",
    "test_a_webhook_reaches_a_receiver",
}
SUBPROTOCOL_GAP = (
    f"{EMULATOR}: a WebSocket API does not pass on the Sec-WebSocket-Protocol its $connect "
    "route answers with, so graphql-ws clients report 'Server sent no subprotocol'"
)
LANGUAGE_EXTENSIONS_GAP = (
    f"{EMULATOR}: AWS::LanguageExtensions leaves Fn::If unresolved, and SAM's transform then "
    "refuses AutoPublishAlias and Auth; `make deploy RESOLVED=1` deploys the resolved template"
)
ROUTES_GAP = (
    f"{EMULATOR}: AWS::ApiGatewayV2::Api ignores its OpenAPI Body, where SAM puts an "
    "HttpApi's routes, integrations and JWT authorizer, so the API has no routes"
)


def aws(env: dict[str, str], service: str) -> Any:
    return aws_client(service, env)


def documented(goal: str) -> tuple[dict[str, str], list[str]]:
    """The docs' `make GOAL ...` line of "Deploying to an emulator by hand" (docs/deploy.md):
    the variables set before it, and its arguments after `make`."""
    for line in named_block("emulator-deploy").text.splitlines():
        command = line.split("  #")[0].strip()
        if "$(" in command:  # export TOKEN=$(... make -s login ...)
            command = command[command.index("$(") + 2 : command.rindex(")")]
        words = shlex.split(command)
        variables = {}
        while words and words[0] != "make" and "=" in words[0]:
            name, _, value = words.pop(0).partition("=")
            variables[name] = value
        arguments = [w for w in words[1:] if w != "-s"]
        if words[:1] == ["make"] and arguments[:1] == [goal]:
            return variables, arguments
    raise AssertionError(f"docs/deploy.md shows no `make {goal}` to an emulator")


def make(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The emulator on a port of its own; the environment that points AWS clients at it."""
    venv = make({}, "emulator")
    assert venv.returncode == 0, venv.stdout + venv.stderr
    port = free_port()
    refused = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "emulator",
        "AWS_SECRET_ACCESS_KEY": "emulator",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HTTPS_PROXY": refused,
        "HTTP_PROXY": refused,
        "NO_PROXY": "127.0.0.1,localhost",
        "SAM_CLI_TELEMETRY": "0",
    }
    process, _ = start(
        [],
        program=str(MINISTACK),
        ready="Ready",
        timeout=120,
        env={
            **env,
            "GATEWAY_PORT": str(port),
            "BIND_HOST": "127.0.0.1",
            "IOT_MTLS_ENABLED": "0",  # a second listener, on a fixed port
            "SFTP_ENABLED": "0",
            "STATE_DIR": str(tmp_path_factory.mktemp("emulator")),
        },
    )
    try:
        yield env
    finally:
        stop(process)


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`make build`, on its own and without the refusing proxy: it installs the function's
    packages from the registry. The deploys after it find the build cached."""
    where = str(tmp_path_factory.mktemp("build"))
    built = make({}, "build", f"BUILD_DIR={where}", f"ARCH={ARCH}")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return where


@pytest.fixture(scope="module")
def deployed(emulator: dict[str, str], build_dir: str) -> dict[str, str]:
    """`make deploy ENV=dev RESOLVED=1`, as docs/deploy.md shows it: the build, the resolved
    template, sam deploy, then the stack's secrets and models."""
    began = time.monotonic()
    _, shown = documented("deploy")
    arguments = [f"ARCH={ARCH}" if a.startswith("ARCH=") else a for a in shown]
    done = make(emulator, *arguments, f"BUILD_DIR={build_dir}")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    print(f"make deploy RESOLVED=1 on {EMULATOR}: {time.monotonic() - began:.1f} s")
    (stack,) = aws(emulator, "cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or ()}


def test_the_deploy_made_the_stack_its_secrets_and_its_models(
    emulator: dict[str, str], deployed: dict[str, str]
) -> None:
    (stack,) = aws(emulator, "cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    names = {p["Name"] for p in aws(emulator, "ssm").describe_parameters()["Parameters"]}
    assert {f"/{STACK}/secrets/cursor-key", f"/{STACK}/secrets/webhook-key"} <= names
    listed = aws(emulator, "s3").list_objects_v2(Bucket=deployed["DataBucketName"])
    keys = {o["Key"] for o in listed.get("Contents", ())}
    assert "models/digits/2/model.onnx" in keys


def test_the_outputs_are_the_apis_own_endpoints(
    emulator: dict[str, str], deployed: dict[str, str]
) -> None:
    """GraphQLUrl and WebSocketUrl come from each API's ApiEndpoint (on AWS
    https://{id}.execute-api.{region}.amazonaws.com), not a host name put together."""
    apis = aws(emulator, "apigatewayv2")
    http = apis.get_api(ApiId=deployed["HttpApiId"])["ApiEndpoint"]
    websocket = apis.get_api(ApiId=deployed["WebSocketApiId"])["ApiEndpoint"]
    assert deployed["GraphQLUrl"] == f"{http}/graphql"
    assert deployed["WebSocketUrl"] == f"{websocket}/live"
    assert "WebConfig" not in deployed  # a pool without hosted sign-in: no config, no sentence


@pytest.mark.xfail(reason=ROUTES_GAP, strict=True)
def test_the_http_apis_routes_come_from_the_template(
    emulator: dict[str, str], deployed: dict[str, str]
) -> None:
    routes = aws(emulator, "apigatewayv2").get_routes(ApiId=deployed["HttpApiId"])["Items"]
    assert {r["RouteKey"] for r in routes} >= {"POST /graphql", "GET /graphql"}


@pytest.fixture(scope="module")
def routes(emulator: dict[str, str], deployed: dict[str, str]) -> list[str]:
    """The emulator's gap worked around (ROUTES_GAP): the HTTP API's routes, integrations
    and JWT authorizer made from the deployed template's OpenAPI Body, as AWS imports it."""
    return routes_from_the_body(emulator, deployed["HttpApiId"])


@pytest.fixture(scope="module")
def token(emulator: dict[str, str], deployed: dict[str, str]) -> str:
    variables, user = documented("user")
    added = make({**emulator, **variables}, *user)
    assert added.returncode == 0, added.stdout + added.stderr
    variables, login_as = documented("login")
    login = make({**emulator, **variables}, *login_as)
    assert login.returncode == 0, login.stdout + login.stderr
    return login.stdout.strip()


def test_the_smoke_test_passes_where_the_emulator_can_run_it(
    emulator: dict[str, str], deployed: dict[str, str], routes: list[str], token: str
) -> None:
    assert set(routes) == {"POST /graphql", "GET /graphql"}
    endpoint = emulator["AWS_ENDPOINT_URL"]
    receiver_port = free_port()
    env = {
        **os.environ,
        **emulator,
        "MONOLAMBDA_STACK": STACK,
        "MONOLAMBDA_TOKEN": token,
        # The emulator answers each API at a path of its own address (its host names,
        # {id}.execute-api.localhost, do not resolve everywhere).
        "MONOLAMBDA_GRAPHQL_URL": (
            f"{endpoint}/_aws/execute-api/{deployed['HttpApiId']}/$default/graphql"
        ),
        "MONOLAMBDA_WEBSOCKET_URL": (
            endpoint.replace("http", "ws", 1)
            + f"/_aws/execute-api/{deployed['WebSocketApiId']}/live"
        ),
        # The function runs on this machine, and a dev stack may call back 127.0.0.1.
        "MONOLAMBDA_RECEIVER_URL": f"http://127.0.0.1:{receiver_port}/hook",
        "MONOLAMBDA_RECEIVER_PORT": str(receiver_port),
        "MONOLAMBDA_KNOWN_GAPS": json.dumps(SMOKE_GAPS),
    }
    run, outcomes = run_smoke_test(env)
    print("\n".join(f"{outcome:7} {step}" for step, outcome in sorted(outcomes.items())))
    expected = {step: "XFAIL" if step in SMOKE_GAPS else "PASSED" for step in SMOKE_STEPS}
    assert outcomes == expected, run.stdout[-6000:]
    assert run.returncode == 0, run.stdout[-6000:]


@pytest.mark.xfail(reason=SUBPROTOCOL_GAP, strict=True)
def test_the_websocket_api_answers_with_the_chosen_subprotocol(
    emulator: dict[str, str], deployed: dict[str, str]
) -> None:
    """The function's $connect answers Sec-WebSocket-Protocol: graphql-transport-ws (browsers
    and the npm graphql-ws client drop a socket without it); API Gateway passes it on."""
    from websockets.sync.client import connect  # noqa: PLC0415
    from websockets.typing import Subprotocol  # noqa: PLC0415

    url = emulator["AWS_ENDPOINT_URL"].replace("http", "ws", 1)
    url += f"/_aws/execute-api/{deployed['WebSocketApiId']}/live"
    with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=60) as ws:
        assert ws.subprotocol == "graphql-transport-ws"


def test_the_sweepers_schedule_targets_the_function(
    emulator: dict[str, str], deployed: dict[str, str]
) -> None:
    """The schedule (every 5 minutes) is a rule whose target is the function, and the event
    it sends runs the sweeper in the deployed artifact."""
    events = aws(emulator, "events")
    functions = aws(emulator, "lambda")
    arn = functions.get_function(FunctionName=deployed["FunctionName"])["Configuration"][
        "FunctionArn"
    ]
    (rule,) = [
        r
        for r in events.list_rules()["Rules"]
        if any(t["Arn"] == arn for t in events.list_targets_by_rule(Rule=r["Name"])["Targets"])
    ]
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    tick = json.loads((ROOT / "events" / "schedule-sweep.json").read_text())
    tick["resources"] = [rule["Arn"]]
    answer = functions.invoke(FunctionName=arn, Payload=json.dumps(tick).encode())
    assert "FunctionError" not in answer, answer["Payload"].read()
    summary = json.loads(answer["Payload"].read())
    assert {"requeued", "failed"} <= set(summary), summary


def test_destroy_leaves_nothing_behind(emulator: dict[str, str], deployed: dict[str, str]) -> None:
    _, destroy = documented("destroy")
    destroyed = make(emulator, *destroy)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert f"stack     {STACK} deleted" in destroyed.stdout
    assert what_is_left(emulator) == {}
    again = make(emulator, *destroy)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{STACK} does not exist in us-east-1: nothing to delete" in again.stdout


@pytest.mark.xfail(reason=LANGUAGE_EXTENSIONS_GAP, strict=True)
def test_the_template_deploys_as_written(emulator: dict[str, str], build_dir: str) -> None:
    """`make deploy` without RESOLVED: CloudFormation runs AWS::LanguageExtensions, then SAM."""
    try:
        done = make(
            emulator, "deploy", "ENV=dev", f"ARCH={ARCH}", "CONFIRM=no", f"BUILD_DIR={build_dir}"
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    finally:
        make(emulator, "destroy", "ENV=dev", f"CONFIRM_STACK={STACK}")


def test_a_failed_first_prod_deploy_says_what_its_rollback_kept(
    emulator: dict[str, str], tmp_path: Path
) -> None:
    """Issue 29, finding 4: a first prod deploy that failed left its Retain resources (the
    user pool, the jobs table) and nobody was told. Here a template with the same Retain
    policies and one resource CloudFormation refuses (a queue whose retention is below
    SQS's minimum, refused on AWS too) stands for that deploy: deploy says what the rollback
    kept and how to remove it, destroy deletes the rolled-back stack and says it again, and
    the commands it prints remove them."""
    stack = "monolambda-prod"
    (tmp_path / "template.yaml").write_text(json.dumps(rolled_back_template()))
    failed = subprocess.run(
        [
            ROOT / ".venv/bin/python",
            "scripts/deploy.py",
            "deploy",
            "prod",
            "--confirm",
            "no",
            "--build-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        env={**os.environ, **emulator},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert failed.returncode != 0
    assert "no secrets were made, no models seeded" in failed.stderr
    kept = aws(emulator, "dynamodb").list_tables()["TableNames"]
    (pool,) = [
        p["Id"] for p in aws(emulator, "cognito-idp").list_user_pools(MaxResults=10)["UserPools"]
    ]
    (table,) = kept
    assert f"aws dynamodb delete-table --table-name {table}" in failed.stdout
    assert f"aws cognito-idp delete-user-pool --user-pool-id {pool}" in failed.stdout

    destroyed = make(emulator, "destroy", "ENV=prod", f"CONFIRM_STACK={stack}")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert f"aws dynamodb delete-table --table-name {table}" in destroyed.stdout
    gone = make(emulator, "destroy", "ENV=prod", f"CONFIRM_STACK={stack}")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert f"aws cognito-idp delete-user-pool --user-pool-id {pool}" in gone.stdout

    # What the printed commands do, through the same APIs.
    aws(emulator, "dynamodb").delete_table(TableName=table)
    aws(emulator, "cognito-idp").delete_user_pool(UserPoolId=pool)
    clean = make(emulator, "destroy", "ENV=prod", f"CONFIRM_STACK={stack}")
    assert "left " not in clean.stdout, clean.stdout


def rolled_back_template() -> dict[str, Any]:
    from scripts.deploy import environment_overrides  # noqa: PLC0415

    return {
        # samconfig's prod overrides name these; a stack refuses parameters it does not declare.
        "Parameters": {name: {"Type": "String"} for name in environment_overrides("prod")},
        "Resources": {
            "JobsTable": {
                "Type": "AWS::DynamoDB::Table",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                },
            },
            "UserPool": {
                "Type": "AWS::Cognito::UserPool",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {"UserPoolName": "monolambda-prod-users"},
            },
            "Refused": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": ["JobsTable", "UserPool"],
                "Properties": {"MessageRetentionPeriod": 1},
            },
        },
    }


def what_is_left(env: dict[str, str]) -> dict[str, list[str]]:
    """Everything the emulator holds but sam's own bucket and stack (`--resolve-s3`)."""
    left = {
        "tables": aws(env, "dynamodb").list_tables()["TableNames"],
        "queues": aws(env, "sqs").list_queues().get("QueueUrls", []),
        "functions": [f["FunctionName"] for f in aws(env, "lambda").list_functions()["Functions"]],
        "mappings": [
            m["UUID"]
            for m in aws(env, "lambda").list_event_source_mappings()["EventSourceMappings"]
        ],
        "buckets": [
            b["Name"]
            for b in aws(env, "s3").list_buckets()["Buckets"]
            if not b["Name"].startswith("aws-sam-cli-managed-default")
        ],
        "parameters": [p["Name"] for p in aws(env, "ssm").describe_parameters()["Parameters"]],
        "user pools": [
            p["Id"] for p in aws(env, "cognito-idp").list_user_pools(MaxResults=10)["UserPools"]
        ],
        "apis": [a["ApiId"] for a in aws(env, "apigatewayv2").get_apis()["Items"]],
        "rules": [r["Name"] for r in aws(env, "events").list_rules()["Rules"]],
        "roles": [
            r["RoleName"]
            for r in aws(env, "iam").list_roles()["Roles"]
            if r["RoleName"].startswith(STACK)
        ],
        "stacks": [
            s["StackName"]
            for s in aws(env, "cloudformation").list_stacks()["StackSummaries"]
            if s["StackStatus"] != "DELETE_COMPLETE"
            and s["StackName"] != "aws-sam-cli-managed-default"
        ],
    }
    return {kind: names for kind, names in left.items() if names}


def routes_from_the_body(env: dict[str, str], api_id: str) -> list[str]:
    """What AWS does with an ApiGatewayV2::Api's Body (an OpenAPI import), done through the
    emulator's API Gateway v2 calls: the deployed template's Body, its ${...} resolved with
    the stack's physical ids."""
    cloudformation = aws(env, "cloudformation")
    raw = cloudformation.get_template(StackName=STACK, TemplateStage="Processed")["TemplateBody"]
    template = json.loads(raw) if isinstance(raw, str) else raw
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=STACK)["StackResources"]
    }
    (body,) = [
        r["Properties"]["Body"]
        for logical, r in template["Resources"].items()
        if physical.get(logical) == api_id
    ]
    functions = aws(env, "lambda")

    def resolved(value: Any) -> Any:
        if isinstance(value, list):
            return [resolved(v) for v in value]
        if isinstance(value, dict) and "Ref" in value:
            return physical[value["Ref"]]
        if isinstance(value, dict) and "Fn::Sub" in value:
            pseudo = {
                "AWS::Partition": "aws",
                "AWS::Region": env["AWS_DEFAULT_REGION"],
                "AWS::URLSuffix": "amazonaws.com",
            }

            def one(match: re.Match[str]) -> str:
                name = match.group(1)
                if name.endswith(".Arn"):
                    found = functions.get_function(FunctionName=physical[name[:-4]])
                    return str(found["Configuration"]["FunctionArn"])
                return pseudo.get(name) or physical[name]

            return re.sub(r"\$\{([^}]+)\}", one, value["Fn::Sub"])
        return value

    apis = aws(env, "apigatewayv2")
    authorizers = {}
    for name, scheme in body.get("components", {}).get("securitySchemes", {}).items():
        authorizer = scheme["x-amazon-apigateway-authorizer"]
        jwt = authorizer["jwtConfiguration"]
        authorizers[name] = apis.create_authorizer(
            ApiId=api_id,
            Name=name,
            AuthorizerType="JWT",
            IdentitySource=[authorizer["identitySource"]],
            JwtConfiguration={
                "Issuer": resolved(jwt["issuer"]),
                "Audience": resolved(jwt["audience"]),
            },
        )["AuthorizerId"]
    made = []
    for path, methods in body["paths"].items():
        for method, operation in methods.items():
            integration = operation["x-amazon-apigateway-integration"]
            integration_id = apis.create_integration(
                ApiId=api_id,
                IntegrationType="AWS_PROXY",
                IntegrationMethod=integration["httpMethod"],
                IntegrationUri=resolved(integration["uri"]),
                PayloadFormatVersion=integration["payloadFormatVersion"],
            )["IntegrationId"]
            schemes = [name for s in operation.get("security", ()) for name in s]
            auth: dict[str, str] = {"AuthorizationType": "NONE"}
            if schemes and schemes[0] in authorizers:
                auth = {"AuthorizationType": "JWT", "AuthorizerId": authorizers[schemes[0]]}
            route = apis.create_route(
                ApiId=api_id,
                RouteKey=f"{method.upper()} {path}",
                Target=f"integrations/{integration_id}",
                **auth,
            )
            made.append(str(route["RouteKey"]))
    return made
