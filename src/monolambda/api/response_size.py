"""How large an operation's answer could be, estimated before anything is read.

Every value of the answer counts one (an object, each of its fields, each item of a list),
and every list counts its longest: a length declared per list field (`ListSize`), taken from
an argument when the caller chooses it (`jobs(first:)`, `results(first:)`). What the
arguments say may come from variables, so the estimate is a plan made once per document
(`plan`) and evaluated per request (`Plan.values`) in time linear in the plan. Introspection
is not estimated: graphql-core's introspection depth rule bounds it, and the answer's bytes
are capped in any case (api.app).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from math import prod
from typing import Any, NamedTuple

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from monolambda.api.document_walk import Parent, fragment_place, fragments_of


class ListSize(NamedTuple):
    """The longest a list field's value can be."""

    maximum: int
    # The field's own argument saying how many (results(first:)), or, for a connection's
    # edges, the argument of the field that made the connection (jobs(first:)).
    argument: str | None = None
    parent_argument: str | None = None


class Variable(NamedTuple):
    """A list's length that a variable says (clamped to the list's maximum)."""

    name: str
    default: int
    maximum: int

    def resolve(self, variables: Mapping[str, Any]) -> int:
        value = variables.get(self.name, self.default)
        if isinstance(value, bool) or not isinstance(value, int):
            return self.default  # refused by coercion later; the estimate stays finite
        return max(0, min(value, self.maximum))


Factor = int | Variable


class Plan(NamedTuple):
    # Values whatever the variables say, and the products that depend on them.
    constant: int
    terms: tuple[tuple[Factor, ...], ...] = ()

    def values(self, variables: Mapping[str, Any] | None) -> int:
        if not self.terms:
            return self.constant
        given = variables or {}
        return self.constant + sum(
            prod(f if isinstance(f, int) else f.resolve(given) for f in term) for term in self.terms
        )


class ResponseSizes:
    """Per schema: every list field's declared length, and plans for documents."""

    def __init__(self, schema: GraphQLSchema, sizes: Mapping[str, ListSize]) -> None:
        self._schema = schema
        self._sizes = dict(sizes)

    def undeclared(self) -> list[str]:
        """List fields (Type.field) with no declared length: the tests keep this empty."""
        return [
            f"{name}.{field_name}"
            for name, graphql_type in self._schema.type_map.items()
            if isinstance(graphql_type, GraphQLObjectType) and not name.startswith("__")
            for field_name, field in graphql_type.fields.items()
            if is_list_type(get_nullable_type(field.type))
            and f"{name}.{field_name}" not in self._sizes
        ]

    def plan(self, document: DocumentNode, operation: OperationDefinitionNode) -> Plan:
        """Call once the document is valid (no fragment cycles) and its expanded size is
        bounded: the walk expands every spread."""
        root = self._schema.get_root_type(operation.operation)
        if root is None:
            return Plan(0)
        defaults = {
            d.variable.name.value: d.default_value.value
            for d in operation.variable_definitions or ()
            if isinstance(d.default_value, IntValueNode)
        }
        fragments = fragments_of(document)
        constant = 0
        terms: list[tuple[Factor, ...]] = []
        stack: list[tuple[_Place, tuple[Factor, ...], _Made]] = [
            ((root, operation.selection_set), (), (None, ()))
        ]
        while stack:
            (parent, selection_set), factors, made_by = stack.pop()
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    variable = tuple(f for f in factors if isinstance(f, Variable))
                    fixed = prod(f for f in factors if isinstance(f, int))
                    if variable:
                        terms.append((fixed, *variable))
                    else:
                        constant += fixed
                    name = selection.name.value
                    definition = parent.fields.get(name)
                    if definition is None or name.startswith("__"):
                        continue  # introspection, or an error validation reports
                    inner = factors
                    made = (definition, selection.arguments or ())
                    if is_list_type(get_nullable_type(definition.type)):
                        length = self._length(f"{parent.name}.{name}", made, made_by, defaults)
                        inner = (*factors, length)
                    child = get_named_type(definition.type)
                    if selection.selection_set is not None and isinstance(
                        child, GraphQLObjectType | GraphQLInterfaceType
                    ):
                        stack.append(((child, selection.selection_set), inner, made))
                    continue
                if not isinstance(selection, InlineFragmentNode | FragmentSpreadNode):
                    continue
                place = fragment_place(self._schema, selection, parent, fragments)
                if place is not None:
                    stack.append((place, factors, made_by))
        return Plan(constant, tuple(terms))

    def _length(
        self, coordinate: str, made: _Made, made_by: _Made, defaults: Mapping[str, str]
    ) -> Factor:
        size = self._sizes.get(coordinate)
        if size is None:
            # Undeclared (the tests keep none): as long as the longest declared list.
            return max((s.maximum for s in self._sizes.values()), default=1)
        if size.argument is not None:
            (field, arguments), name = made, size.argument
        elif size.parent_argument is not None:
            (field, arguments), name = made_by, size.parent_argument
        else:
            return size.maximum
        declared = field.args.get(name) if field is not None else None
        fallback = size.maximum
        if declared is not None and isinstance(declared.default_value, int):
            fallback = min(declared.default_value, size.maximum)
        value = next((a.value for a in arguments if a.name.value == name), None)
        if isinstance(value, IntValueNode):
            return max(0, min(int(value.value), size.maximum))
        if isinstance(value, VariableNode):
            variable = value.name.value
            given = defaults.get(variable)
            default = min(int(given), size.maximum) if given is not None else fallback
            return Variable(variable, default, size.maximum)
        return fallback


_Place = tuple[Parent, SelectionSetNode]
# The field that made an object, and the arguments it was given.
_Made = tuple[GraphQLField | None, Iterable[ArgumentNode]]
