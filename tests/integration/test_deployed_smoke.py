"""The deployed-stack smoke test (tests/e2e/test_deployed_stack.py), run against the local
stack: its outputs served by moto's CloudFormation, as AWS would serve a deployed stack's, so
that the smoke test itself is known to work before anyone points it at AWS."""

from __future__ import annotations

import json
import os

import boto3

from tests.support.deployed import run_smoke_test
from tests.support.processes import free_port, start, stop
from tests.support.stack import RunningStack


def test_the_smoke_test_passes_against_the_local_stack(jobs_stack: RunningStack) -> None:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto, _ = start(["-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], ready="Running on")
    try:
        template = {
            # A stack needs one resource; the outputs are what the smoke test reads.
            "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {
                "GraphQLUrl": {"Value": f"{jobs_stack.api}/graphql"},
                "WebSocketUrl": {"Value": jobs_stack.api.replace("http", "ws", 1) + "/graphql"},
            },
        }
        boto3.client(
            "cloudformation",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="smoke",
            aws_secret_access_key="smoke",
        ).create_stack(StackName="monolambda-smoke", TemplateBody=json.dumps(template))
        receiver_port = free_port()
        env = {
            **os.environ,
            "MONOLAMBDA_STACK": "monolambda-smoke",
            "MONOLAMBDA_TOKEN": jobs_stack.token,
            # In dev a webhook may go to 127.0.0.1 (the local stack's own policy).
            "MONOLAMBDA_RECEIVER_URL": f"http://127.0.0.1:{receiver_port}/hook",
            "MONOLAMBDA_RECEIVER_PORT": str(receiver_port),
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "smoke",
            "AWS_SECRET_ACCESS_KEY": "smoke",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        run, outcomes = run_smoke_test(env)
    finally:
        stop(moto)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert set(outcomes.values()) == {"PASSED"}, run.stdout[-4000:]
    assert len(outcomes) == 6, outcomes
