"""`make dev`: the whole architecture on this machine.

python -m devstack [--port 3000] [--dynamodb-port 8000] [--moto-port 5000] [--moto-only]
                   [--parameter-overrides Name=Value ...] [--env-vars env.json]
                   [--template template.yaml] [--state-dir .dev] [--reset] [--quiet]
                   [--no-event-sources] [--schedule-every SECONDS]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from devstack.local import DEFAULT_STATE_DIR, LOCAL_REGION, ROOT
from devstack.state import already_running, running_stack

if TYPE_CHECKING:  # imported once the arguments are read: --help and a refusal are instant
    from devstack.stack import StackOptions


def _overrides(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"error: --parameter-overrides takes Name=Value, got {pair!r}")
        values[name] = value
    return values


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="the API (0: any free port)")
    parser.add_argument("--dynamodb-port", type=int, default=8000)
    parser.add_argument("--moto-port", type=int, default=5000)
    parser.add_argument("--moto-only", action="store_true", help="no Java: moto's DynamoDB too")
    parser.add_argument(
        "--aws",
        metavar="STACK",
        default=None,
        help="use this deployed stack's resources (your AWS credentials) instead of stand-ins",
    )
    parser.add_argument("--region", default=None, help="with --aws (default: your AWS config)")
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--parameter-overrides", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--env-vars", type=Path, default=None, help="sam's --env-vars JSON")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument(
        "--reset", action="store_true", help="forget .dev (signing key, logs) before starting"
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    parser.add_argument(
        "--no-event-sources",
        action="store_true",
        help="run no SQS or stream mapping (messages and records wait for you)",
    )
    parser.add_argument(
        "--schedule-every",
        type=float,
        default=None,
        metavar="SECONDS",
        help="run the template's schedules this often rather than at their rate "
        "(POST /_devstack/tick with the header x-devstack-key: stack.json's control_key "
        "runs them now)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long a request body may take to arrive before a 408",
    )
    parser.add_argument(
        "--token-ttl",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="how long the page's sign-in tokens last before the page renews them "
        "(Cognito's ID tokens: an hour)",
    )
    parser.add_argument(
        "--standin-bind",
        default="127.0.0.1",
        help="moto's listen address; 0.0.0.0 for `sam local` in Docker (docs/local-stack.md)",
    )
    return parser.parse_args(argv)


def options_of(args: argparse.Namespace) -> StackOptions:
    from devstack.stack import StackOptions  # noqa: PLC0415 - seconds of imports: not for --help

    return StackOptions(
        template=args.template,
        host=args.host,
        port=args.port,
        dynamodb_port=args.dynamodb_port,
        moto_port=args.moto_port,
        parameter_overrides=_overrides(args.parameter_overrides),
        env_vars=args.env_vars,
        moto_only=args.moto_only,
        state_dir=args.state_dir,
        quiet=args.quiet,
        standin_bind=args.standin_bind,
        aws_stack=args.aws,
        region=args.region or (_configured_region() if args.aws else LOCAL_REGION),
        request_timeout_s=args.request_timeout,
        event_sources=not args.no_event_sources,
        schedule_every_s=args.schedule_every,
        token_ttl_s=args.token_ttl,
    )


def _began(given: str | None, here: float) -> float:
    """When the user's command began: `given` (seconds since the epoch) if it is a time
    before `here` and within the last hour, else `here`."""
    try:
        began = float(given or "")
    except ValueError:
        return here
    return began if here - 3600 < began <= here else here


def _configured_region() -> str:
    import boto3  # noqa: PLC0415 - only --aws needs the caller's configuration

    return boto3.session.Session().region_name or LOCAL_REGION


def main(argv: list[str] | None = None) -> int:
    began_here = time.time()
    args = parse(argv)
    other = running_stack(args.state_dir)
    if other is not None:  # before the template and the stand-ins are loaded: at once
        print(f"error: {already_running(other)}", file=sys.stderr)
        return 1
    from devstack.stack import Stack, check_prerequisites  # noqa: PLC0415 - seconds of imports
    from devstack.standins import PrerequisiteError  # noqa: PLC0415
    from devstack.template import TemplateError  # noqa: PLC0415

    options, reset = options_of(args), args.reset
    # `make dev` says when it began (DEVSTACK_BEGAN), so that "ready in" counts its set-up.
    began = _began(os.environ.get("DEVSTACK_BEGAN"), began_here)
    options.began, options.set_up_s = began, began_here - began
    # SIGTERM (a supervisor, `kill`) stops the stack as Ctrl-C does; and SIGINT does even when
    # started in the background by a shell, which would otherwise leave it ignored.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    stack = Stack(options)
    started = False
    code = 0
    try:
        check_prerequisites(options)
        if reset and options.state_dir.exists():
            stack.refuse_a_second_stack()  # never pull the state from under a running stack
            shutil.rmtree(options.state_dir)
        if options.moto_only:
            print(
                "warning: --moto-only: DynamoDB is moto's, which differs from AWS in edge cases "
                "(GSI key types, item size limits, number precision)",
                file=sys.stderr,
            )
        banner = stack.start()
        started = True  # from here, Ctrl-C is an ordinary stop, even mid-banner
        for line in banner:
            print(line)
        sys.stdout.flush()
        code = stack.serve()
    except (PrerequisiteError, TemplateError) as e:
        print(f"error: {e}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        if not started:
            print("interrupted during start-up", file=sys.stderr)
            code = 130
    finally:
        # A second Ctrl-C must not leave the stand-ins half stopped.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
    if started:
        print("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
