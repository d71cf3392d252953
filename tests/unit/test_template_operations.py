"""What template.yaml gives an operator: throttling, concurrency, tracing, alarms to a topic,
what a deleted stack keeps, and the outputs the README's runbooks name. Read through SAM's
own translator, as AWS would deploy it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.sam_template import deployed, template

TOPIC = "arn:aws:sns:us-east-1:123456789012:ops"
ALARMS = {
    "DeadLettersAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "JobsDeadLetters"),
    "OutboxFailuresAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "OutboxFailures"),
    "OldestJobMessageAlarm": ("AWS/SQS", "ApproximateAgeOfOldestMessage", "JobsQueue"),
    "FunctionErrorsAlarm": ("AWS/Lambda", "Errors", "MonolambdaFunction"),
    "ThrottlesAlarm": ("AWS/Lambda", "Throttles", "MonolambdaFunction"),
}


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def _function(resources: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = resources["MonolambdaFunction"]["Properties"]
    return properties


def test_the_http_api_stage_is_throttled_by_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    resources = deployed(monkeypatch, ApiRateLimit="40", ApiBurstLimit="80")
    stages = [
        s
        for s in _of_type(resources, "AWS::ApiGatewayV2::Stage").values()
        if s["Properties"].get("ApiId") == {"Ref": "HttpApi"}
    ]
    assert len(stages) == 1
    settings = stages[0]["Properties"]["DefaultRouteSettings"]
    assert {k: str(v) for k, v in settings.items()} == {
        "ThrottlingRateLimit": "40",
        "ThrottlingBurstLimit": "80",
    }


def test_reserved_concurrency_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    unset = _function(deployed(monkeypatch))
    assert "ReservedConcurrentExecutions" not in unset
    reserved = _function(deployed(monkeypatch, ReservedConcurrency="50"))
    assert str(reserved["ReservedConcurrentExecutions"]) == "50"


def test_tracing_is_a_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    off = _function(deployed(monkeypatch))
    assert off["TracingConfig"] == {"Mode": "PassThrough"}
    on = deployed(monkeypatch, Tracing="Active")
    assert _function(on)["TracingConfig"] == {"Mode": "Active"}
    # X-Ray's PutTraceSegments takes no resource: its managed policy is the one place "*" is.
    (role,) = _of_type(on, "AWS::IAM::Role").values()
    arns = [str(a) for a in role["Properties"]["ManagedPolicyArns"]]
    assert any("AWSXrayWriteOnlyAccess" in a for a in arns)


def test_no_alarm_without_a_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    resources = deployed(monkeypatch)
    assert _of_type(resources, "AWS::CloudWatch::Alarm") == {}


def _metric(alarm: dict[str, Any]) -> tuple[str, str, Any]:
    (dimension,) = alarm["Dimensions"]
    return alarm["Namespace"], alarm["MetricName"], dimension["Value"]


def test_every_alarm_watches_this_stack_and_tells_the_topic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resources = deployed(monkeypatch, AlarmTopicArn=TOPIC)
    alarms = {k: v["Properties"] for k, v in _of_type(resources, "AWS::CloudWatch::Alarm").items()}
    assert set(alarms) == {*ALARMS, "DurationAlarm"}
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [TOPIC], name
        assert alarm["OKActions"] == [TOPIC], name
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert "docs/operations.md" in alarm["AlarmDescription"], name  # where to read what to do
    for name, (namespace, metric, resource) in ALARMS.items():
        found = _metric(alarms[name])
        assert found[:2] == (namespace, metric), name
        # The dimension names this stack's resource (a queue's name, the function's).
        assert resource in str(found[2]), name
    duration = alarms["DurationAlarm"]
    (p99,) = [m for m in duration["Metrics"] if m["Id"] == "p99"]
    assert p99["MetricStat"]["Stat"] == "p99"
    assert p99["MetricStat"]["Metric"]["MetricName"] == "Duration"
    (share,) = [m for m in duration["Metrics"] if m.get("ReturnData")]
    assert "${Timeout}" in str(share["Expression"])
    assert duration["Threshold"] == 0.8


@pytest.mark.parametrize(("environment", "policy"), [("prod", "Retain"), ("dev", "Delete")])
def test_what_a_deleted_stack_keeps(
    monkeypatch: pytest.MonkeyPatch, environment: str, policy: str
) -> None:
    resources = deployed(monkeypatch, Environment=environment)
    for kept in ("UserPool", "JobsTable", "DataBucket"):
        assert resources[kept]["DeletionPolicy"] == policy, kept
        assert resources[kept]["UpdateReplacePolicy"] == policy, kept
    # Nothing else is kept: the rest holds nothing an operator needs after a delete.
    others = {
        k: v.get("DeletionPolicy")
        for k, v in resources.items()
        if k not in {"UserPool", "JobsTable", "DataBucket"} and v.get("DeletionPolicy")
    }
    assert set(others.values()) <= {"Delete"}, others


def test_the_function_logs_to_a_group_with_a_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    resources = deployed(monkeypatch, LogRetentionDays="14")
    logs = resources["FunctionLogs"]["Properties"]
    assert str(logs["RetentionInDays"]) == "14"
    assert _function(resources)["LoggingConfig"] == {"LogGroup": {"Ref": "FunctionLogs"}}


def test_the_outputs_an_operator_needs() -> None:
    outputs = template()["Outputs"]
    assert {
        "GraphQLUrl",
        "WebSocketUrl",
        "DataBucketName",
        "FunctionName",
        "FunctionLogGroup",
        "JobsTableName",
        "ConnectionsTableName",
        "JobsQueueUrl",
        "JobsDeadLetterQueueUrl",
        "JobsDeadLetterQueueArn",
        "OutboxFailuresQueueUrl",
        "HttpApiId",
        "WebSocketApiId",
        "UserPoolId",
        "UserPoolClientId",
        "WebConfig",
        "AuthDomainUrl",
    } <= set(outputs)


def test_snapstart_snapshots_a_version_that_every_trigger_invokes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = deployed(monkeypatch)
    assert "SnapStart" not in _function(plain)
    assert not _of_type(plain, "AWS::Lambda::Alias")
    resources = deployed(monkeypatch, SnapStart="PublishedVersions")
    assert _function(resources)["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    (alias_id,) = _of_type(resources, "AWS::Lambda::Alias")
    alias = {"Ref": alias_id}
    for mapping in _of_type(resources, "AWS::Lambda::EventSourceMapping").values():
        assert mapping["Properties"]["FunctionName"] == alias
    notification = resources["DataBucket"]["Properties"]["NotificationConfiguration"]
    assert notification["LambdaConfigurations"][0]["Function"] == alias
    for permission in ("UploadNotificationPermission", "WebSocketInvokePermission"):
        assert resources[permission]["Properties"]["FunctionName"] == alias, permission
    uri = resources["WebSocketIntegration"]["Properties"]["IntegrationUri"]
    assert alias_id in str(uri)
    # SAM's own events (the HTTP API's routes, the schedule) invoke the alias too.
    invoked = [
        str(p["Properties"]["FunctionName"])
        for p in _of_type(resources, "AWS::Lambda::Permission").values()
    ]
    assert all(alias_id in f for f in invoked), invoked
    rule = next(iter(_of_type(resources, "AWS::Events::Rule").values()))
    assert alias_id in str(rule["Properties"]["Targets"])
