"""A client's trusted documents: register (or update) its operations so that a stack running
trusted documents only (TrustedDocumentsOnly=true) serves them, and check every registered
client's against the schema.

    python scripts/trusted_documents.py add NAME MANIFEST   # make trusted-client
    python scripts/trusted_documents.py check               # every client's, against schema.graphql

MANIFEST is what the client's own tooling writes, as it hashes what it sends:
- GraphQL Code Generator's client preset (`persistedDocuments`): {"sha256:<hex>": text, ...}
  (or bare hex keys);
- Apollo's `generate-persisted-query-manifest`: {"format": "apollo-persisted-query-manifest",
  "version": 1, "operations": [{"id", "name", "type", "body"}, ...]}: the documents as Apollo
  Client sends them (with __typename added), so their hashes are the ones its
  PersistedQueryLink sends.

Each document must be of its hash, valid against schema.graphql, and within the limits prod
applies (a trusted document is refused by nothing); otherwise nothing is written and every
problem is listed. The client's manifest is src/monolambda/api/guard/trusted-documents/NAME.json,
which no other client's registration touches.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, parse, validate

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "schema.graphql"
sys.path.insert(0, str(ROOT / "src"))

from monolambda.api.guard.trusted_documents import (  # noqa: E402
    CLIENT_NAME,
    MANIFESTS,
    read_manifest,
    sha256_of,
)

APOLLO_FORMAT = "apollo-persisted-query-manifest"


class ManifestProblem(Exception):
    """The manifest cannot be read as either tool writes it."""


def documents_of(manifest: Any) -> dict[str, str]:
    """hex SHA-256 -> text, from either tool's manifest, as its keys say (checked later)."""
    if isinstance(manifest, Mapping) and manifest.get("format") == APOLLO_FORMAT:
        if manifest.get("version") != 1 or not isinstance(manifest.get("operations"), list):
            raise ManifestProblem("an Apollo manifest of version 1 has a list of operations")
        found = {}
        for operation in manifest["operations"]:
            if not isinstance(operation, Mapping):
                raise ManifestProblem("each operation is an object with an id and a body")
            identifier, body = operation.get("id"), operation.get("body")
            if not isinstance(identifier, str) or not isinstance(body, str):
                raise ManifestProblem("each operation is an object with an id and a body")
            found[identifier] = body
        return found
    if isinstance(manifest, Mapping) and all(isinstance(v, str) for v in manifest.values()):
        return {str(k).removeprefix("sha256:"): v for k, v in manifest.items()}
    raise ManifestProblem(
        "not a manifest: GraphQL Code Generator's persisted documents (hash -> document) or "
        "Apollo's persisted query manifest"
    )


def problems(documents: Mapping[str, str], schema: GraphQLSchema) -> list[str]:
    """What keeps each document from being trusted: its hash, the schema, prod's limits."""
    guard = _prod_guard()
    found = []
    for digest, text in documents.items():
        name = _operation_name(text) or digest[:12]
        if sha256_of(text) != digest:
            found.append(f"{name}: its key is not the SHA-256 of its text")
            continue
        try:
            document = parse(text)
        except GraphQLError as error:
            found.append(f"{name}: {error.message}")
            continue
        found += [f"{name}: {e.message}" for e in validate(schema, document)]
        checked = guard.check(text)
        found += [f"{name}: {e.message}" for e in checked.limit_errors]
    return found


def registered() -> dict[str, dict[str, str]]:
    """Every client's registered documents: name -> hex SHA-256 -> text."""
    return {path.stem: read_manifest(path) for path in sorted(MANIFESTS.glob("*.json"))}


def breaking_for_clients(schema_sdl: str) -> list[str]:
    """The registered clients' documents a schema would no longer serve."""
    schema = build_schema(schema_sdl)
    found = []
    for client, documents in registered().items():
        for digest, text in documents.items():
            errors = validate(schema, parse(text))
            name = _operation_name(text) or digest[:12]
            found += [f"client {client}: {name}: {e.message}" for e in errors]
    return found


def add(name: str, manifest_path: Path, directory: Path = MANIFESTS) -> int:
    if not CLIENT_NAME.fullmatch(name):
        print(f"a client's name is 1 to 40 of a-z, 0-9 and -, not starting with -: {name!r}")
        return 2
    try:
        documents = documents_of(json.loads(manifest_path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ManifestProblem) as error:
        print(f"{manifest_path}: {error}")
        return 2
    if not documents:
        print(f"{manifest_path}: no operation in it")
        return 2
    found = problems(documents, build_schema(SCHEMA_FILE.read_text()))
    if found:
        print(f"not registered: {len(found)} problem(s) against schema.graphql and prod's limits")
        for problem in found:
            print(f"  {problem}")
        return 1
    target = directory / f"{name}.json"
    before = set(json.loads(target.read_text())) if target.exists() else set()
    after = {f"sha256:{digest}" for digest in documents}
    target.write_text(
        json.dumps({f"sha256:{d}": documents[d] for d in sorted(documents)}, indent=2) + "\n"
    )
    print(
        f"{'updated' if before else 'registered'} client {name}: {len(after)} operation(s) "
        f"({len(after - before)} added, {len(before - after)} removed) in "
        f"{_shown(target)}; ship it with the function (make deploy)"
    )
    return 0


def check() -> int:
    schema = build_schema(SCHEMA_FILE.read_text())
    failed = 0
    for client, documents in registered().items():
        found = problems(documents, schema)
        failed += len(found)
        for problem in found:
            print(f"client {client}: {problem}")
    return 1 if failed else 0


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _prod_guard() -> Any:
    from monolambda.api.graph.schema import build_schema as build_api  # noqa: PLC0415
    from monolambda.settings import Settings  # noqa: PLC0415

    return build_api(Settings.from_env({"APP_ENV": "prod"})).guard


def _operation_name(text: str) -> str | None:
    try:
        document = parse(text)
    except GraphQLError:
        return None
    for definition in document.definitions:
        name = getattr(definition, "name", None)
        if getattr(definition, "operation", None) is not None and name is not None:
            return str(name.value)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    adding = commands.add_parser("add", help="register or update a client's operations")
    adding.add_argument("name", help="the client's name (its manifest's file name)")
    adding.add_argument("manifest", type=Path, help="Code Generator's or Apollo's manifest")
    commands.add_parser("check", help="every registered client's against schema.graphql")
    args = parser.parse_args()
    if args.command == "add":
        return add(args.name, args.manifest)
    return check()


if __name__ == "__main__":
    sys.exit(main())
