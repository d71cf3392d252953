"""How much a document asks for once its fragments are expanded, measured in time linear in
the document, before any rule that expands fragments sees it.

Strawberry's depth and alias limiters expand a fragment at every spread: a document of 830
bytes in which each fragment spreads the previous one twice, twenty levels deep, kept them
busy for 15 s (39 levels: minutes). Here each fragment is measured once and its measure added
at every spread, without recursion (fragment chains are as long as the document allows), and
counts stop growing past `CAP`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    SelectionSetNode,
    Token,
    TokenKind,
)

from monolambda.api.guard.document_walk import fragments_of

# Counts saturate here: any limit is far below it, and a fan-out of fragments would otherwise
# make numbers with hundreds of digits.
CAP = 1 << 40

# The fields that lead into the schema's description; __typename is an ordinary field.
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


# Value types here and in the other modules of a request's checks are NamedTuples rather than
# frozen dataclasses: a dataclass compiles its methods when its module is imported, about
# 1.3 ms each, and these modules are part of every cold start of the HTTP route.
class Size(NamedTuple):
    # Field selections with every fragment spread expanded (what execution would walk, before
    # fields that share a response key are merged).
    fields: int = 0
    aliases: int = 0
    # Nesting of fields with selections, as Strawberry's depth limiter counts it: a leaf adds
    # nothing, and introspection fields (__schema, __typename...) are not counted or entered.
    depth: int = 0
    # Selection sets within selection sets, a spread adding its fragment's: graphql-core's
    # validation stops past MAX_NESTING_DEPTH with a bare "Validation aborted.".
    nesting: int = 0
    introspection: bool = False


def fragment_sizes(document: DocumentNode) -> dict[str, Size]:
    """Every fragment's size, each measured once: a fragment after the fragments it spreads
    (an explicit stack, not recursion). A spread closing a cycle, or naming no fragment,
    adds nothing; graphql-core's own rules report both."""
    fragments = fragments_of(document)
    spreads = {name: list(_spreads(f.selection_set)) for name, f in fragments.items()}
    sizes: dict[str, Size] = {}
    for root in fragments:
        if root in sizes:
            continue
        path = [(root, iter(spreads[root]))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for spread in pending:
                if spread in fragments and spread not in sizes and spread not in on_path:
                    path.append((spread, iter(spreads[spread])))
                    on_path.add(spread)
                    break
            else:
                # Measured, so never entered again: it need not leave `on_path`.
                path.pop()
                sizes[name] = selection_size(fragments[name].selection_set, sizes)
    return sizes


def selection_size(selection_set: SelectionSetNode, fragments: dict[str, Size]) -> Size:
    """The size of one selection set, the fragments it spreads already measured."""
    fields = aliases = depth = nesting = 0
    introspection = False
    # (selection set, fields with selections around it, selection sets around it and itself,
    # inside an introspection field)
    stack = [(selection_set, 0, 1, False)]
    while stack:
        current, level, nest, ignored = stack.pop()
        nesting = max(nesting, nest)
        for selection in current.selections:
            if isinstance(selection, FieldNode):
                fields += 1
                aliases += selection.alias is not None
                name = selection.name.value
                introspection = introspection or name in INTROSPECTION_FIELDS
                inner = ignored or name.startswith("__")
                if selection.selection_set is not None:
                    stack.append((selection.selection_set, level + 1, nest + 1, inner))
                if not inner:
                    depth = max(depth, level + (selection.selection_set is not None))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, level, nest + 1, ignored))
            elif isinstance(selection, FragmentSpreadNode):
                spread = fragments.get(selection.name.value)
                if spread is None:
                    continue
                fields = min(fields + spread.fields, CAP)
                aliases = min(aliases + spread.aliases, CAP)
                introspection = introspection or spread.introspection
                nesting = max(nesting, nest + spread.nesting)
                if not ignored:
                    depth = max(depth, level + spread.depth)
    return Size(min(fields, CAP), min(aliases, CAP), depth, nesting, introspection)


def _spreads(selection_set: SelectionSetNode) -> Iterator[str]:
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif (
                isinstance(selection, FieldNode | InlineFragmentNode)
                and selection.selection_set is not None
            ):
                stack.append(selection.selection_set)


def longest_integer(document: DocumentNode) -> int:
    """Digits of the document's longest integer literal. Python refuses to convert one of
    more than 4,300 digits, and graphql-core's Int reports that refusal as its own failure.
    Every definition's own tree once (spreads not followed), with explicit stacks; about 20
    times cheaper than graphql-core's generic visit, which this replaced."""
    longest = 0
    values: list[Any] = []
    nodes: list[Any] = list(document.definitions)
    while nodes:
        node = nodes.pop()
        values.extend(a.value for a in getattr(node, "arguments", None) or ())
        for directive in getattr(node, "directives", None) or ():
            values.extend(a.value for a in directive.arguments or ())
        for definition in getattr(node, "variable_definitions", None) or ():
            nodes.append(definition)
            if definition.default_value is not None:
                values.append(definition.default_value)
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            nodes.extend(selection_set.selections)
    while values:
        value = values.pop()
        if isinstance(value, IntValueNode):
            longest = max(longest, len(value.value.lstrip("-")))
        elif isinstance(value, ListValueNode):
            values.extend(value.values)
        elif isinstance(value, ObjectValueNode):
            values.extend(f.value for f in value.fields)
    return longest


# Names (fields, aliases, arguments, types, fragments, variables, operations, directives):
# GraphQL's own are a few words; a long alias repeated over a list would make an answer's
# keys its bulk.
MAX_NAME_CHARS = 64


def longest_name(document: DocumentNode) -> int:
    """Characters of the document's longest name, from its tokens (a string's content is no
    name, however it looks): one pass over at most the parser's token limit."""
    if document.loc is None:
        raise TypeError("a document parsed without its tokens cannot have its names measured")
    longest = 0
    token: Token | None = document.loc.start_token
    while token is not None:
        if token.kind is TokenKind.NAME:
            longest = max(longest, len(token.value or ""))
        token = token.next
    return longest
