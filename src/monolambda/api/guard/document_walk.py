"""What the request checks that walk a document share: its fragments by name, and where an
inline fragment's or a spread's selections apply."""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
)

Parent = GraphQLObjectType | GraphQLInterfaceType


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def fragment_place(
    schema: GraphQLSchema,
    selection: InlineFragmentNode | FragmentSpreadNode,
    parent: Parent,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> tuple[Parent, SelectionSetNode] | None:
    """The type and selections an inline fragment or a spread stands for (None: a spread of
    no fragment, or a condition on a type that is no object or interface: validation reports
    both)."""
    if isinstance(selection, InlineFragmentNode):
        condition, inner = selection.type_condition, selection.selection_set
    else:
        fragment = fragments.get(selection.name.value)
        if fragment is None:
            return None
        condition, inner = fragment.type_condition, fragment.selection_set
    typed = schema.get_type(condition.name.value) if condition else parent
    if isinstance(typed, GraphQLObjectType | GraphQLInterfaceType):
        return typed, inner
    return None
