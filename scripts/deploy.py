"""`make deploy` and `make deploy-template`: one environment of samconfig.toml, its parameter
overrides merged with the caller's, deployed without a terminal when there is none.

    python scripts/deploy.py deploy ENV [--arch A] [--params "Name=Value ..."]
                                        [--confirm auto|yes|no] [--build-dir D] [--resolved]
    python scripts/deploy.py template ENV [--arch A] [--params "..."] [--build-dir D]
                                          [--source TEMPLATE] [--out FILE]

`sam deploy --parameter-overrides` replaces samconfig's overrides rather than adding to them,
so the environment's own are read here and the caller's (`PARAMS`, then `ARCH`) laid over
them. Without a terminal (CI), or with `--confirm no`, the changeset is not shown for
confirmation and an unchanged stack is not an error. The steps after a deploy (the
SecureStrings, the bundled models) run only once `sam deploy` succeeded; after a failed one,
what its rollback kept is listed (devstack/leftovers.py). `template` writes
the built template with AWS::LanguageExtensions already resolved for these parameters
(devstack/language_extensions.py), for CloudFormation implementations that do not run that
transform; `deploy --resolved` deploys that one, with the same steps after it.
DRY_RUN=1 prints the commands instead of running them; SAM=path runs another sam CLI than
the venv's.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")


class DeployError(Exception):
    """A mistake in what was asked (an unknown environment, a malformed override)."""


def environment_overrides(env: str, samconfig: Path = ROOT / "samconfig.toml") -> dict[str, str]:
    config = tomllib.loads(samconfig.read_text())
    if env not in config:
        known = ", ".join(config)
        raise DeployError(f"samconfig.toml has no environment {env!r} (one of: {known})")
    raw = config[env].get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
    return parse_overrides(str(raw), "samconfig.toml")


def parse_overrides(text: str, where: str) -> dict[str, str]:
    """`Name=Value Name2="a value"` as sam takes them, in order."""
    pairs: dict[str, str] = {}
    try:
        items = shlex.split(text)
    except ValueError as e:  # an unclosed quote
        raise DeployError(f"{where}: {e}") from None
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise DeployError(f"{where}: {item!r} is not Name=Value")
        pairs[name] = value
    return pairs


def merged(env: str, arch: str | None, params: str) -> dict[str, str]:
    overrides = environment_overrides(env)
    overrides.update(parse_overrides(params, "PARAMS"))
    if arch:
        overrides["Architecture"] = arch
    return overrides


def deploy_command(
    env: str, overrides: Mapping[str, str], template: Path, *, unattended: bool
) -> list[str]:
    command = [os.environ.get("SAM") or str(ROOT / ".venv" / "bin" / "sam")]
    # samconfig.toml is looked for beside the template unless named.
    command += ["deploy", "--template-file", str(template)]
    command += ["--config-file", str(ROOT / "samconfig.toml"), "--config-env", env]
    if overrides:
        command += ["--parameter-overrides", *(f"{k}={v}" for k, v in overrides.items())]
    if unattended:
        command += ["--no-confirm-changeset", "--no-fail-on-empty-changeset"]
    return command


def after_deploy(env: str) -> list[list[str]]:
    """What a new stack needs before it answers: its secrets, then the bundled models."""
    return [
        [PYTHON, "-m", "devstack.secrets", "--config-env", env],
        [PYTHON, "-m", "devstack.seed", "--config-env", env],
    ]


def after_a_failed_deploy(env: str) -> list[list[str]]:
    """What a rollback kept (Retain resources of a failed first deploy), with how to remove
    each: nothing else says so (devstack/leftovers.py)."""
    return [[PYTHON, "-m", "devstack.leftovers", "--config-env", env]]


def run(commands: Sequence[Sequence[str]]) -> int:
    for n, command in enumerate(commands, start=1):
        # As typed in the repository's root (where it runs).
        shown = shlex.join(command).replace(f"{ROOT}/.venv/bin/", "").replace(f"{ROOT}/", "")
        if os.environ.get("DRY_RUN"):
            print(shown)
            continue
        print(f"$ {shown}", file=sys.stderr)
        environment = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
        done = subprocess.run(command, cwd=ROOT, check=False, env=environment)
        if done.returncode != 0:
            after = "; the steps after it did not run" if n < len(commands) else ""
            print(f"error: `{shown}` failed ({done.returncode}){after}", file=sys.stderr)
            return done.returncode
    return 0


def resolved_template(overrides: Mapping[str, str], source: Path, out: Path) -> None:
    from cfnlint.decode import decode  # noqa: PLC0415 - the one reader of the template

    from devstack.language_extensions import resolve_conditions  # noqa: PLC0415

    if not source.is_file():
        raise DeployError(f"{source} does not exist: build first (make build)")
    template, matches = decode(str(source))
    if template is None or matches:
        raise DeployError(f"{source} does not parse: {matches}")
    result = resolve_conditions(dict(template), overrides)
    # A CodeUri is relative to its template's folder: keep each pointing at the same code.
    for resource in result["Resources"].values():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in properties:
            code = (source.resolve().parent / str(properties["CodeUri"])).resolve()
            properties["CodeUri"] = os.path.relpath(code, out.resolve().parent)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/deploy.py", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("action", choices=["deploy", "template"])
    parser.add_argument("env", nargs="?", default="dev")
    parser.add_argument("--arch", default="")
    parser.add_argument("--params", default="", help='"Name=Value ..." over the environment\'s')
    parser.add_argument("--confirm", choices=["auto", "yes", "no"], default="auto")
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build")
    parser.add_argument("--resolved", action="store_true", help="deploy the resolved template")
    parser.add_argument("--source", type=Path, help="the template to resolve (the build's)")
    parser.add_argument("--out", type=Path, help="where (the build's template.resolved.json)")
    args = parser.parse_args(argv)
    built = args.build_dir / "template.yaml"
    resolved = args.out or args.build_dir / "template.resolved.json"
    try:
        overrides = merged(args.env, args.arch or None, args.params)
        if args.action == "template" or args.resolved:
            resolved_template(overrides, args.source or built, resolved)
            print(f"wrote {resolved} (AWS::LanguageExtensions resolved for {args.env})")
        if args.action == "template":
            return 0
    except DeployError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    unattended = args.confirm == "no" or (args.confirm == "auto" and not sys.stdin.isatty())
    template = resolved if args.resolved else built
    deploying = deploy_command(args.env, overrides, template, unattended=unattended)
    status = run([deploying])
    if status != 0:
        print("error: the deploy failed: no secrets were made, no models seeded", file=sys.stderr)
        run(after_a_failed_deploy(args.env))
        return status
    return run(after_deploy(args.env))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
