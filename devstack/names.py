"""Local names and attributes of the template's resources, and intrinsic functions evaluated
against them (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split), as CloudFormation
would evaluate them for a deployed stack."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from devstack.local import (
    LOCAL_ACCOUNT,
    LOCAL_CLIENT_ID,
    LOCAL_ISSUER,
    LOCAL_USER_POOL_ID,
)
from devstack.template import LocalTemplate

STACK_NAME = "monolambda-local"
# The local JWT issuer and app client stand in for the Cognito user pool and its client.

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
# An API's URL as the template builds it, with the local stack's api id ("local"): https
# stays http (locally nothing is TLS), wss stays ws.
_LOCAL_EXECUTE_API = re.compile(r"(http|ws)s?://local\.execute-api\.[a-z0-9-]+\.amazonaws\.com")


# The uuid part of the local stack's id (a deployed stack's is random): the template names
# the data bucket from it.
LOCAL_STACK_UUID = "5f1ea7c0-0000-4000-8000-10ca15ac0000"


class UnresolvableError(Exception):
    """An intrinsic refers to something the local stack does not have."""


class LocalNames:
    def __init__(
        self,
        template: LocalTemplate,
        *,
        region: str,
        sqs_endpoint: str | None = None,
        stack_name: str = STACK_NAME,
        deployed: Mapping[str, str] | None = None,
        account: str = LOCAL_ACCOUNT,
    ) -> None:
        """`deployed`: logical id -> physical id of a real stack (--aws), used instead of
        local names."""
        self._template = template
        self._deployed = dict(deployed or {})
        self.account = account
        self.region = region
        self._sqs_endpoint = (sqs_endpoint or f"https://sqs.{region}.amazonaws.com").rstrip("/")
        self.stack_name = stack_name
        # Attributes only known once a resource exists (a table's stream ARN).
        self.learned: dict[tuple[str, str], str] = {}
        # The local gateway (http://127.0.0.1:3000): an execute-api URL of the template's
        # APIs (the WebSocket API's management endpoint, say) resolves to it.
        self.api_base: str | None = None

    # --- physical names -------------------------------------------------------------------
    def physical_name(self, logical_id: str) -> str:
        if logical_id in self._deployed:
            physical = self._deployed[logical_id]
            # A queue's physical id is its URL; its name is the last part.
            return physical.rsplit("/", 1)[-1] if physical.startswith("http") else physical
        resource = self._template.resources[logical_id]
        props = resource.properties
        explicit = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::S3::Bucket": "BucketName",
            "AWS::SSM::Parameter": "Name",
        }.get(resource.type)
        if explicit and props.get(explicit) is not None:
            return str(self.resolve(props[explicit]))
        if resource.type == "AWS::S3::Bucket":
            return f"{self.stack_name}-{logical_id}".lower()
        if resource.type == "AWS::SSM::Parameter":
            return f"/{self.stack_name}/{logical_id}"
        if resource.type == "AWS::SQS::Queue" and props.get("FifoQueue"):
            return f"{self.stack_name}-{logical_id}.fifo"
        return f"{self.stack_name}-{logical_id}"

    def notification_queue(self, bucket: str) -> str:
        """The local stack's own queue that a bucket's notifications go through on their way
        to the function (moto sends S3 events to SQS, not to a process of ours)."""
        return f"{self.stack_name}-{bucket}-notifications"

    def notification_queue_url(self, bucket: str) -> str:
        return f"{self._sqs_endpoint}/{self.account}/{self.notification_queue(bucket)}"

    def queue_url(self, logical_id: str) -> str:
        if logical_id in self._deployed:
            return self._deployed[logical_id]
        return f"{self._sqs_endpoint}/{self.account}/{self.physical_name(logical_id)}"

    def ref(self, name: str) -> Any:  # noqa: PLR0911 - one answer per kind of name
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{LOCAL_ACCOUNT}:stack/{self.stack_name}/"
                + LOCAL_STACK_UUID
            ),
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self._template.parameters:
            return self._template.parameters[name]
        resource = self._template.resources.get(name)
        if resource is None:
            raise UnresolvableError(f"Ref to unknown {name!r}")
        match resource.type:
            case "AWS::SQS::Queue":
                return self.queue_url(name)
            case "AWS::Cognito::UserPool":
                return self._deployed.get(name, LOCAL_USER_POOL_ID)
            case "AWS::Cognito::UserPoolClient":
                return self._deployed.get(name, LOCAL_CLIENT_ID)
            case "AWS::ApiGatewayV2::Api" | "AWS::ApiGateway::RestApi":
                return "local"
            case _:
                return self.physical_name(name) if name in self._named() else name

    def get_att(self, logical_id: str, attribute: str) -> str:  # noqa: PLR0912 - a table
        if (logical_id, attribute) in self.learned:
            return self.learned[(logical_id, attribute)]
        resource = self._template.resources.get(logical_id)
        if resource is None:
            raise UnresolvableError(f"Fn::GetAtt of unknown {logical_id!r}")
        arn_prefix = f"arn:aws:{{}}:{self.region}:{self.account}"
        value: str | None = None
        match resource.type, attribute:
            case "AWS::SQS::Queue", "Arn":
                value = f"{arn_prefix.format('sqs')}:{self.physical_name(logical_id)}"
            case "AWS::SQS::Queue", "QueueName":
                value = self.physical_name(logical_id)
            case "AWS::SQS::Queue", "QueueUrl":
                value = self.queue_url(logical_id)
            case "AWS::DynamoDB::Table", "Arn":
                value = f"{arn_prefix.format('dynamodb')}:table/{self.physical_name(logical_id)}"
            case "AWS::S3::Bucket", "Arn":
                value = f"arn:aws:s3:::{self.physical_name(logical_id)}"
            case "AWS::S3::Bucket", "DomainName" | "RegionalDomainName":
                value = f"{self.physical_name(logical_id)}.s3.amazonaws.com"
            case "AWS::SSM::Parameter", "Type":
                value = str(resource.properties.get("Type", "String"))
            case "AWS::SSM::Parameter", "Value":
                value = str(self.resolve(resource.properties.get("Value", "")))
            case "AWS::Cognito::UserPool", "ProviderURL":
                pool = self._deployed.get(logical_id)
                value = (
                    f"https://cognito-idp.{self.region}.amazonaws.com/{pool}"
                    if pool
                    else LOCAL_ISSUER
                )  # the template names the issuer by Fn::Sub; this answers the attribute too
            case "AWS::Cognito::UserPool", "Arn":
                value = f"{arn_prefix.format('cognito-idp')}:userpool/{LOCAL_USER_POOL_ID}"
            case "AWS::Lambda::Function", "Arn":
                value = f"{arn_prefix.format('lambda')}:function:{logical_id}"
        if value is None:
            raise UnresolvableError(f"Fn::GetAtt {logical_id}.{attribute} is not known locally")
        return value

    def _named(self) -> set[str]:
        kinds = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SSM::Parameter")
        return {r.logical_id for r in self._template.resources.values() if r.type in kinds}

    # --- intrinsic functions ---------------------------------------------------------------
    def resolve(self, value: Any) -> Any:  # noqa: PLR0911 - one return per intrinsic
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(str(argument))
            if key == "Fn::GetAtt":
                logical_id, attribute = (
                    argument.split(".", 1) if isinstance(argument, str) else argument
                )
                return self.get_att(str(logical_id), str(self.resolve(attribute)))
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                separator, items = argument
                return str(separator).join(str(i) for i in self.resolve(items))
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = argument
                return str(self.resolve(text)).split(str(separator))
            if key.startswith("Fn::"):
                raise UnresolvableError(f"{key} is not evaluated locally")
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        local = {k: self.resolve(v) for k, v in (variables or {}).items()}

        def replace(found: re.Match[str]) -> str:
            name = found.group(1)
            if name in local:
                return str(local[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return str(self.ref(name))

        resolved = _SUB_VARIABLE.sub(replace, str(text)).replace("${!", "${")
        if self.api_base is not None:
            gateway = self.api_base.removeprefix("http")  # ://127.0.0.1:3000
            resolved = _LOCAL_EXECUTE_API.sub(lambda m: m.group(1) + gateway, resolved)
        return resolved


def deployed_names(template: LocalTemplate, stack_name: str, region: str) -> LocalNames:
    """Names from a deployed stack, read with the caller's AWS credentials."""
    import boto3  # noqa: PLC0415 - only --aws and seeding a deployed stack talk to AWS
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    from devstack.standins import PrerequisiteError  # noqa: PLC0415

    cloudformation = boto3.client("cloudformation", region_name=region)
    try:
        found = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
        arn = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackId"]
    except (BotoCoreError, ClientError) as e:
        raise PrerequisiteError(f"cannot read the deployed stack {stack_name!r}: {e}") from None
    return LocalNames(
        template,
        region=region,
        stack_name=stack_name,
        deployed={r["LogicalResourceId"]: r["PhysicalResourceId"] for r in found},
        account=arn.split(":")[4],
    )
