"""schema.graphql is the clients' contract: it is what the code declares, and a change to it
is told breaking, dangerous or safe before it is written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from graphql import build_schema

from scripts import schema_contract
from scripts.schema_contract import SCHEMA_FILE, changes, exported


def test_the_committed_schema_is_what_the_code_declares() -> None:
    assert SCHEMA_FILE.read_text() == exported(), "schema.graphql has drifted: run `make schema`"


def test_the_committed_schema_is_valid_graphql_with_every_root() -> None:
    schema = build_schema(SCHEMA_FILE.read_text())
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    assert schema.subscription_type is not None
    assert {"jobUpdated", "jobsUpdated"} <= set(schema.subscription_type.fields)


OLD = """
type Query { job(id: ID!): Job!  health: String }
type Job { id: ID!  status: JobStatus!  model: String! }
enum JobStatus { QUEUED RUNNING }
"""


def test_a_removed_field_is_breaking_a_new_enum_value_dangerous_a_new_field_safe() -> None:
    new = """
    type Query { job(id: ID!): Job!  version: String }
    type Job { id: ID!  status: JobStatus!  model: String!  createdAt: String }
    enum JobStatus { QUEUED RUNNING CANCELLED }
    """
    found = changes(OLD, new)
    assert found.breaking == ["Field Query.health was removed."]
    assert found.dangerous == ["Enum value JobStatus.CANCELLED was added."]
    assert sorted(found.safe) == [
        "Field Job.createdAt was added.",
        "Field Query.version was added.",
    ]


def test_the_check_fails_on_drift_and_a_breaking_change_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    drifted = tmp_path / "schema.graphql"
    drifted.write_text(OLD)
    monkeypatch.setattr(schema_contract, "SCHEMA_FILE", drifted)
    monkeypatch.setattr(sys, "argv", ["schema_contract.py", "--check"])
    assert schema_contract.main() == 1
    # Against OLD, the code's schema removes Query.health's String type and more: breaking.
    monkeypatch.setattr(sys, "argv", ["schema_contract.py"])
    assert schema_contract.main() == 2
    assert drifted.read_text() == OLD
    assert "breaking:" in capsys.readouterr().out
