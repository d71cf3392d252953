"""The template's resources, made real in DynamoDB Local and moto, and the drift check."""

from __future__ import annotations

import json
import shutil
import tomllib
import uuid
from pathlib import Path

import pytest
from cfnlint.decode import decode

from devstack.names import LocalNames
from devstack.resources import Endpoints, LocalResources, drift
from devstack.template import load
from tests.support.stack import FIXTURE_TEMPLATE, RunningStack, http

DEAD_LETTERS = "monolambda-local-WorkDeadLetters"


def resources_for(stack: RunningStack, template_path: Path = FIXTURE_TEMPLATE) -> LocalResources:
    template = load(template_path)
    names = LocalNames(template, region=stack.region, sqs_endpoint=stack.moto)
    return LocalResources(template, names, Endpoints(stack.dynamodb, stack.moto, stack.region))


def test_everything_the_template_declares_exists(resources_stack: RunningStack) -> None:
    table = resources_stack.client("dynamodb").describe_table(
        TableName="monolambda-local-ItemsTable"
    )["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "by-owner"
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    ttl = resources_stack.client("dynamodb").describe_time_to_live(
        TableName="monolambda-local-ItemsTable"
    )
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires"
    sqs = resources_stack.client("sqs")
    url = sqs.get_queue_url(QueueName="monolambda-local-WorkQueue")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "2"
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": f"arn:aws:sqs:us-east-1:123456789012:{DEAD_LETTERS}",
        "maxReceiveCount": 2,
    }
    buckets = [b["Name"] for b in resources_stack.client("s3").list_buckets()["Buckets"]]
    assert buckets == ["monolambda-local-filesbucket"]
    parameter = resources_stack.client("ssm").get_parameter(Name="/monolambda-local/test/greeting")
    assert parameter["Parameter"]["Value"] == "hello"


def test_the_function_sees_local_names_and_endpoints(resources_stack: RunningStack) -> None:
    status, _, raw = http(
        f"{resources_stack.api}/echo", data=b"{}", headers={"content-type": "application/json"}
    )
    assert status == 200
    echoed = json.loads(raw)
    assert echoed["environment"] == {
        "DEAD_LETTERS_ARN": "arn:aws:sqs:us-east-1:123456789012:monolambda-local-WorkDeadLetters",
        "FILES_BUCKET": "monolambda-local-filesbucket",
        "GREETING_PARAMETER": "/monolambda-local/test/greeting",
        "ITEMS_TABLE": "monolambda-local-ItemsTable",
        "WORK_QUEUE_URL": f"{resources_stack.moto}/123456789012/monolambda-local-WorkQueue",
    }
    assert echoed["endpoint"] == resources_stack.moto


def test_without_an_authorizer_no_claims_are_passed(resources_stack: RunningStack) -> None:
    headers = {
        "content-type": "application/json",
        "authorization": f"Bearer {resources_stack.token}",
    }
    status, _, raw = http(f"{resources_stack.api}/echo", data=b"{}", headers=headers)
    assert status == 200
    assert json.loads(raw)["claims"] is None


def test_no_drift_between_template_and_stand_ins(resources_stack: RunningStack) -> None:
    resources = resources_for(resources_stack)
    assert drift(resources.expected(), resources.actual()) == []


