"""A request's variables, bounded by their length before graphql-core coerces them.

Coercion visits every item of a list (1.5 million empty strings took 3-4 s before a job's
image count refused them); a body up to the size limit can hold millions of values. Every
list and object is refused here by its length alone, and the walk stops at the first one too
long, or once the variables hold more values than any operation of this API takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError

from monolambda.domain.errors import ErrorCode


def variable_errors(variables: Mapping[str, Any], max_list_items: int) -> list[GraphQLError]:
    # Room for the longest list, a few of its length, and the input objects around them.
    max_values = 4 * max_list_items + 100
    stack: list[tuple[str, Any]] = list(variables.items())
    seen = 0
    while stack:
        name, value = stack.pop()
        seen += 1
        if seen > max_values:
            return [_refusal(f"the variables hold more than {max_values:,} values")]
        if isinstance(value, list | dict):
            if len(value) > max_list_items:
                kind = "a list" if isinstance(value, list) else "an object"
                return [
                    _refusal(
                        f"Variable '${name}' holds {kind} of {len(value):,} items; "
                        f"at most {max_list_items:,}"
                    )
                ]
            items = value if isinstance(value, list) else value.values()
            stack.extend((name, item) for item in items)
    return []


def _refusal(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.BAD_USER_INPUT.value})
