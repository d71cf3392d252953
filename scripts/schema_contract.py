"""The schema as a contract for clients: schema.graphql written from the code, and every
change from the committed one told breaking, dangerous or safe (graphql-core's
find_schema_changes, the rules GraphQL Inspector applies too).

    python scripts/schema_contract.py                   # write schema.graphql; list the changes
    python scripts/schema_contract.py --check           # exit 1 when the file differs from the code
    python scripts/schema_contract.py --allow-breaking  # write it even with breaking changes

Frontends generate their types from the committed file: prod turns introspection off. A
change that would fail a registered client's operation (src/monolambda/api/guard/trusted-documents)
is never written: that client is updated first.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from graphql import build_schema as parse_schema
from graphql.utilities import BreakingChange, DangerousChange, SafeChange, find_schema_changes

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.trusted_documents import breaking_for_clients  # noqa: E402

SCHEMA_FILE = ROOT / "schema.graphql"
HEADER = (
    "# The GraphQL schema of monolambda, written from the code by `make schema`\n"
    "# (scripts/schema_contract.py); `make test` fails when it drifts from the code.\n\n"
)


def exported() -> str:
    """The schema as the code declares it (the same in every environment)."""
    sys.path.insert(0, str(ROOT / "src"))
    from monolambda.api.graph.schema import build_schema  # noqa: PLC0415
    from monolambda.settings import Settings  # noqa: PLC0415

    return HEADER + build_schema(Settings.from_env({"APP_ENV": "prod"})).as_str() + "\n"


@dataclass(frozen=True)
class Changes:
    breaking: list[str]
    dangerous: list[str]
    safe: list[str]

    def report(self) -> str:
        lines = [f"breaking: {c}" for c in self.breaking]
        lines += [f"dangerous: {c}" for c in self.dangerous]
        lines += [f"safe: {c}" for c in self.safe]
        return "\n".join(lines) or "no change"


def changes(old: str, new: str) -> Changes:
    found = find_schema_changes(parse_schema(old), parse_schema(new))
    return Changes(
        breaking=[c.description for c in found if isinstance(c, BreakingChange)],
        dangerous=[c.description for c in found if isinstance(c, DangerousChange)],
        safe=[c.description for c in found if isinstance(c, SafeChange)],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the file has drifted")
    parser.add_argument("--allow-breaking", action="store_true", help="write it all the same")
    args = parser.parse_args()
    new = exported()
    old = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else None
    if args.check:
        if old != new:
            print("schema.graphql differs from the code: run `make schema`", file=sys.stderr)
            return 1
        return 0
    if old is None:
        SCHEMA_FILE.write_text(new)
        print(f"wrote {SCHEMA_FILE.name}")
        return 0
    found = changes(old, new)
    print(found.report())
    # A registered client's operation the new schema would not serve breaks that client,
    # whatever find_schema_changes calls the change (scripts/trusted_documents.py).
    clients = breaking_for_clients(new)
    for problem in clients:
        print(f"breaking for a registered client: {problem}")
    if clients:
        print(
            "not written: registered clients' operations would fail; update those clients "
            "(make trusted-client) first",
            file=sys.stderr,
        )
        return 2
    if found.breaking and not args.allow_breaking:
        print(
            "not written: breaking changes break the clients built on the committed schema "
            "(--allow-breaking, or `make schema ARGS=--allow-breaking`, to write it anyway)",
            file=sys.stderr,
        )
        return 2
    SCHEMA_FILE.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
