"""Families of hostile GraphQL documents, each growing with n: fragments that fan out,
fields repeated at one place, nesting, many operations... (tests/unit/test_validation_cost.py
holds their checks to linear work; bench/validation.py times them at the token limit)."""

from __future__ import annotations

from collections.abc import Callable

from graphql import GraphQLError, parse

Family = Callable[[int], str]


def fan_out(levels: int) -> str:
    """Each fragment spreads the previous one twice: 2^levels fields in O(levels) bytes."""
    fragments = ["fragment F0 on Query { health { status } }"]
    fragments += [
        f"fragment F{k} on Query {{ ...F{k - 1} ...F{k - 1} }}" for k in range(1, levels + 1)
    ]
    return f"query {{ ...F{levels} }} " + " ".join(fragments)


def nested_fan_out(levels: int) -> str:
    """The fan-out under two response keys per level: execution itself would double."""
    fragments = ["fragment F0 on Health { status }"]
    fragments += [
        f"fragment F{k} on Health {{ a: checks {{ name }} ...F{k - 1} b: status ...F{k - 1} }}"
        for k in range(1, levels + 1)
    ]
    return f"query {{ health {{ ...F{levels} }} }} " + " ".join(fragments)


def chain(n: int) -> str:
    fragments = ["fragment F0 on Query { health { status } }"]
    fragments += [f"fragment F{k} on Query {{ ...F{k - 1} }}" for k in range(1, n + 1)]
    return f"query {{ ...F{n} }} " + " ".join(fragments)


def aliases_times_fragments(n: int) -> str:
    aliased = " ".join(f"a{i}: health {{ status }}" for i in range(15))
    spreads = " ".join(f"...S{i}" for i in range(n))
    fragments = " ".join(f"fragment S{i} on Query {{ ...A }}" for i in range(n))
    return f"query {{ {spreads} }} fragment A on Query {{ {aliased} }} {fragments}"


def nested_inline(n: int) -> str:
    return "{ " + "... on Query { " * n + "__typename" + " }" * n + " }"


def deep_introspection(n: int) -> str:
    inner = "name"
    for _ in range(n):
        inner = f"fields {{ type {{ name {inner} }} }}"
    return f"{{ __schema {{ types {{ {inner} }} }} }}"


def repeated_leaf(n: int) -> str:
    return "{ " + " __typename" * n + " }"


def repeated_object(n: int) -> str:
    return "{ " + " version { version }" * n + " }"


def fragments_side_by_side(n: int) -> str:
    spreads = " ".join(f"...F{i}" for i in range(n))
    fragments = " ".join(f"fragment F{i} on Query {{ ...G }}" for i in range(n))
    return f"{{ {spreads} }} {fragments} fragment G on Query {{ __typename }}"


def inline_side_by_side(n: int) -> str:
    return "{ " + " ... on Query { ...G }" * n + " } fragment G on Query { __typename }"


def many_operations(n: int) -> str:
    return " ".join(f"query Q{i} {{ health {{ status }} }}" for i in range(n))


def many_variables(n: int) -> str:
    variables = ", ".join(f"$v{i}: Int" for i in range(n))
    return f"query({variables}) {{ __typename }}"


def many_directives(n: int) -> str:
    return "{ __typename" + " @skip(if: false)" * n + " }"


def many_errors(n: int) -> str:
    return "{ " + " ".join(f"u{i}" for i in range(n)) + " }"


FAMILIES: dict[str, Family] = {
    "fan-out (830 B at 20 levels)": fan_out,
    "fan-out under two keys": nested_fan_out,
    "fragment chain": chain,
    "15 aliases x fragments": aliases_times_fragments,
    "nested inline fragments": nested_inline,
    "deep introspection": deep_introspection,
    "one leaf repeated": repeated_leaf,
    "one object field repeated": repeated_object,
    "fragments side by side": fragments_side_by_side,
    "inline fragments side by side": inline_side_by_side,
    "many operations": many_operations,
    "many unused variables": many_variables,
    "many directives": many_directives,
    "many unknown fields": many_errors,
}


def fits(text: str, max_tokens: int) -> bool:
    try:
        # With the comment a timing appends (graphql-core counts comments as tokens).
        parse(f"{text}\n# 99999", max_tokens=max_tokens)
    except GraphQLError:
        return False
    return True


def largest(family: Family, max_tokens: int) -> int:
    """The largest n whose document the token limit lets through (documents grow with n)."""
    low, high = 1, 2
    while fits(family(high), max_tokens) and high < 1 << 16:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(family(middle), max_tokens) else (low, middle)
    return low
