"""What one GraphQL document may ask for, decided before anything runs, and the cache that
makes a repeated document cost almost nothing.

`OperationGuard.prepare` runs as Strawberry creates each execution context (rather than as
schema extensions: every extension hook is a context manager built per request, and the ones
this needs cost more than a cached document). It bounds the document (tokens, depth, aliases,
costly fields, introspection), picks the operation as the GraphQL spec does (several
operations need an operationName), refuses a mutation in a read-only request, and in prod
answers a document that fails validation without naming anything of the schema.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    parse,
    specified_rules,
)
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import validate_document
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from monolambda.api.errors import mark_validation_errors, masked_validation_error
from monolambda.domain.errors import ErrorCode
from monolambda.logs import logger
from monolambda.settings import GraphQLLimits

# Field metadata marking a field whose resolver does heavy work (decoding, inference):
# strawberry.field(metadata={COSTLY: True}).
COSTLY = "monolambda.costly"


class OperationNameRequiredError(CannotGetOperationTypeError):
    """Several operations and no operationName: the spec makes this a request error."""

    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return "Must provide operation name if query contains multiple operations."


class ReadOnlyRequestError(InvalidOperationTypeError):
    """A mutation in a request whose JSON content type was assumed (see Context.read_only)."""

    def as_http_error_reason(self, method: str) -> str:
        del method
        return "mutations need the header Content-Type: application/json"


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    document: DocumentNode
    operations: tuple[OperationDefinitionNode, ...]
    # Mistakes against the schema (unknown fields, wrong argument types...), which name it.
    schema_errors: list[GraphQLError]
    # Limits exceeded (depth, aliases, costly fields, introspection), which do not.
    limit_errors: list[GraphQLError]


def costly_fields(schema: GraphQLSchema) -> frozenset[tuple[str, str]]:
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


def costly_field_limit(
    max_fields: int, costly: frozenset[tuple[str, str]]
) -> type[ASTValidationRule]:
    class CostlyFieldLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            found = list(_costly_in(self.context, {"": [(root, node.selection_set)]}, costly))
            if len(found) > max_fields:
                names = ", ".join(sorted(set(found)))
                # The amount of work asked for, like the images budget: the caller's input.
                self.report_error(
                    GraphQLError(
                        f"{len(found)} costly fields ({names}) in one operation; "
                        f"allowed: {max_fields}. Send one at a time (predictBatch takes "
                        "several images)",
                        node,
                        extensions={"code": ErrorCode.BAD_USER_INPUT.value},
                    )
                )

    return CostlyFieldLimit


def _costly_in(
    context: ValidationContext,
    selections: dict[str, list[tuple[GraphQLObjectType, SelectionSetNode]]],
    costly: frozenset[tuple[str, str]],
) -> Iterator[str]:
    """Costly fields as they would execute: fragments expanded, fields with one response key
    merged (they run once), and each level's merged selections walked in turn."""
    for parts in selections.values():
        fields: dict[str, list[tuple[GraphQLObjectType, FieldNode]]] = {}
        for parent, selection_set in parts:
            _collect(context, parent, selection_set, fields, frozenset())
        below: dict[str, list[tuple[GraphQLObjectType, SelectionSetNode]]] = {}
        for key, nodes in fields.items():
            if any((p.name, n.name.value) in costly for p, n in nodes):
                yield nodes[0][1].name.value
            for parent, node in nodes:
                definition = parent.fields.get(node.name.value)
                child = get_named_type(definition.type) if definition else None
                if node.selection_set and isinstance(child, GraphQLObjectType):
                    below.setdefault(key, []).append((child, node.selection_set))
        yield from _costly_in(context, below, costly)


