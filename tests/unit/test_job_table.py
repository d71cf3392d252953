"""The PynamoDB models and template.yaml's jobs table describe the same table, both ways:
keys, attribute types, indexes (keys and projections), the TTL attribute. And the queue,
the mappings and the policies that go with them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfnlint.decode import decode
from pynamodb.attributes import Attribute
from pynamodb.indexes import GlobalSecondaryIndex

from monolambda.adapters.dynamo_job_items import (
    OPEN_ATTRIBUTES,
    SUMMARY_ATTRIBUTES,
    JobRecord,
)

ROOT = Path(__file__).resolve().parents[2]


def resources() -> dict[str, Any]:
    template, matches = decode(str(ROOT / "template.yaml"))
    assert not matches
    assert template is not None
    found: dict[str, Any] = template["Resources"]
    return found


def table() -> dict[str, Any]:
    props: dict[str, Any] = resources()["JobsTable"]["Properties"]
    return props


def keys(schema: list[dict[str, str]]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in schema}


def model_attributes() -> dict[str, Attribute[Any]]:
    found: dict[str, Attribute[Any]] = JobRecord.get_attributes()
    return found


def model_indexes() -> dict[str, GlobalSecondaryIndex[Any]]:
    return {
        value.Meta.index_name: value
        for value in vars(JobRecord).values()
        if isinstance(value, GlobalSecondaryIndex)
    }


def test_the_key_schemas_match() -> None:
    attributes = model_attributes()
    hash_key = next(name for name, a in attributes.items() if a.is_hash_key)
    assert keys(table()["KeySchema"]) == {"HASH": hash_key}
    assert not any(a.is_range_key for a in attributes.values())


def test_every_declared_attribute_is_a_key_of_the_model_with_the_same_type() -> None:
    declared = {a["AttributeName"]: a["AttributeType"] for a in table()["AttributeDefinitions"]}
    attributes = model_attributes()
    used_as_keys = {"id"} | {
        name
        for index in model_indexes().values()
        for name, a in index.Meta.attributes.items()
        if a.is_hash_key or a.is_range_key
    }
    # Both ways: what the template declares is exactly what the model uses as keys.
    assert set(declared) == used_as_keys
    for name, kind in declared.items():
        assert attributes[name].attr_type == kind, name


def test_the_indexes_match_keys_and_projections_both_ways() -> None:
    declared = {i["IndexName"]: i for i in table()["GlobalSecondaryIndexes"]}
    indexes = model_indexes()
    assert set(declared) == set(indexes) == {"by_owner", "by_owner_status", "open_jobs"}
    for name, index in indexes.items():
        spec = declared[name]
        schema = index.Meta.attributes
        assert keys(spec["KeySchema"]) == {
            ("HASH" if a.is_hash_key else "RANGE"): attr_name for attr_name, a in schema.items()
        }
        projection = index.Meta.projection
        assert spec["Projection"]["ProjectionType"] == projection.projection_type
        assert sorted(spec["Projection"]["NonKeyAttributes"]) == sorted(
            projection.non_key_attributes or []
        )
    # Everything an index projects is an attribute of the model.
    for name in (*SUMMARY_ATTRIBUTES, *OPEN_ATTRIBUTES):
        assert name in model_attributes(), name
    # Inline inputs and results never go into an index.
    for name in ("images", "s3_keys", "results"):
        assert name not in SUMMARY_ATTRIBUTES


def test_ttl_stream_recovery_and_billing() -> None:
    props = table()
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert model_attributes()["expires_at"].attr_type == "N"
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_the_queue_dead_letters_after_the_same_count_the_worker_is_told() -> None:
    found = resources()
    queue = found["JobsQueue"]["Properties"]
    assert queue["FifoQueue"] is True
    assert found["JobsDeadLetters"]["Properties"]["FifoQueue"] is True
    assert queue["RedrivePolicy"]["maxReceiveCount"] == {"Ref": "JobMaxReceives"}
    assert found["JobsDeadLetters"]["Properties"]["MessageRetentionPeriod"] == 1209600  # 14 days
    environment = found["MonolambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert environment["JOBS_MAX_RECEIVES"] == {"Ref": "JobMaxReceives"}
    assert queue["ReceiveMessageWaitTimeSeconds"] == 20


def test_the_visibility_timeout_is_at_least_six_function_timeouts() -> None:
    template, _ = decode(str(ROOT / "template.yaml"))
    assert template is not None
    parameters = template["Parameters"]
    assert parameters["JobVisibilityTimeout"]["Default"] >= 6 * parameters["Timeout"]["MaxValue"]


def test_the_mappings_report_partial_failures_and_cap_the_workers() -> None:
    found = resources()
    worker = found["JobWorker"]["Properties"]
    assert worker["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert worker["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "WorkerMaxConcurrency"}}
    assert worker["BatchSize"] <= 10  # FIFO's most
    outbox = found["JobOutbox"]["Properties"]
    assert outbox["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert outbox["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["OutboxFailures", "Arn"]
    }
    assert outbox["MaximumRetryAttempts"] > 0


def test_no_policy_statement_names_every_resource() -> None:
    statements = found_statements()
    assert statements
    for statement in statements:
        resource = statement["Resource"]
        for one in resource if isinstance(resource, list) else [resource]:
            assert one != "*", statement


def found_statements() -> list[dict[str, Any]]:
    policies = resources()["MonolambdaFunction"]["Properties"]["Policies"]
    return [s for p in policies for s in p["Statement"]]
