"""The template's tables, queues, buckets and parameters, made real in the stand-ins; read back
for the drift check; and reset to their just-created state."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import boto3
from botocore.config import Config

from devstack import secrets as secure_parameters
from devstack.names import LocalNames
from devstack.template import BucketNotification, LocalTemplate, Resource

LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
# The services the local stack stands in for (boto3's stubs type clients by name).
Service = Literal["dynamodb", "dynamodbstreams", "sqs", "s3", "ssm"]


@dataclass(frozen=True)
class Endpoints:
    dynamodb: str
    moto: str  # SQS, S3, SSM (and DynamoDB with --moto-only)
    region: str

    @cache  # noqa: B019 - one client per service for the life of these endpoints (made ~60 ms each)
    def client(self, service: Service) -> Any:
        url = self.dynamodb if service in ("dynamodb", "dynamodbstreams") else self.moto
        return boto3.client(
            service,
            endpoint_url=url,
            region_name=self.region,
            config=Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=30),
            aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
            aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
        )

    def environment(self) -> dict[str, str]:
        """What points the function's SDKs at the stand-ins (boto3 and PynamoDB read these)."""
        return {
            "AWS_ENDPOINT_URL": self.moto,
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }


class LocalResources:
    def __init__(self, template: LocalTemplate, names: LocalNames, endpoints: Endpoints) -> None:
        self._template = template
        self._names = names
        self._endpoints = endpoints
        self._dynamodb = endpoints.client("dynamodb")
        self._sqs = endpoints.client("sqs")
        self._s3 = endpoints.client("s3")
        self._ssm = endpoints.client("ssm")

    # --- create ----------------------------------------------------------------------------
    def create_all(self) -> list[str]:
        """Creates everything; returns one line per resource for the start-up banner."""
        made: list[str] = []
        for table in self._template.of_type("AWS::DynamoDB::Table"):
            made.append(self._create_table(table))
        for queue in self._queues_in_dependency_order():
            made.append(self._create_queue(queue))
        for bucket in self._template.of_type("AWS::S3::Bucket"):
            name = self._names.physical_name(bucket.logical_id)
            self._s3.create_bucket(Bucket=name)
            if (bucket.properties.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
                self._s3.put_bucket_versioning(
                    Bucket=name, VersioningConfiguration={"Status": "Enabled"}
                )
            made.append(f"bucket    {name}")
        for notification in self._template.bucket_notifications:
            made.append(self._relay_notifications(notification))
        for parameter in self._template.of_type("AWS::SSM::Parameter"):
            name = self._names.physical_name(parameter.logical_id)
            self._ssm.put_parameter(
                Name=name,
                Value=str(self._names.resolve(parameter.properties["Value"])),
                Type=str(parameter.properties.get("Type", "String")),
                Overwrite=True,
            )
            made.append(f"parameter {name}")
        # What `make deploy` makes once per stack: a random secret each.
        made += secure_parameters.ensure(self._template, self._names, self._ssm)
        return made

    def _create_table(self, table: Resource) -> str:
        props = self._names.resolve(table.properties)
        name = self._names.physical_name(table.logical_id)
        on_demand = props.get("BillingMode") == "PAY_PER_REQUEST"
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": "PAY_PER_REQUEST" if on_demand else "PROVISIONED",
        }
        throughput = props.get("ProvisionedThroughput") or {
            "ReadCapacityUnits": 5,
            "WriteCapacityUnits": 5,
        }
        if not on_demand:
            request["ProvisionedThroughput"] = _ints(throughput)
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(key):
                indexes = [dict(i) for i in props[key]]
                for index in indexes:
                    if on_demand or key == "LocalSecondaryIndexes":
                        index.pop("ProvisionedThroughput", None)
                    elif "ProvisionedThroughput" in index:
                        index["ProvisionedThroughput"] = _ints(index["ProvisionedThroughput"])
                    else:
                        index["ProvisionedThroughput"] = _ints(throughput)
                request[key] = indexes
        stream = props.get("StreamSpecification")
        if stream:
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        created = self._dynamodb.create_table(**request)["TableDescription"]
        if created.get("LatestStreamArn"):
            self._names.learned[(table.logical_id, "StreamArn")] = created["LatestStreamArn"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and _true(ttl.get("Enabled")):
            self._dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        return f"table     {name}"

    def _queues_in_dependency_order(self) -> list[Resource]:
        queues = self._template.of_type("AWS::SQS::Queue")
        ordered: list[Resource] = []

        def visit(queue: Resource, path: tuple[str, ...]) -> None:
            if queue in ordered:
                return
            target = _dead_letter_target(queue)
            if target and target not in path and target in self._template.resources:
                visit(self._template.resources[target], (*path, queue.logical_id))
            ordered.append(queue)

        for queue in queues:
            visit(queue, ())
        return ordered

    def _create_queue(self, queue: Resource) -> str:
        props = self._names.resolve(queue.properties)
        name = self._names.physical_name(queue.logical_id)
        attributes = {
            key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
            for key in _QUEUE_ATTRIBUTES
            if key in props
        }
        if props.get("RedrivePolicy"):
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": props["RedrivePolicy"]["deadLetterTargetArn"],
                    "maxReceiveCount": int(props["RedrivePolicy"]["maxReceiveCount"]),
                }
            )
        self._sqs.create_queue(QueueName=name, Attributes=attributes)
        return f"queue     {name}"

    def _relay_notifications(self, notification: BucketNotification) -> str:
        """The bucket's notifications sent to a queue of the local stack's own, from which
        devstack.event_sources.NotificationPoller invokes the function as S3 would."""
        queue = self._names.notification_queue(notification.bucket)
        url = self._sqs.create_queue(QueueName=queue)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        self._s3.put_bucket_notification_configuration(
            Bucket=self._names.physical_name(notification.bucket),
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": arn["Attributes"]["QueueArn"],
                        "Events": list(notification.events),
                        "Filter": {
                            "Key": {
                                "FilterRules": [
                                    {"Name": name, "Value": value}
                                    for name, value in notification.filter_rules
                                ]
                            }
                        },
                    }
                ]
            },
        )
        return f"notify    {notification.function} of {', '.join(notification.events)} in " + (
            self._names.physical_name(notification.bucket)
        )

    # --- reset -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to just-created: every table, queue, bucket and parameter made anew, empty;
        the secrets keep their values (configuration, not data: the running function has
        them cached, as a deployed one would across a wipe of its data)."""
        kept = self._secret_values()
        for table in self._dynamodb.list_tables()["TableNames"]:
            self._dynamodb.delete_table(TableName=table)
        request = urllib.request.Request(f"{self._endpoints.moto}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
        self._names.learned.clear()
        for name, value in kept.items():
            self._ssm.put_parameter(Name=name, Value=value, Type="SecureString")
        self.create_all()

    def _secret_values(self) -> dict[str, str]:
        names = [str(self._names.resolve(p)) for p in self._template.secure_parameters]
        if not names:
            return {}
        found = self._ssm.get_parameters(Names=names, WithDecryption=True)["Parameters"]
        return {p["Name"]: p["Value"] for p in found}

    # --- read back, for the drift check ----------------------------------------------------
    def actual(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for table in self._template.of_type("AWS::DynamoDB::Table"):
            name = self._names.physical_name(table.logical_id)
            description = self._dynamodb.describe_table(TableName=name)["Table"]
            ttl = self._dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            enabled = ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
            state[table.logical_id] = _table_shape(
                description["KeySchema"],
                description["AttributeDefinitions"],
                global_indexes=description.get("GlobalSecondaryIndexes", []),
                local_indexes=description.get("LocalSecondaryIndexes", []),
                stream=description.get("StreamSpecification"),
                ttl_attribute=ttl.get("AttributeName") if enabled else None,
            )
        for queue in self._template.of_type("AWS::SQS::Queue"):
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=self._sqs.get_queue_url(
                    QueueName=self._names.physical_name(queue.logical_id)
                )["QueueUrl"],
                AttributeNames=["All"],
            )["Attributes"]
            state[queue.logical_id] = _queue_shape(attributes)
        buckets = {b["Name"] for b in self._s3.list_buckets().get("Buckets", [])}
        for bucket in self._template.of_type("AWS::S3::Bucket"):
            state[bucket.logical_id] = {
                "exists": self._names.physical_name(bucket.logical_id) in buckets
            }
        for parameter in self._template.of_type("AWS::SSM::Parameter"):
            found = self._ssm.get_parameter(Name=self._names.physical_name(parameter.logical_id))
            state[parameter.logical_id] = {
                "type": found["Parameter"]["Type"],
                "value": found["Parameter"]["Value"],
            }
        return state

    def expected(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for table in self._template.of_type("AWS::DynamoDB::Table"):
            props = self._names.resolve(table.properties)
            ttl = props.get("TimeToLiveSpecification") or {}
            state[table.logical_id] = _table_shape(
                props["KeySchema"],
                props["AttributeDefinitions"],
                global_indexes=props.get("GlobalSecondaryIndexes", []),
                local_indexes=props.get("LocalSecondaryIndexes", []),
                stream=props.get("StreamSpecification"),
                ttl_attribute=ttl.get("AttributeName") if _true(ttl.get("Enabled")) else None,
            )
        for queue in self._template.of_type("AWS::SQS::Queue"):
            props = self._names.resolve(queue.properties)
            attributes = {key: str(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
            if props.get("RedrivePolicy"):
                attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
            state[queue.logical_id] = _queue_shape(attributes, defaults=True)
        for bucket in self._template.of_type("AWS::S3::Bucket"):
            state[bucket.logical_id] = {"exists": True}
        for parameter in self._template.of_type("AWS::SSM::Parameter"):
            state[parameter.logical_id] = {
                "type": str(parameter.properties.get("Type", "String")),
                "value": str(self._names.resolve(parameter.properties["Value"])),
            }
        return state


def drift(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """One line per difference between the template and the stand-ins."""
    lines: list[str] = []
    for logical_id in sorted(set(expected) | set(actual)):
        want, have = expected.get(logical_id), actual.get(logical_id)
        if want == have:
            continue
        if want is None or have is None:
            lines.append(
                f"{logical_id}: {'missing locally' if have is None else 'not in the template'}"
            )
            continue
        for key in sorted(set(want) | set(have)):
            if want.get(key) != have.get(key):
                lines.append(
                    f"{logical_id}.{key}: template {want.get(key)!r}, local {have.get(key)!r}"
                )
    return lines


_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
    "FifoThroughputLimit",
    "DeduplicationScope",
    "SqsManagedSseEnabled",
)
_QUEUE_DEFAULTS = {
    "VisibilityTimeout": "30",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",  # SQS raised its maximum (and default) to 1 MiB in 2025
    "ReceiveMessageWaitTimeSeconds": "0",
}


def _queue_shape(attributes: Mapping[str, str], *, defaults: bool = False) -> dict[str, Any]:
    merged = {**(_QUEUE_DEFAULTS if defaults else {}), **attributes}
    shape: dict[str, Any] = {k: str(merged[k]) for k in _QUEUE_DEFAULTS if k in merged}
    shape["FifoQueue"] = str(merged.get("FifoQueue", "false")).lower() == "true"
    redrive = merged.get("RedrivePolicy")
    if redrive:
        policy = json.loads(redrive)
        shape["RedrivePolicy"] = {
            "deadLetterTargetArn": policy["deadLetterTargetArn"],
            "maxReceiveCount": int(policy["maxReceiveCount"]),
        }
    return shape


def _table_shape(
    key_schema: list[Mapping[str, str]],
    attribute_definitions: list[Mapping[str, str]],
    *,
    global_indexes: list[Mapping[str, Any]],
    local_indexes: list[Mapping[str, Any]],
    stream: Mapping[str, Any] | None,
    ttl_attribute: str | None,
) -> dict[str, Any]:
    def keys(schema: list[Mapping[str, str]]) -> list[tuple[str, str]]:
        return [(k["AttributeName"], k["KeyType"]) for k in schema]

    def indexes(found: list[Mapping[str, Any]]) -> dict[str, Any]:
        return {
            i["IndexName"]: {
                "keys": keys(i["KeySchema"]),
                "projection": i["Projection"]["ProjectionType"],
                "non_key": sorted(i["Projection"].get("NonKeyAttributes", [])),
            }
            for i in found
        }

    return {
        "keys": keys(key_schema),
        "attributes": sorted(
            (a["AttributeName"], a["AttributeType"]) for a in attribute_definitions
        ),
        "global_indexes": indexes(global_indexes),
        "local_indexes": indexes(local_indexes),
        "stream": (stream or {}).get("StreamViewType")
        if stream and stream.get("StreamEnabled", True)
        else None,
        "ttl": ttl_attribute,
    }


def _dead_letter_target(queue: Resource) -> str | None:
    redrive = queue.properties.get("RedrivePolicy") or {}
    target = redrive.get("deadLetterTargetArn")
    if isinstance(target, dict) and "Fn::GetAtt" in target:
        found = target["Fn::GetAtt"]
        return str(found[0] if isinstance(found, list) else found.split(".")[0])
    return None


def _ints(throughput: Mapping[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in throughput.items()}


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
