"""JSON as the API reads and writes it: strict on the way in, within a byte limit on the way
out.

Python's json reads NaN and Infinity, which JSON has no words for: `loads_strict` refuses them.

Out, within a byte limit: serialising stops as soon as the text passes the limit, so an
answer larger than its transport carries never exists in memory whole.

An answer's size is estimated before it is read (api.guard.response_size), from the declared
lengths of its strings; a string longer than declared can still make the text larger. The
walk goes down through objects and lists that hold other objects or lists and hands each
innermost one (an object of scalars; of a list of scalars or of such objects, a result's
labels, FLAT_ITEMS items at a time) to the standard library's C encoder: memory holds at
most the limit plus one such part, at about three times the C encoder's time for a large
answer and a few microseconds for a small one.

Sizes are counted as they are carried: over HTTP, Lambda's response is JSON around the body,
so each quote and backslash of the body costs one byte more (`escaped=True`).
"""

from __future__ import annotations

import json
from _json import make_encoder
from json.encoder import encode_basestring_ascii
from typing import Any

# The C encoder json.dumps(separators=(",", ":")) uses, made once: json.dumps builds a
# JSONEncoder and its C encoder every time it is given options (~1 us, per item here).
_chunks = make_encoder(None, str, encode_basestring_ascii, None, ":", ",", False, False, True)


def _encode(value: Any) -> str:
    return "".join(_chunks(value, 0))


def loads_strict(text: str | bytes | bytearray) -> Any:
    """json.loads, refusing NaN, Infinity and -Infinity (ValueError)."""
    if isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")  # as json.loads does
    return _STRICT.decode(text)


def _not_json(constant: str) -> float:
    raise ValueError(f"{constant} is not JSON")


# Made once: json.loads builds a decoder on every call that passes it an option.
_STRICT = json.JSONDecoder(parse_constant=_not_json)


class TooLargeError(Exception):
    """The text passed the limit; `size` is how far it had got (at least the limit + 1)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"over {limit:,} bytes")
        self.size = size
        self.limit = limit


def dumps_within(value: Any, limit: int, *, escaped: bool = False) -> str:
    """`value` as compact JSON (as json.dumps with separators (",", ":") makes it), or
    TooLargeError once its size passes `limit`. The answer is made of plain dicts, lists and
    scalars (graphql-core builds them so)."""
    writer = _Writer(limit, escaped=escaped)
    writer.value(value)
    return "".join(writer.parts)


_CONTAINERS = frozenset({dict, list, tuple})
# Items of a flat list encoded in one call: a result's 20 labels in two.
FLAT_ITEMS = 16


def _is_flat(value: Any) -> bool:
    """A scalar, or an object whose values are all scalars."""
    kind = type(value)
    if kind is dict:
        return _CONTAINERS.isdisjoint(map(type, value.values()))
    return kind not in _CONTAINERS


class _Writer:
    __slots__ = ("escaped", "limit", "parts", "size")

    def __init__(self, limit: int, *, escaped: bool) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.escaped = escaped

    def add(self, text: str) -> None:
        self.size += len(text)
        if self.escaped:
            self.size += text.count('"') + text.count("\\")
        if self.size > self.limit:
            raise TooLargeError(self.size, self.limit)
        self.parts.append(text)

    def value(self, value: Any) -> None:
        kind = type(value)
        if kind is dict:
            # Types checked in C (map, isdisjoint): most objects hold only scalars.
            if _CONTAINERS.isdisjoint(map(type, value.values())):
                self.add(_encode(value))
                return
            separator = "{"
            for key, item in value.items():
                self.add(separator + encode_basestring_ascii(str(key)) + ":")
                self.value(item)
                separator = ","
            self.add("}")
        elif kind is list or kind is tuple:
            # A list of scalars, or of objects of scalars (a result's labels), goes to the C
            # encoder FLAT_ITEMS at a time: one call per part, however long the list.
            if all(map(_is_flat, value)):
                if not value:
                    self.add("[]")
                    return
                for start in range(0, len(value), FLAT_ITEMS):
                    part = _encode(value[start : start + FLAT_ITEMS])
                    self.add(("[" if start == 0 else ",") + part[1:-1])
                self.add("]")
                return
            separator = "["
            for item in value:
                self.add(separator)
                self.value(item)
                separator = ","
            self.add("]")
        else:
            self.add(_encode(value))
