"""Fields whose resolvers do heavy work (decoding, inference), and how many of them one
operation would run: fragments expanded and fields that share a response key merged, as
execution merges them (they run once).

The walk takes each fragment once per place, as execution does, and enters only the types
from which a costly field can be reached: for this schema that is the root of a query, so
the count costs time linear in the document.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter

from monolambda.api.guard.document_walk import Parent, fragment_place, fragments_of
from monolambda.domain.errors import ErrorCode

# Field metadata marking a field whose resolver does heavy work (decoding, inference):
# strawberry.field(metadata={COSTLY: True}).
COSTLY = "monolambda.costly"

_Selections = list[tuple[Parent, SelectionSetNode]]


class CostlyFields:
    def __init__(self, schema: GraphQLSchema, max_fields: int) -> None:
        self._schema = schema
        self._max = max_fields
        self._fields = _costly(schema)
        self._reaching = _reaching(schema, {t for t, _ in self._fields})

    def errors(
        self, document: DocumentNode, operations: tuple[OperationDefinitionNode, ...]
    ) -> list[GraphQLError]:
        errors = []
        fragments = fragments_of(document)
        for operation in operations:
            root = self._schema.get_root_type(operation.operation)
            if root is None or root.name not in self._reaching:
                continue
            found = self._found(fragments, root, operation.selection_set)
            if len(found) > self._max:
                names = ", ".join(sorted(set(found)))
                # The amount of work asked for, like the images budget: the caller's input.
                errors.append(
                    GraphQLError(
                        f"{len(found)} costly fields ({names}) in one operation; "
                        f"allowed: {self._max}. Send one at a time (predictBatch takes "
                        "several images)",
                        operation,
                        extensions={"code": ErrorCode.BAD_USER_INPUT.value},
                    )
                )
        return errors

    def _found(
        self,
        fragments: Mapping[str, FragmentDefinitionNode],
        root: GraphQLObjectType,
        selection_set: SelectionSetNode,
    ) -> list[str]:
        found = []
        places: list[_Selections] = [[(root, selection_set)]]
        while places:
            fields: dict[str, list[tuple[Parent, FieldNode]]] = {}
            taken: set[str] = set()
            pending = places.pop()
            while pending:
                parent, current = pending.pop()
                for selection in current.selections:
                    if isinstance(selection, FieldNode):
                        key = (selection.alias or selection.name).value
                        fields.setdefault(key, []).append((parent, selection))
                        continue
                    if isinstance(selection, FragmentSpreadNode):
                        if selection.name.value in taken:
                            continue
                        taken.add(selection.name.value)
                    elif not isinstance(selection, InlineFragmentNode):
                        continue
                    place = fragment_place(self._schema, selection, parent, fragments)
                    if place is not None:
                        pending.append(place)
            for nodes in fields.values():
                if any((p.name, n.name.value) in self._fields for p, n in nodes):
                    found.append(nodes[0][1].name.value)
                below = self._below(nodes)
                if below:
                    places.append(below)
        return found

    def _below(self, nodes: list[tuple[Parent, FieldNode]]) -> _Selections:
        below = []
        for parent, node in nodes:
            definition = parent.fields.get(node.name.value)
            child = get_named_type(definition.type) if definition else None
            if (
                node.selection_set is not None
                and isinstance(child, GraphQLObjectType | GraphQLInterfaceType)
                and child.name in self._reaching
            ):
                below.append((child, node.selection_set))
        return below


def _costly(schema: GraphQLSchema) -> frozenset[tuple[str, str]]:
    """(type, field) of every field declared with COSTLY metadata."""
    found = set()
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            metadata = getattr(definition, "metadata", None) or {}
            if metadata.get(COSTLY):
                found.add((type_name, field_name))
    return frozenset(found)


def _reaching(schema: GraphQLSchema, owners: set[str]) -> frozenset[str]:
    """The object types from which a field of `owners` can be reached (theirs included)."""
    reaching = set(owners)
    grew = True
    while grew:
        grew = False
        for name, graphql_type in schema.type_map.items():
            if name in reaching or not isinstance(graphql_type, GraphQLObjectType):
                continue
            if any(get_named_type(f.type).name in reaching for f in graphql_type.fields.values()):
                reaching.add(name)
                grew = True
    return frozenset(reaching)
