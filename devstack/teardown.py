"""`make destroy`: a deployed stack emptied of what it owns, then deleted.

CloudFormation cannot delete a bucket that holds objects, and never made the SecureStrings
(`make deploy` did), so `sam delete` alone fails on the bucket and leaves the secrets. This
empties the data bucket (every object and version), deletes the SecureStrings the template's
Metadata names, then deletes the stack and waits for it. A prod stack keeps its users, jobs
table and bucket (their DeletionPolicy is Retain there): the bucket is left as it is. What
an earlier deploy of the same name left behind (a rolled-back first deploy keeps its Retain
resources) is listed with the command that removes each (devstack/leftovers.py). A stack that
is already gone is no error: it says so, and lists what its name left behind. It acts only
when told the stack's name a second time (`--confirm NAME`), as a typed confirmation.

python -m devstack.teardown [--config-env dev | --stack NAME] [--region R] --confirm NAME
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from devstack.leftovers import left_behind, report
from devstack.names import deployed_names
from devstack.seed import add_stack_arguments, stack_and_region
from devstack.standins import PrerequisiteError
from devstack.template import TemplateError, load

ROOT = Path(__file__).resolve().parents[1]
_BATCH = 1000  # S3's DeleteObjects takes at most this many keys


def empty_bucket(s3: Any, bucket: str) -> int:
    """Deletes every object and object version; how many went."""
    deleted = 0
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
    for page in pages:
        doomed = [
            {"Key": o["Key"], "VersionId": o["VersionId"]}
            for o in (*page.get("Versions", ()), *page.get("DeleteMarkers", ()))
        ]
        for start in range(0, len(doomed), _BATCH):
            chunk = doomed[start : start + _BATCH]
            s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
            deleted += len(chunk)
    return deleted


def delete_secrets(ssm: Any, names: list[str]) -> list[str]:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    lines = []
    for name in names:
        try:
            ssm.delete_parameter(Name=name)
            lines.append(f"secret    {name} (deleted)")
        except ClientError as e:
            if e.response["Error"]["Code"] != "ParameterNotFound":
                raise
            lines.append(f"secret    {name} (none)")
    return lines


def deployed_environment(cloudformation: Any, stack: str) -> str | None:
    """The Environment parameter the stack was deployed with (dev when it has none); None
    when there is no such stack."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    try:
        (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as e:
        if "does not exist" in str(e):
            return None
        raise
    for parameter in described.get("Parameters") or ():
        if parameter["ParameterKey"] == "Environment":
            return str(parameter["ParameterValue"])
    return "dev"


def earlier_leftovers(region: str, cloudformation: Any, stack: str) -> list[str]:
    """What an earlier stack of this name left behind, or why that could not be looked up
    (an account may deny the Tagging API; the teardown goes on)."""
    import boto3  # noqa: PLC0415

    try:
        tagging = boto3.client("resourcegroupstaggingapi", region_name=region)
        return report(left_behind(cloudformation, tagging, stack), stack)
    except Exception as e:  # noqa: BLE001 - a report, never a reason to stop
        return [f"left      (not looked for: {e})"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.teardown", description=__doc__)
    add_stack_arguments(parser)
    parser.add_argument("--confirm", default="", help="the stack's name, again")
    args = parser.parse_args(argv)
    try:
        stack, region = stack_and_region(args)
        if args.confirm != stack:
            print(
                f"error: this deletes the stack {stack!r}, its data bucket's objects and its "
                f"secrets; to go ahead, confirm with its name: make destroy ENV=... "
                f"CONFIRM_STACK={stack}",
                file=sys.stderr,
            )
            return 2
        import boto3  # noqa: PLC0415 - the caller's own AWS configuration

        cloudformation = boto3.client("cloudformation", region_name=region)
        environment = deployed_environment(cloudformation, stack)
        if environment is None:
            print(f"stack     {stack} does not exist in {region}: nothing to delete")
            for line in earlier_leftovers(region, cloudformation, stack):
                print(line)
            return 0
        for line in earlier_leftovers(region, cloudformation, stack):
            print(line)
        template = load(ROOT / "template.yaml", {}, {"Environment": environment})
        names = deployed_names(template, stack, region)
        for logical_id, resource in template.resources.items():
            if resource.type != "AWS::S3::Bucket":
                continue
            bucket = names.physical_name(logical_id)
            if resource.deletion_policy == "Retain":
                # A prod stack keeps its data (template.yaml, DeletionPolicy): the bucket
                # outlives the stack with everything in it.
                print(f"bucket    {bucket}: kept with its objects ({environment}: Retain)")
                continue
            count = empty_bucket(boto3.client("s3", region_name=region), bucket)
            print(f"bucket    {bucket}: {count} objects and versions deleted")
        for logical_id, resource in template.resources.items():
            if resource.deletion_policy == "Retain" and resource.type != "AWS::S3::Bucket":
                print(f"kept      {logical_id} ({resource.type}; {environment}: Retain)")
        secrets = [str(names.resolve(declared)) for declared in template.secure_parameters]
        for line in delete_secrets(boto3.client("ssm", region_name=region), secrets):
            print(line)
        cloudformation.delete_stack(StackName=stack)
        cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack, WaiterConfig={"Delay": 5, "MaxAttempts": 360}
        )
        print(f"stack     {stack} deleted")
    except (PrerequisiteError, TemplateError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - AWS's refusal, in one line, not a traceback
        print(f"error: the teardown of {args.confirm!r} stopped: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
