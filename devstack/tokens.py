"""`make token USER=alice [GROUPS=admins]`: a JWT the local stack's authorizer accepts.

python -m devstack.tokens alice [--groups admins,users] [--ttl-hours 12]
"""

from __future__ import annotations

import argparse

from devstack.auth import DEFAULT_TTL_S, mint


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.tokens", description=__doc__.splitlines()[0]
    )
    parser.add_argument("user")
    parser.add_argument("--groups", default="", help="comma-separated Cognito groups")
    parser.add_argument("--ttl-hours", type=float, default=DEFAULT_TTL_S / 3600)
    args = parser.parse_args(argv)
    groups = [g for g in args.groups.split(",") if g]
    print(mint(args.user, groups=groups, ttl_s=int(args.ttl_hours * 3600)))


if __name__ == "__main__":
    main()
