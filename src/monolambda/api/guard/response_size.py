"""What an operation's answer could cost, estimated before anything is read: its values, its
bytes and the store reads it implies.

- **Values**: every value of the answer counts one (an object, each of its fields, each item
  of a list).
- **Bytes**: the answer as JSON, keys included: each field's response key (its alias or its
  name, quoted, with a colon and a comma) and its value at the size its type declares (a
  number at its longest, an ID, a date-time, an enum at its longest value, a string at the
  length declared for that field or the default). An alias is one token however long, and
  repeated over a list it would be the bulk of the bytes: names are bounded too (api.guard.limits).
- **Reads**: what fetching the answer costs the store, in items read: a page of jobs reads
  one per job, and each field that needs a whole job (its results, its webhook) reads it.

Every list counts its longest: a length declared per list field (`ListSize`), taken from an
argument when the caller chooses it (`jobs(first:)`, `results(first:)`). What the arguments
say may come from variables, so the estimate is a plan made once per document (`plan`) and
evaluated per request (`Plan.cost`) in time linear in the plan. Introspection is not
estimated: graphql-core's introspection depth rule bounds it, and whatever is answered is
serialised within a byte limit in any case (api.answer_json).
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
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
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

from monolambda.api.guard.document_walk import Parent, fragment_place, fragments_of

# A key's bytes besides its name: its two quotes, the colon, and the comma before the next.
KEY_OVERHEAD = 4
# A list item's comma, an object's braces.
ITEM_OVERHEAD = 1
OBJECT_BYTES = 2
# A string's quotes.
QUOTES = 2

# The JSON bytes of a value of each built-in scalar, at its longest where it has one.
SCALAR_BYTES = {
    "Int": len("-2147483648"),
    # repr of a float: 17 significant digits, a sign, a point and an exponent.
    "Float": len("-1.2345678901234567e-308"),
    "Boolean": len("false"),
    "DateTime": QUOTES + len("2026-12-06T05:00:00.000000+00:00"),
}
# A string or an ID whose field declares no length of its own (StringSize).
DEFAULT_STRING_CHARS = 64


class ListSize(NamedTuple):
    """The longest a list field's value can be."""

    maximum: int
    # The field's own argument saying how many (results(first:)), or, for a connection's
    # edges, the argument of the field that made the connection (jobs(first:)).
    argument: str | None = None
    parent_argument: str | None = None


class Reads(NamedTuple):
    """What a field costs the store, in items read: per time it is resolved, and per item of
    its list (a page of jobs reads one per job)."""

    per_field: int = 0
    per_item: int = 0


class Cost(NamedTuple):
    values: int = 0
    bytes: int = 0
    reads: int = 0

    def times(self, factor: int) -> Cost:
        return Cost(self.values * factor, self.bytes * factor, self.reads * factor)

    def plus(self, other: Cost) -> Cost:
        return Cost(self.values + other.values, self.bytes + other.bytes, self.reads + other.reads)


class Variable(NamedTuple):
    """A list's length that a variable says (clamped to the list's maximum)."""

    name: str
    default: int
    maximum: int

    def resolve(self, variables: Mapping[str, Any]) -> int:
        value = variables.get(self.name)
        if isinstance(value, bool) or not isinstance(value, int):
            # Not given (its default), or not a number: refused by coercion later, and the
            # estimate stays finite.
            return self.default
        return max(0, min(value, self.maximum))


Factor = int | Variable


class Term(NamedTuple):
    """A part of the cost that the variables multiply."""

    cost: Cost
    variables: tuple[Variable, ...]


class Plan(NamedTuple):
    # The cost whatever the variables say, and the parts that depend on them.
    constant: Cost
    terms: tuple[Term, ...] = ()

    def cost(self, variables: Mapping[str, Any] | None) -> Cost:
        total = self.constant
        given = variables or {}
        for term in self.terms:
            total = total.plus(term.cost.times(prod(v.resolve(given) for v in term.variables)))
        return total


class Declared(NamedTuple):
    """Per schema coordinate (Type.field): what the estimate cannot read from the types."""

    lists: Mapping[str, ListSize]
    # Characters of a string or an ID field's value, where they differ from the default.
    strings: Mapping[str, int]
    reads: Mapping[str, Reads]


