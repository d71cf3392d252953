"""`make dev`: the API on http://127.0.0.1:3000/graphql, as `sam local start-api` serves it.

python -m devstack [--host 127.0.0.1] [--port 3000] [--template template.yaml]
                   [--parameter-overrides Name=Value ...] [--env-vars env.json]
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path

from devstack.gateway import Gateway, make_server
from devstack.lambda_runtime import load_handler
from devstack.template import LocalTemplate, TemplateError, load

ROOT = Path(__file__).resolve().parents[1]

# The JWT authorizer is not emulated yet: run the template as deployed with it switched off.
DEFAULT_OVERRIDES = {"AuthEnabled": "false", "Environment": "dev"}


def _overrides(pairs: list[str]) -> dict[str, str]:
    values = dict(DEFAULT_OVERRIDES)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"error: --parameter-overrides takes Name=Value, got {pair!r}")
        values[name] = value
    return values


def _env_vars(path: Path | None, template: LocalTemplate) -> dict[str, dict[str, str]]:
    """sam's --env-vars format: {"Parameters": {...}, "<FunctionLogicalId>": {...}}; as with
    sam, only variables the template declares for a function are overridden."""
    if path is None:
        return {name: {} for name in template.functions}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: cannot read --env-vars {path}: {e}") from None
    result: dict[str, dict[str, str]] = {}
    for name, function in template.functions.items():
        merged = {**(data.get("Parameters") or {}), **(data.get(name) or {})}
        result[name] = {k: str(v) for k, v in merged.items() if k in function.environment}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--parameter-overrides", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--env-vars", type=Path, default=None)
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args(argv)

    try:
        template = load(args.template, _overrides(args.parameter_overrides))
    except TemplateError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if len(template.functions) != 1:
        print("error: the local stack runs one function per process", file=sys.stderr)
        return 2
    env_vars = _env_vars(args.env_vars, template)
    handlers = {
        name: load_handler(function, env_vars[name])
        for name, function in template.functions.items()
    }
    try:
        server = make_server(
            Gateway(template, handlers, template.functions), args.host, args.port, quiet=args.quiet
        )
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            print(
                f"error: {args.host}:{args.port} is already in use (is another `make dev` "
                "running?); choose another port with PORT=...",
                file=sys.stderr,
            )
            return 1
        raise
    host, port = server.server_address[:2]
    for route in template.routes:
        print(f"  {route.method:<5} http://{host}:{port}{route.path}  -> {route.function}")
    print(f"ready: GraphQL at http://{host}:{port}/graphql (GraphiQL in a browser); Ctrl-C stops")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
