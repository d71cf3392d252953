"""MkDocs hooks (mkdocs.yml `hooks:`): the schema page's reference is written from
schema.graphql at every build, so the page cannot drift from the contract."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# mkdocs loads this file by path; the generator lives beside it in the repository's scripts.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.schema_reference import markdown as schema_reference

MARKER = "<!-- schema-reference -->"


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, schema_reference())