class ResponseSizes:
    """Per schema: every list field's declared length, string lengths and reads, and plans
    for documents."""

    def __init__(self, schema: GraphQLSchema, declared: Declared) -> None:
        self._schema = schema
        self._sizes = dict(declared.lists)
        self._strings = dict(declared.strings)
        self._reads = dict(declared.reads)
        self._longest_list = max((s.maximum for s in self._sizes.values()), default=1)
        # __typename's value: the longest name of a type it could be.
        self._type_names = {
            name: max((len(t.name) for t in _possible(schema, graphql_type)), default=len(name))
            for name, graphql_type in schema.type_map.items()
            if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType)
        }

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

    def unknown(self) -> list[str]:
        """Declared coordinates the schema has no field for: the tests keep this empty (a
        renamed field would lose its declared size silently)."""
        declared = {*self._sizes, *self._strings, *self._reads}
        return sorted(c for c in declared if not self._exists(c))

    def _exists(self, coordinate: str) -> bool:
        type_name, _, field_name = coordinate.partition(".")
        graphql_type = self._schema.get_type(type_name)
        return isinstance(graphql_type, GraphQLObjectType) and field_name in graphql_type.fields

    def plan(self, document: DocumentNode, operation: OperationDefinitionNode) -> Plan:
        """Call once the document is valid (no fragment cycles) and its expanded size is
        bounded: the walk expands every spread."""
        root = self._schema.get_root_type(operation.operation)
        if root is None:
            return Plan(Cost())
        defaults = {
            d.variable.name.value: d.default_value.value
            for d in operation.variable_definitions or ()
            if isinstance(d.default_value, IntValueNode)
        }
        fragments = fragments_of(document)
        constant = Cost()
        terms: list[Term] = []

        def add(cost: Cost, factors: tuple[Factor, ...]) -> None:
            nonlocal constant
            fixed = cost.times(prod(f for f in factors if isinstance(f, int)))
            variables = tuple(f for f in factors if isinstance(f, Variable))
            if variables:
                terms.append(Term(fixed, variables))
            else:
                constant = constant.plus(fixed)

        stack: list[tuple[_Place, tuple[Factor, ...], _Made]] = [
            ((root, operation.selection_set), (), (None, ()))
        ]
        while stack:
            (parent, selection_set), factors, made_by = stack.pop()
            for selection in selection_set.selections:
                if isinstance(selection, InlineFragmentNode | FragmentSpreadNode):
                    place = fragment_place(self._schema, selection, parent, fragments)
                    if place is not None:
                        stack.append((place, factors, made_by))
                    continue
                if not isinstance(selection, FieldNode):
                    continue
                name = selection.name.value
                key = KEY_OVERHEAD + len((selection.alias or selection.name).value)
                if name == "__typename":
                    add(Cost(1, key + QUOTES + self._type_names[parent.name]), factors)
                    continue
                definition = parent.fields.get(name)
                if definition is None:
                    # Introspection (__schema, __type: no type has them as fields), or an
                    # error validation reports.
                    add(Cost(1, key), factors)
                    continue
                coordinate = f"{parent.name}.{name}"
                named = get_named_type(definition.type)
                leaf = self._leaf_bytes(coordinate, named)
                reads = self._reads.get(coordinate, Reads())
                made = (definition, selection.arguments or ())
                inner = factors
                if is_list_type(get_nullable_type(definition.type)):
                    add(Cost(1, key + OBJECT_BYTES, reads.per_field), factors)
                    inner = (*factors, self._length(coordinate, made, made_by, defaults))
                    item = OBJECT_BYTES if leaf is None else leaf
                    add(Cost(0, item + ITEM_OVERHEAD, reads.per_item), inner)
                else:
                    add(
                        Cost(1, key + (OBJECT_BYTES if leaf is None else leaf), reads.per_field),
                        factors,
                    )
                if selection.selection_set is not None and isinstance(
                    named, GraphQLObjectType | GraphQLInterfaceType
                ):
                    stack.append(((named, selection.selection_set), inner, made))
        return Plan(constant, tuple(terms))

    def _leaf_bytes(self, coordinate: str, named: GraphQLNamedType) -> int | None:
        """A scalar's or an enum's bytes; None for an object or an interface."""
        if isinstance(named, GraphQLEnumType):
            return QUOTES + max((len(v) for v in named.values), default=0)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            return None
        known = SCALAR_BYTES.get(named.name)
        if known is not None:
            return known
        return QUOTES + self._strings.get(coordinate, DEFAULT_STRING_CHARS)

    def _length(
        self, coordinate: str, made: _Made, made_by: _Made, defaults: Mapping[str, str]
    ) -> Factor:
        size = self._sizes.get(coordinate)
        if size is None:
            # Undeclared (the tests keep none): as long as the longest declared list.
            return self._longest_list
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


def _possible(
    schema: GraphQLSchema, graphql_type: GraphQLObjectType | GraphQLInterfaceType
) -> Iterable[GraphQLObjectType | GraphQLInterfaceType]:
    if isinstance(graphql_type, GraphQLInterfaceType):
        return schema.get_possible_types(graphql_type)
    return (graphql_type,)


_Place = tuple[Parent, SelectionSetNode]
# The field that made an object, and the arguments it was given.
_Made = tuple[GraphQLField | None, Iterable[ArgumentNode]]
