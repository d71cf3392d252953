"""The triggers in template.yaml: S3's notification (without a circular dependency), the
stream's mapping, the schedule; read with the real parsers, names resolved as the local
stack resolves them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from samcli.yamlhelper import yaml_dump, yaml_parse

from devstack.names import LocalNames
from devstack.template import LocalTemplate, load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> LocalTemplate:
    return load(ROOT / "template.yaml")


def test_new_uploads_invoke_the_function_once_s3_may(template: LocalTemplate) -> None:
    (notification,) = template.bucket_notifications
    assert notification.bucket == "DataBucket"
    assert notification.function == "MonolambdaFunction"
    assert notification.events == ("s3:ObjectCreated:*",)
    assert notification.filter_rules == (("prefix", "uploads/"),)
    permission = template.resources["UploadNotificationPermission"].properties
    assert permission["Principal"] == "s3.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_the_bucket_is_named_once_and_never_referenced(template: LocalTemplate) -> None:
    """The notification needs the function and the function's policy needs the bucket: a Ref
    or GetAtt each way is a circular dependency (cfn-lint's E3004 in `make test`), so the
    bucket's name is text the function, its policy and S3's permission all spell alike."""
    names = LocalNames(template, region="us-east-1")
    bucket = names.physical_name("DataBucket")
    function = template.functions["MonolambdaFunction"]
    assert names.resolve(function.raw_environment["MODELS_BUCKET"]) == bucket
    permission = template.resources["UploadNotificationPermission"].properties
    assert names.resolve(permission["SourceArn"]) == f"arn:aws:s3:::{bucket}"
    s3_resources = [
        r
        for s in _statements(template)
        if any(str(a).startswith("s3:") for a in _listed(s["Action"]))
        for r in _listed(names.resolve(s["Resource"]))
    ]
    assert s3_resources
    assert all(
        r == f"arn:aws:s3:::{bucket}" or r.startswith(f"arn:aws:s3:::{bucket}/")
        for r in s3_resources
    )
    text = (ROOT / "template.yaml").read_text()
    assert "!Ref DataBucket" not in text.split("Outputs:")[0]
    assert "DataBucket.Arn" not in text


def test_the_deployed_template_has_the_aliases_written_out() -> None:
    """CloudFormation refuses YAML aliases; `sam build` and `sam deploy` write the template
    again with each one expanded, as here."""
    written = yaml_dump(yaml_parse((ROOT / "template.yaml").read_text()))
    assert "*DataBucketName" not in written
    assert "&DataBucketName" not in written


def _statements(template: LocalTemplate) -> list[dict[str, Any]]:
    role = next(r for r in template.of_type("AWS::IAM::Role"))
    return [s for p in role.properties["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_schedule_runs_the_sweeper_every_five_minutes(template: LocalTemplate) -> None:
    (schedule,) = template.schedules
    assert (schedule.function, schedule.expression, schedule.interval_s) == (
        "MonolambdaFunction",
        "rate(5 minutes)",
        300.0,
    )
    assert schedule.enabled
    permission = template.resources[f"{schedule.logical_id}Permission"].properties
    assert permission["Principal"] == "events.amazonaws.com"


def test_the_webhook_key_is_a_secure_string_the_function_alone_may_read(
    template: LocalTemplate,
) -> None:
    names = LocalNames(template, region="us-east-1")
    key = "/monolambda-local/secrets/webhook-key"
    assert key in [names.resolve(p) for p in template.secure_parameters]
    function = template.functions["MonolambdaFunction"]
    assert names.resolve(function.raw_environment["WEBHOOK_KEY_PARAMETER"]) == key
    readable = [
        r
        for s in _statements(template)
        if "ssm:GetParameter" in _listed(s["Action"])
        for r in _listed(names.resolve(s["Resource"]))
    ]
    assert f"arn:aws:ssm:us-east-1:123456789012:parameter{key}" in readable
    assert not any(r.endswith("*") and "/secrets/" in r for r in readable)


def test_one_stream_mapping_serves_the_outbox_and_the_webhooks(template: LocalTemplate) -> None:
    (stream,) = template.stream_mappings
    assert stream.report_batch_item_failures
    assert stream.bisect_on_error
    assert 0 < stream.maximum_retry_attempts <= 20
    assert stream.on_failure == "OutboxFailures"
