"""This project's data for a stack: the bundled models, uploaded to the data bucket as a
model release would be (their SSM pointers come from the template). `make dev` seeds its
local stack itself; a deployed stack's bucket starts empty and is seeded with

    make seed-models ENV=dev          (python -m devstack.seed --config-env dev)
    python -m devstack.seed --stack monolambda-prod [--region eu-west-1]

which uses your AWS credentials, like `sam deploy`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from devstack.names import LocalNames, deployed_names
from devstack.standins import PrerequisiteError
from devstack.template import LocalTemplate, TemplateError, load

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "build" / "models"
BUCKET = "DataBucket"


RELEASES = ROOT / "models"  # committed model releases, copied by the build


def models_built(directory: Path = MODELS_DIR) -> bool:
    """Whether `directory` holds the bundled models with every committed release as it is now
    (a checkout that gained a release rebuilds)."""
    releases = sorted(RELEASES.glob("*/*/manifest.json"))
    return any(directory.glob("*/*/manifest.json")) and all(
        (directory / m.relative_to(RELEASES)).is_file()
        and (directory / m.relative_to(RELEASES)).read_bytes() == m.read_bytes()
        for m in releases
    )


def ensure_models_built(directory: Path = MODELS_DIR) -> Path:
    """The bundled models in `directory`, built unless they are there already."""
    if not models_built(directory):
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "build_models.py"), str(directory)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return directory


def seed(template: LocalTemplate, names: LocalNames, s3: Any) -> list[str]:
    """Uploads models/{name}/{version}/* to the data bucket; one line per model version."""
    if BUCKET not in template.resources:
        return []
    directory = ensure_models_built()
    bucket = names.physical_name(BUCKET)
    uploaded = []
    for path in sorted(directory.glob("*/*/*")):
        key = f"models/{path.relative_to(directory).as_posix()}"
        s3.upload_file(str(path), bucket, key)
        if path.name == "manifest.json":
            uploaded.append(f"model     s3://{bucket}/{key.removesuffix('/manifest.json')}")
    return uploaded


def stack_name_of(config_env: str, samconfig: Path = ROOT / "samconfig.toml") -> str:
    """The stack an environment of samconfig.toml deploys (as `sam deploy --config-env`)."""
    config = tomllib.loads(samconfig.read_text())
    for section in (config.get(config_env, {}), config.get("default", {})):
        name = section.get("global", {}).get("parameters", {}).get("stack_name")
        if name:
            return str(name)
    raise PrerequisiteError(f"samconfig.toml names no stack for {config_env!r}")


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    """Which deployed stack: --stack NAME, or samconfig.toml's --config-env; --region."""
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--stack", help="the deployed stack's name")
    which.add_argument("--config-env", default="default", help="samconfig.toml's environment")
    parser.add_argument("--region", default=None, help="default: your AWS configuration")


def stack_and_region(args: argparse.Namespace) -> tuple[str, str]:
    """From add_stack_arguments' options and the caller's own AWS configuration."""
    import boto3  # noqa: PLC0415 - only commands aimed at a deployed stack need it

    region = args.region or boto3.session.Session().region_name
    if not region:
        raise PrerequisiteError("no AWS region: give --region or configure one")
    return args.stack or stack_name_of(args.config_env), str(region)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.seed", description="Upload the bundled models to a deployed stack"
    )
    add_stack_arguments(parser)
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    args = parser.parse_args(argv)
    try:
        stack, region = stack_and_region(args)
        import boto3  # noqa: PLC0415 - the caller's own AWS configuration

        template = load(args.template, {}, {"Environment": "dev"})
        names = deployed_names(template, stack, region)
        for line in seed(template, names, boto3.client("s3", region_name=region)):
            print(line)
    except (PrerequisiteError, TemplateError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"seeded {stack}: model versions are chosen by the /{stack}/models/*/current parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
