"""Request bodies and parameters are read as json.loads reads them, but for the words JSON
does not have (NaN, Infinity, -Infinity), which are refused."""

from __future__ import annotations

import json

import pytest

from monolambda.domain.bounded_json import loads_strict

TEXTS = ['{"query": "{ health { status } }"}', '[1, 2.5, "\\u00e9", null]', '"plain"']


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32"])
def test_bytes_in_any_encoding_json_reads_are_read_alike(text: str, encoding: str) -> None:
    data = text.encode(encoding)
    assert loads_strict(data) == json.loads(data)
    assert loads_strict(bytearray(data)) == json.loads(data)


@pytest.mark.parametrize("text", TEXTS)
def test_text_is_read_alike(text: str) -> None:
    assert loads_strict(text) == json.loads(text)


@pytest.mark.parametrize(
    "text", ["NaN", "[Infinity]", '{"a": -Infinity}', b"[NaN]", "\ufeff{}", "{", ""]
)
def test_what_is_not_json_is_a_value_error(text: str | bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - json's own errors are ValueErrors too
        loads_strict(text)