def test_drift_when_the_stand_ins_change(resources_stack: RunningStack) -> None:
    sqs = resources_stack.client("sqs")
    url = sqs.get_queue_url(QueueName="monolambda-local-WorkQueue")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "45"})
    resources = resources_for(resources_stack)
    assert drift(resources.expected(), resources.actual()) == [
        "WorkQueue.VisibilityTimeout: template '2', local '45'"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda t: t["Resources"]["ItemsTable"]["Properties"]["GlobalSecondaryIndexes"][0][
                "Projection"
            ].update(ProjectionType="KEYS_ONLY"),
            "ItemsTable.global_indexes",
        ),
        (
            lambda t: t["Resources"]["WorkQueue"]["Properties"]["RedrivePolicy"].update(
                maxReceiveCount=5
            ),
            "WorkQueue.RedrivePolicy",
        ),
        (lambda t: t["Resources"].update(Extra={"Type": "AWS::S3::Bucket"}), "Extra.exists"),
    ],
)
def test_drift_when_the_template_changes(
    resources_stack: RunningStack, tmp_path: Path, change: object, expected: str
) -> None:
    # The same template as JSON (read by cfn-lint's decoder, intrinsics and all), one thing changed.
    decoded, problems = decode(str(FIXTURE_TEMPLATE))
    assert decoded is not None
    assert not problems
    template = json.loads(json.dumps(decoded, default=str))
    change(template)  # type: ignore[operator]
    shutil.copytree(FIXTURE_TEMPLATE.parent / "src", tmp_path / "src")
    (tmp_path / "template.json").write_text(json.dumps(template))
    resources = resources_for(resources_stack, tmp_path / "template.json")
    differences = drift(resources.expected(), resources.actual())
    assert any(line.startswith(expected) for line in differences), differences


def test_an_env_vars_file_for_sam_local_in_docker(resources_stack: RunningStack) -> None:
    written = json.loads((resources_stack.state_dir / "sam-local-env.json").read_text())
    worker = written["Worker"]
    assert worker["ITEMS_TABLE"] == "monolambda-local-ItemsTable"
    assert worker["AWS_ENDPOINT_URL"].startswith("http://host.docker.internal:")
    # Found as a new user: a queue URL at 127.0.0.1, which a container cannot reach.
    assert not [v for v in worker.values() if "127.0.0.1" in v], worker
    assert worker["AWS_ENDPOINT_URL_DYNAMODB"].startswith("http://host.docker.internal:")


def test_a_samconfig_for_sam_local_with_this_stacks_ports(app_stack: RunningStack) -> None:
    """Found as a new user: samconfig.toml named .dev/ and ports 5000/8000 whatever the state
    directory and ports; its env file had ANONYMOUS_ACCESS false under AuthEnabled=false."""
    config = tomllib.loads((app_stack.state_dir / "samconfig.toml").read_text())
    for command in ("local_start_api", "local_invoke"):
        parameters = config["default"][command]["parameters"]
        env_file = Path(parameters["env_vars"])
        assert env_file == (app_stack.state_dir / "sam-local-env.json").resolve()
        overrides = dict(pair.split("=", 1) for pair in parameters["parameter_overrides"].split())
        assert overrides["AuthEnabled"] == "false"
        moto_port = app_stack.moto.rsplit(":", 1)[1]
        dynamodb_port = app_stack.dynamodb.rsplit(":", 1)[1]
        assert overrides["LocalAwsEndpoint"] == f"http://host.docker.internal:{moto_port}"
        assert overrides["LocalDynamoDbEndpoint"] == f"http://host.docker.internal:{dynamodb_port}"
        function = json.loads(env_file.read_text())["MonolambdaFunction"]
        assert function["ANONYMOUS_ACCESS"] == "true"
        assert function["JOBS_QUEUE_URL"].startswith(f"http://host.docker.internal:{moto_port}/")


def test_fifo_deduplication_holds_five_minutes_after_the_first_is_consumed(
    stack: RunningStack,
) -> None:
    """As SQS does (moto dropped a duplicate only while the first was still queued): the jobs'
    outbox sends a job's message again after the submit sent it, often once it is done."""
    sqs = stack.client("sqs")
    url = sqs.create_queue(
        QueueName=f"dedup-{uuid.uuid4().hex[:8]}.fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    first = {"QueueUrl": url, "MessageBody": "job", "MessageGroupId": "g"}
    sqs.send_message(**first, MessageDeduplicationId="job-1.1")
    (received,) = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received["ReceiptHandle"])
    sqs.send_message(**first, MessageDeduplicationId="job-1.1")  # accepted, not delivered
    sqs.send_message(**first, MessageDeduplicationId="job-1.2")  # a new enqueue: delivered
    bodies = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert len(bodies["Messages"]) == 1
    sqs.delete_queue(QueueUrl=url)
