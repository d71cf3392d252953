"""The docs' schema page is written from schema.graphql (scripts/schema_reference.py): every
type and root field has a section, every type a signature names links to one, and what the
file says (descriptions, defaults, enum values) is there."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import build_schema

from scripts.schema_reference import SCHEMA, markdown

SDL = '''
"""The root."""
type Query {
  """Find things."""
  things(first: Int! = 20, kind: Kind = null): [Thing!]!
}

"""A thing."""
type Thing {
  """first | last, kept in one cell"""
  name: String!
  when: DateTime
}

"""Kinds."""
enum Kind {
  """The big ones."""
  BIG
  SMALL
}

scalar DateTime
'''


def anchors(page: str) -> set[str]:
    return set(re.findall(r"\{#([\w-]+)\}", page))


def test_a_small_schema(tmp_path: Path) -> None:
    schema = tmp_path / "schema.graphql"
    schema.write_text(SDL)
    page = markdown(schema)
    assert "## Queries" in page
    assert "### `things` {#things-field}" in page
    assert "Returns \\[[`Thing`](#thing)!\\]!." in page
    assert "| `first` | [`Int`](#int)! = `20` |  |" in page
    assert "| `kind` | [`Kind`](#kind) = `null` |  |" in page
    assert "| `BIG` | The big ones. |" in page
    assert "Find things." in page
    assert "| `name` | [`String`](#string)! | first \\| last, kept in one cell |" in page
    assert "*scalar*" in page
    assert {"thing", "kind", "datetime", "int", "string"} <= anchors(page)
    assert "## Mutations" not in page  # the schema has none


def test_every_link_of_the_real_schemas_page_has_its_section() -> None:
    page = markdown(SCHEMA)
    found = anchors(page)
    links = set(re.findall(r"\]\(#([\w-]+)\)", page))
    assert links <= found, links - found
    schema = build_schema(SCHEMA.read_text())
    named = {n.lower() for n in schema.type_map if not n.startswith("__")}
    assert named - {"query", "mutation", "subscription"} <= found
    for name, field in (schema.query_type.fields if schema.query_type else {}).items():
        assert f"{{#{name.lower()}-field}}" in page
        if field.description:
            assert field.description.strip() in page
