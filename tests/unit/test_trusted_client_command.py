"""`make trusted-client` (scripts/trusted_documents.py): another team registers its client's
operations from the manifest its own tooling writes, checked against schema.graphql and
prod's limits, without touching any other client's file; a schema change that would fail a
registered client's operation is not written (scripts/schema_contract.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from scripts import trusted_documents as command
from tests.support.docs import named_block
from tests.support.processes import ROOT

SESSION = "query Session { __typename me { __typename sub } }"
MODELS = "query Models { models { name labels } }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apollo(*texts: str) -> dict[str, Any]:
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": sha(t), "name": "x", "type": "query", "body": t} for t in texts],
    }


def write(tmp_path: Path, manifest: Any) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path


@pytest.mark.parametrize(
    "manifest",
    [
        {f"sha256:{sha(SESSION)}": SESSION, f"sha256:{sha(MODELS)}": MODELS},  # Code Generator
        {sha(SESSION): SESSION, sha(MODELS): MODELS},  # bare hex keys
        apollo(SESSION, MODELS),  # Apollo's generate-persisted-query-manifest
    ],
    ids=["codegen", "hex", "apollo"],
)
def test_a_clients_manifest_is_registered_in_its_own_file(
    tmp_path: Path, manifest: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    clients = tmp_path / "clients"
    clients.mkdir()
    (clients / "web.json").write_text('{"untouched": true}')
    assert command.add("team-b", write(tmp_path, manifest), clients) == 0
    assert json.loads((clients / "team-b.json").read_text()) == {
        f"sha256:{sha(MODELS)}": MODELS,
        f"sha256:{sha(SESSION)}": SESSION,
    }
    assert (clients / "web.json").read_text() == '{"untouched": true}'
    assert (
        "registered client team-b: 2 operation(s) (2 added, 0 removed)" in capsys.readouterr().out
    )
    assert command.add("team-b", write(tmp_path, apollo(SESSION)), clients) == 0
    assert "updated client team-b: 1 operation(s) (0 added, 1 removed)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        ({f"sha256:{sha(SESSION)}": MODELS}, "its key is not the SHA-256 of its text"),
        ({sha("query X { nope }"): "query X { nope }"}, "Cannot query field 'nope'"),
        ({sha("query X { health"): "query X { health"}, "Syntax Error"),
        (
            apollo("query Long { " + "a" * 65 + ": health { status } }"),
            "a name of 65 characters; names are at most 64",
        ),
    ],
)
def test_a_document_the_schema_or_prods_limits_refuse_is_not_registered(
    tmp_path: Path, manifest: Any, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clients = tmp_path / "clients"
    clients.mkdir()
    assert command.add("team-b", write(tmp_path, manifest), clients) == 1
    assert problem in capsys.readouterr().out
    assert list(clients.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "manifest"),
    [
        ("Team B", {sha(SESSION): SESSION}),
        ("team-b", {"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}),
        ("team-b", [SESSION]),
        ("team-b", {}),
    ],
)
def test_what_is_no_client_or_no_manifest_is_refused(
    tmp_path: Path, name: str, manifest: Any
) -> None:
    clients = tmp_path / "clients"
    clients.mkdir()
    assert command.add(name, write(tmp_path, manifest), clients) == 2
    assert list(clients.iterdir()) == []


def test_every_registered_clients_operations_are_served_today() -> None:
    """What `make test` holds: each shipped manifest, against schema.graphql and prod."""
    assert command.check() == 0


def test_a_schema_that_fails_a_registered_client_is_breaking_for_it() -> None:
    schema = (ROOT / "schema.graphql").read_text()
    assert command.breaking_for_clients(schema) == []
    without_models = schema.replace(
        '  """The image classifiers in the registry."""\n  models: [Model!]!\n', ""
    )
    assert without_models != schema
    broken = command.breaking_for_clients(without_models)
    assert any(p.startswith("client web: Session:") and "models" in p for p in broken)


def test_the_documented_command_is_the_one_that_registers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/clients/second-client.md's `make trusted-client NAME=... MANIFEST=...` runs this
    script's `add` with those two; run here on the Apollo example's manifest, into a
    directory of its own (the real one ships with the function)."""
    (shown,) = [line for line in named_block("trusted-client").text.splitlines() if line]
    words = dict(w.split("=", 1) for w in shown.split()[2:])
    assert shown.split()[:2] == ["make", "trusted-client"]
    assert set(words) == {"NAME", "MANIFEST"}
    recipe = (ROOT / "Makefile").read_text().split("\ntrusted-client:", 1)[1].split("\n\n")[0]
    assert 'scripts/trusted_documents.py add "$(NAME)" "$(MANIFEST)"' in recipe
    clients = tmp_path / "clients"
    clients.mkdir()
    manifest = ROOT / "examples" / "apollo-client" / "persisted-query-manifest.json"
    assert command.add(words["NAME"], manifest, clients) == 0
    assert f"registered client {words['NAME']}:" in capsys.readouterr().out
