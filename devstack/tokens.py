"""`make token USER=alice [GROUPS=admins] [STATE_DIR=.dev]`: a JWT the local stack's
authorizer accepts (signed with the key in the stack's state directory).

python -m devstack.tokens alice [--groups admins,users] [--ttl-hours 12] [--state-dir .dev]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devstack.auth import DEFAULT_TTL_S, KEY_FILE, mint, signing_key
from devstack.state import running_stack


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.tokens", description=__doc__.splitlines()[0]
    )
    parser.add_argument("user")
    parser.add_argument("--groups", default="", help="comma-separated Cognito groups")
    parser.add_argument("--ttl-hours", type=float, default=DEFAULT_TTL_S / 3600)
    parser.add_argument(
        "--state-dir", type=Path, default=KEY_FILE.parent, help="the stack's (make dev's) .dev"
    )
    args = parser.parse_args(argv)
    # Only a running stack's key: minting with a key no stack holds would make a token every
    # request refuses (and, for a state dir that does not exist, a directory and a key).
    if running_stack(args.state_dir) is None:
        sys.exit(
            f"error: no local stack runs with the state directory {args.state_dir}: start one "
            f"(make dev STATE_DIR={args.state_dir}), or give the STATE_DIR of the one running"
        )
    groups = [g for g in args.groups.split(",") if g]
    key = signing_key(args.state_dir / KEY_FILE.name)
    print(mint(args.user, groups=groups, ttl_s=int(args.ttl_hours * 3600), key=key))


if __name__ == "__main__":
    main()
