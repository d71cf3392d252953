"""`make token USER=alice [GROUPS=admins] [STATE_DIR=.dev]`: a JWT the local stack's
authorizer accepts (signed with the key in the stack's state directory).

python -m devstack.tokens alice [--groups admins,users] [--ttl-hours 12] [--state-dir .dev]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from devstack.auth import DEFAULT_TTL_S, KEY_FILE, mint, signing_key


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
    groups = [g for g in args.groups.split(",") if g]
    key = signing_key(args.state_dir / KEY_FILE.name)
    print(mint(args.user, groups=groups, ttl_s=int(args.ttl_hours * 3600), key=key))


if __name__ == "__main__":
    main()
