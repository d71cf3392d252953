"""`make deploy`'s last step: each SecureString the template's Metadata names
(monolambda.SecureParameters) made once, with a random value, if the stack has none yet.

CloudFormation cannot create SecureStrings, and a secret never goes into the template.
python -m devstack.secrets [--config-env dev | --stack NAME] [--region R]
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path
from typing import Any

from devstack.names import LocalNames
from devstack.seed import add_stack_arguments, stack_and_region
from devstack.standins import PrerequisiteError
from devstack.template import LocalTemplate, TemplateError, load

ROOT = Path(__file__).resolve().parents[1]


def ensure(template: LocalTemplate, names: LocalNames, ssm: Any) -> list[str]:
    """Makes the missing ones; never overwrites (a rotation is a deliberate put)."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    made = []
    for declared in template.secure_parameters:
        name = str(names.resolve(declared))
        try:
            ssm.put_parameter(
                Name=name, Value=secrets.token_urlsafe(32), Type="SecureString", Overwrite=False
            )
            made.append(f"secret    {name} (made)")
        except ClientError as e:
            if e.response["Error"]["Code"] != "ParameterAlreadyExists":
                raise
            made.append(f"secret    {name} (kept)")
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.secrets", description=__doc__)
    add_stack_arguments(parser)
    args = parser.parse_args(argv)
    try:
        stack, region = stack_and_region(args)
        import boto3  # noqa: PLC0415 - the caller's own AWS configuration

        template = load(ROOT / "template.yaml", {}, {"Environment": "dev"})
        names = LocalNames(template, region=region, stack_name=stack)
        for line in ensure(template, names, boto3.client("ssm", region_name=region)):
            print(line)
    except (PrerequisiteError, TemplateError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