def _collect(
    context: ValidationContext,
    parent: GraphQLObjectType,
    selection_set: SelectionSetNode,
    fields: dict[str, list[tuple[GraphQLObjectType, FieldNode]]],
    spreading: frozenset[str],
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = (selection.alias or selection.name).value
            fields.setdefault(key, []).append((parent, selection))
            continue
        if isinstance(selection, InlineFragmentNode):
            target, selections = selection.type_condition, selection.selection_set
            inner = spreading
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = context.get_fragment(name)
            if fragment is None or name in spreading:  # reported by the spec's own rules
                continue
            target, selections = fragment.type_condition, fragment.selection_set
            inner = spreading | {name}
        else:
            continue
        typed = context.schema.get_type(target.name.value) if target else parent
        if isinstance(typed, GraphQLObjectType):
            _collect(context, typed, selections, fields, inner)


def limit_rules(
    limits: GraphQLLimits, schema: GraphQLSchema, *, introspection: bool
) -> tuple[type[ASTValidationRule], ...]:
    # Introspection fields are not counted towards depth (GraphiQL's own query is 13 deep);
    # introspection as a whole is governed by its own switch.
    rules: list[type[ASTValidationRule]] = [
        depth_limit(limits.max_depth, should_ignore=None),
        alias_limit(limits.max_aliases),
        costly_field_limit(limits.max_costly_fields, costly_fields(schema)),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


class OperationGuard:
    """Per schema: the limits, and one bounded least-recently-used cache from query text to
    its checked document. (Keyed by text: hashing a document walks its tree.)"""

    def __init__(
        self,
        schema: GraphQLSchema,
        limits: GraphQLLimits,
        *,
        introspection: bool,
        validation_messages: bool,
    ) -> None:
        self._schema = schema
        self._max_tokens = limits.max_tokens
        self._validation_messages = validation_messages
        self._schema_rules = tuple(specified_rules)
        self._limit_rules = limit_rules(limits, schema, introspection=introspection)
        self._checked: Callable[[str], CheckedDocument] = lru_cache(limits.document_cache_size)(
            self._check
        )

    def prepare(self, context: ExecutionContext, operation_name: str | None) -> None:
        context.parse_options["max_tokens"] = self._max_tokens
        context.validation_rules = (*self._schema_rules, *self._limit_rules)
        if not context.query:
            return
        # A document that fails to parse is left to Strawberry, which parses it again (with the
        # same token limit) and reports the syntax error as a GraphQL error.
        checked: CheckedDocument | None = None
        with suppress(GraphQLError):
            checked = self._checked(context.query)
        if checked is None:
            return
        operation = _operation(checked.operations, operation_name)
        if getattr(context.context, "read_only", False) and operation is not None:
            kind = OperationType(operation.operation.value)
            if kind is not OperationType.QUERY:
                raise ReadOnlyRequestError(kind)
        context.graphql_document = checked.document
        context.pre_execution_errors = self._errors(checked, context.context)

    def _errors(self, checked: CheckedDocument, request: object) -> list[GraphQLError]:
        if not checked.schema_errors:
            return checked.limit_errors
        if self._validation_messages:
            return [*checked.schema_errors, *checked.limit_errors]
        # Messages, their count and their locations would each tell a prober which of its
        # guesses are fields; the client gets none of them, the log gets all of them.
        request_id = str(getattr(request, "request_id", "unknown"))
        logger().info(
            "operation failed validation",
            extra={
                "request_id": request_id,
                "validation_errors": [e.formatted for e in checked.schema_errors],
            },
        )
        return [masked_validation_error(request_id)]

    def _check(self, query: str) -> CheckedDocument:
        document = parse(query, max_tokens=self._max_tokens)
        return CheckedDocument(
            document=document,
            operations=tuple(
                d for d in document.definitions if isinstance(d, OperationDefinitionNode)
            ),
            schema_errors=mark_validation_errors(
                validate_document(self._schema, document, self._schema_rules)
            ),
            limit_errors=mark_validation_errors(
                validate_document(self._schema, document, self._limit_rules)
            ),
        )


def _operation(
    operations: Collection[OperationDefinitionNode], name: str | None
) -> OperationDefinitionNode | None:
    """The operation to run, as the spec's GetOperation picks it; None for an unknown name
    (Strawberry reports that one)."""
    if name is None:
        if len(operations) > 1:
            raise OperationNameRequiredError
        return next(iter(operations), None)
    return next((o for o in operations if o.name and o.name.value == name), None)
