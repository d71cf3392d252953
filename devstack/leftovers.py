"""What a stack's name left behind: resources CloudFormation made for a stack of that name
that no stack now holds.

A rollback or a delete skips the resources whose DeletionPolicy is Retain (in prod: the user
pool, the jobs table, the data bucket), and nothing says so afterwards: `describe-stacks`
shows only what the stack holds. CloudFormation tags what it makes with
`aws:cloudformation:stack-name`, `-stack-id` and `-logical-id`, so the Resource Groups Tagging
API finds them by the stack's name; a resource is left behind when the stack of that name
(if any) does not hold it under that logical id. Each comes with the command that removes it.
`make deploy` runs this after a failed deploy; `make destroy` reports it too.

python -m devstack.leftovers [--config-env dev | --stack NAME] [--region R]
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from devstack.seed import add_stack_arguments, stack_and_region
from devstack.standins import PrerequisiteError

_NAME = "aws:cloudformation:stack-name"
_ID = "aws:cloudformation:stack-id"
_LOGICAL = "aws:cloudformation:logical-id"


@dataclass(frozen=True)
class Leftover:
    logical_id: str
    arn: str

    @property
    def removal(self) -> str:
        """The AWS CLI command that removes it (for a bucket, with everything in it)."""
        parts = self.arn.split(":", 5)
        service, resource = parts[2], parts[5] if len(parts) > 5 else ""  # noqa: PLR2004
        kind, _, name = resource.partition("/")
        if service == "dynamodb" and kind == "table":
            return shlex.join(["aws", "dynamodb", "delete-table", "--table-name", name])
        if service == "cognito-idp" and kind == "userpool":
            return shlex.join(["aws", "cognito-idp", "delete-user-pool", "--user-pool-id", name])
        if service == "s3":
            return shlex.join(["aws", "s3", "rb", f"s3://{resource}", "--force"])
        return f"remove {self.arn} with its service's delete command"


def left_behind(cloudformation: Any, tagging: Any, stack: str) -> list[Leftover]:
    held = _held(cloudformation, stack)
    return [
        Leftover(tags.get(_LOGICAL, "?"), arn)
        for arn, tags in _tagged(tagging, stack)
        if (tags.get(_ID), tags.get(_LOGICAL)) not in held
    ]


def report(leftovers: list[Leftover], stack: str) -> list[str]:
    if not leftovers:
        return []
    lines = [
        f"left      {len(leftovers)} resource(s) of an earlier {stack!r} that no stack holds "
        "(kept by their DeletionPolicy when a deploy rolled back or a stack was deleted):"
    ]
    for leftover in leftovers:
        lines.append(f"          {leftover.logical_id}: {leftover.arn}")
        lines.append(f"            remove it: {leftover.removal}")
    lines.append(
        "          (a new deploy of the stack makes new ones; keep these only for their data)"
    )
    return lines


def _held(cloudformation: Any, stack: str) -> set[tuple[str, str]]:
    """(stack id, logical id) of what the stack of this name holds now."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    try:
        (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    except ClientError as e:
        if "does not exist" in str(e):
            return set()
        raise
    return {
        (described["StackId"], r["LogicalResourceId"])
        for r in resources
        if not str(r.get("ResourceStatus", "")).startswith("DELETE")
    }


def _tagged(tagging: Any, stack: str) -> Iterator[tuple[str, dict[str, str]]]:
    pages = tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": _NAME, "Values": [stack]}]
    )
    for page in pages:
        for mapping in page.get("ResourceTagMappingList", ()):
            yield mapping["ResourceARN"], {t["Key"]: t["Value"] for t in mapping.get("Tags", ())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.leftovers", description=__doc__)
    add_stack_arguments(parser)
    args = parser.parse_args(argv)
    stack = args.stack or args.config_env
    try:
        stack, region = stack_and_region(args)
        import boto3  # noqa: PLC0415 - the caller's own AWS configuration

        found = left_behind(
            boto3.client("cloudformation", region_name=region),
            boto3.client("resourcegroupstaggingapi", region_name=region),
            stack,
        )
    except PrerequisiteError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - AWS's refusal, in one line, not a traceback
        print(f"error: could not look for what {stack!r} left behind: {e}", file=sys.stderr)
        return 1
    for line in report(found, stack) or [f"left      nothing of {stack!r} outside the stack"]:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
