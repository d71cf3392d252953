"""What one GraphQL document may ask for, decided before anything runs, and the cache that
makes a repeated document cost almost nothing.

`OperationGuard.prepare` runs as Strawberry creates each execution context (rather than as
schema extensions: every extension hook is a context manager built per request, and the ones
this needs cost more than a cached document). It bounds the document (tokens; then, in time
linear in the document, fields once fragments are expanded, depth, aliases, nesting,
operations, integer literals and introspection, before graphql-core's rules see it; then
graphql-core's validation, its quadratic rule on a budget; then costly fields), bounds the
variables' lists before they are coerced and the answer's size before anything is read, picks
the operation as the GraphQL spec does (several operations need an operationName), refuses a
mutation in a read-only request, and in prod answers a document that fails validation without
naming anything of the schema (docs/security.md, "What a document and its answer may cost").
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import lru_cache
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    specified_rules,
)
from graphql.language.parser import MAX_NESTING_DEPTH
from graphql.validation.rules import overlapping_fields_can_be_merged
from graphql.validation.validate import ValidationAbortedError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from monolambda import metrics
from monolambda.api.errors import (
    MAX_MESSAGE_CHARS,
    mark_validation_errors,
    masked_validation_error,
)
from monolambda.api.guard.costly_fields import CostlyFields
from monolambda.api.guard.operation_size import (
    CAP,
    MAX_NAME_CHARS,
    fragment_sizes,
    longest_integer,
    longest_name,
    selection_size,
)
from monolambda.api.guard.response_size import Plan, ResponseSizes
from monolambda.api.guard.variables import variable_errors
from monolambda.domain.errors import ErrorCode
from monolambda.domain.sizes import MAX_HTTP_ANSWER_BYTES
from monolambda.logs import logger
from monolambda.settings import GraphQLLimits

INTROSPECTION_OFF = "Introspection is off on this API"
WEBSOCKET_ONLY = (
    "subscriptions are served over the WebSocket API (protocol graphql-transport-ws); "
    "see the docs, Live updates"
)

# graphql-core meters the one spec rule whose work grows with the square of a document (every
# pair of fields sharing a response key, every pair of fragments spread side by side) and
# stops it when the budget is spent. Its default, 500,000 units, is about a second here; 5,000
# are 2-10 ms (bench/validation.py), and this API's own clients' documents spend none.
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = 5_000
# graphql-core's own limit on errors per validation (validate's max_errors).
_MAX_VALIDATION_ERRORS = 100
# Int is 32 bits (10 digits); room for a 64-bit custom scalar.
MAX_INTEGER_DIGITS = 20


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


class Operation(NamedTuple):
    """What each request running an operation asks of it, read from the document once."""

    kind: OperationType
    # Its first root field, as metrics name it (_root_field).
    root_field: str


class CheckedDocument(NamedTuple):
    document: DocumentNode
    operations: tuple[OperationDefinitionNode, ...]
    # Per operation (in the same order).
    facts: tuple[Operation, ...]
    # Mistakes against the schema (unknown fields, wrong argument types...), which name it.
    schema_errors: list[GraphQLError]
    # Limits exceeded (sizes, introspection, costly fields), which do not.
    limit_errors: list[GraphQLError]
    # Per operation (in the same order): how large its answer could be.
    plans: tuple[Plan, ...] = ()


class OperationGuard:
    """Per schema: the limits, and one bounded least-recently-used cache from query text to
    its checked document. (Keyed by text: hashing a document walks its tree.) The trusted
    documents' checks are kept apart, for the container's life: no stream of other texts
    can make the clients' own operations be parsed and validated again."""

    def __init__(
        self,
        schema: GraphQLSchema,
        limits: GraphQLLimits,
        *,
        sizes: ResponseSizes,
        introspection: bool,
        validation_messages: bool,
        trusted: frozenset[str] = frozenset(),
    ) -> None:
        self._schema = schema
        self.sizes = sizes
        self.limits = limits
        self._introspection = introspection
        self._validation_messages = validation_messages
        self._schema_rules = tuple(specified_rules)
        self._costly = CostlyFields(schema, limits.max_costly_fields)
        self._recent: Callable[[str], CheckedDocument] = lru_cache(limits.document_cache_size)(
            self._check
        )
        self._trusted = trusted
        self._trusted_checks: dict[str, CheckedDocument] = {}
        # What a request's metrics may name as its operation (metrics: bounded dimensions).
        self._root_fields = frozenset(
            name
            for root in (schema.query_type, schema.mutation_type, schema.subscription_type)
            if root is not None
            for name in root.fields
        )

    def check(self, query: str) -> CheckedDocument:
        """Parses, measures and validates a query text once (bench/validation.py times it)."""
        if query not in self._trusted:
            return self._recent(query)
        checked = self._trusted_checks.get(query)
        if checked is None:
            checked = self._trusted_checks[query] = self._check(query)
        return checked

    def prepare(self, context: ExecutionContext, operation_name: str | None) -> None:
        context.parse_options["max_tokens"] = self.limits.max_tokens
        context.validation_rules = self._schema_rules
        if not context.query:
            return
        # A document that fails to parse is left to Strawberry, which parses it again (with the
        # same token limit) and reports the syntax error as a GraphQL error.
        try:
            checked = self.check(context.query)
        except GraphQLError:
            return
        chosen = _chosen(checked.operations, operation_name)
        facts = None if chosen is None else checked.facts[chosen]
        if facts is not None:
            metrics.note_operation(facts.root_field)
            if facts.kind is not OperationType.QUERY and getattr(
                context.context, "read_only", False
            ):
                raise ReadOnlyRequestError(facts.kind)
        context.graphql_document = checked.document
        errors = self._errors(checked, context.context)
        if not errors and facts is not None and _needs_a_socket(facts, context):
            errors = [
                GraphQLError(WEBSOCKET_ONLY, extensions={"code": ErrorCode.BAD_USER_INPUT.value})
            ]
        if not errors and context.variables:
            # Before graphql-core coerces them: a list of a million items is refused by its
            # length, not after a million coercions.
            errors = variable_errors(context.variables, self.limits.max_list_items)
        if not errors and chosen is not None and checked.plans:
            errors = self._answer_errors(checked.plans[chosen], context.variables, context.context)
        context.pre_execution_errors = errors

    def _answer_errors(
        self, plan: Plan, variables: dict[str, Any] | None, request: object
    ) -> list[GraphQLError]:
        """Before anything is read: an answer that could be too large, or too costly to
        fetch, is refused."""
        cost = plan.cost(variables)
        limits = self.limits
        max_bytes: int = getattr(request, "max_answer_bytes", MAX_HTTP_ANSWER_BYTES)
        over = []
        if cost.values > limits.max_response_values:
            over.append(
                f"the answer could hold {cost.values:,} values; at most "
                f"{limits.max_response_values:,}"
            )
        if cost.bytes > max_bytes:
            over.append(f"the answer could be {cost.bytes:,} bytes; at most {max_bytes:,}")
        if cost.reads > limits.max_store_reads:
            over.append(
                f"the answer could read {cost.reads:,} stored items; at most "
                f"{limits.max_store_reads:,}"
            )
        return [
            GraphQLError(
                f"{reason}. Ask for fewer: jobs(first:), results(first:), fewer aliases",
                extensions={"code": ErrorCode.BAD_USER_INPUT.value},
            )
            for reason in over
        ]

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
                "validation_errors": [
                    {**e.formatted, "message": e.message[:MAX_MESSAGE_CHARS]}
                    for e in checked.schema_errors
                ],
            },
        )
        return [masked_validation_error(request_id)]

    def _check(self, query: str) -> CheckedDocument:
        document = parse(query, max_tokens=self.limits.max_tokens)
        operations = tuple(
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        )
        facts = tuple(
            Operation(OperationType(o.operation.value), _root_field(o, self._root_fields))
            for o in operations
        )
        # Sizes first, in time linear in the document: they keep every rule after them
        # (graphql-core's among them) from seeing a document that would make it slow.
        refused = self._size_errors(document, operations)
        if refused:
            return CheckedDocument(document, operations, facts, [], mark_validation_errors(refused))
        schema_errors = _explained(validate_document(self._schema, document, self._schema_rules))
        return CheckedDocument(
            document=document,
            operations=operations,
            facts=facts,
            schema_errors=mark_validation_errors(schema_errors),
            limit_errors=mark_validation_errors(self._costly.errors(document, operations)),
            # Only a valid document has plans: its fragments form no cycle.
            plans=() if schema_errors else tuple(self.sizes.plan(document, o) for o in operations),
        )

    def _size_errors(
        self, document: DocumentNode, operations: tuple[OperationDefinitionNode, ...]
    ) -> list[GraphQLError]:
        limits = self.limits
        longest = longest_name(document)
        if longest > MAX_NAME_CHARS:
            # First and alone: a long alias repeated over a list would make the answer's keys
            # its bulk, and every later check would walk the long names again.
            return [
                GraphQLError(
                    f"a name of {longest:,} characters; names are at most {MAX_NAME_CHARS}",
                    extensions={"code": ErrorCode.BAD_USER_INPUT.value},
                )
            ]
        fragments = fragment_sizes(document)
        operation_sizes = [(o, selection_size(o.selection_set, fragments)) for o in operations]
        # Validation visits every definition, a fragment nobody spreads included.
        sizes = [s for _, s in operation_sizes] + list(fragments.values())
        if not self._introspection and any(s.introspection for s in sizes):
            # One error, without locations: which fields were refused would say nothing new.
            return [GraphQLError(INTROSPECTION_OFF)]
        errors = []
        if len(operations) > limits.max_operations:
            errors.append(
                GraphQLError(
                    f"{len(operations)} operations in one document; allowed: "
                    f"{limits.max_operations}"
                )
            )
        fields = min(sum(s.fields for s in sizes), CAP)
        if fields > limits.max_fields:
            errors.append(
                GraphQLError(
                    f"{'over ' if fields >= CAP else ''}{fields:,} fields once fragments are "
                    f"expanded; allowed: {limits.max_fields:,}. Spread each fragment once"
                )
            )
        aliases = sum(s.aliases for _, s in operation_sizes)
        if aliases > limits.max_aliases:
            errors.append(GraphQLError(f"{aliases} aliases found. Allowed: {limits.max_aliases}"))
        digits = longest_integer(document)
        if digits > MAX_INTEGER_DIGITS:
            errors.append(
                GraphQLError(
                    f"an integer literal of {digits:,} digits; at most {MAX_INTEGER_DIGITS}"
                )
            )
        nesting = max((s.nesting for s in sizes), default=0)
        if nesting > MAX_NESTING_DEPTH:
            errors.append(
                GraphQLError(
                    f"selections are nested {nesting} deep through fragments; "
                    f"allowed: {MAX_NESTING_DEPTH}"
                )
            )
        for operation, size in operation_sizes:
            if size.depth > limits.max_depth:
                name = operation.name.value if operation.name else "anonymous"
                errors.append(
                    GraphQLError(
                        f"'{name}' exceeds maximum operation depth of {limits.max_depth}",
                        operation,
                    )
                )
        return errors


def _root_field(operation: OperationDefinitionNode, root_fields: frozenset[str]) -> str:
    """The operation's first root field, as metrics name it: one of the schema's, or
    "introspection", or "other" (a fragment at the root, say)."""
    first = operation.selection_set.selections[0] if operation.selection_set.selections else None
    if not isinstance(first, FieldNode):
        return "other"
    name = first.name.value
    if name.startswith("__"):
        return "introspection"
    return name if name in root_fields else "other"


def _needs_a_socket(operation: Operation, context: ExecutionContext) -> bool:
    """A subscription runs over the WebSocket API (its `subscribe`, with a Listener) or as
    one of its events (with the changed job as root value), never from an HTTP request."""
    return (
        operation.kind is OperationType.SUBSCRIPTION
        and context.root_value is None
        and getattr(context.context, "live", None) is None
    )


def _explained(errors: list[GraphQLError]) -> list[GraphQLError]:
    """graphql-core's bare "Validation aborted." said as what stopped it: its error limit, or
    (the nesting having been checked before) the overlapping-fields rule's budget."""
    if not errors or not isinstance(errors[-1], ValidationAbortedError):
        return errors
    if len(errors) > _MAX_VALIDATION_ERRORS:
        reason = f"more than {_MAX_VALIDATION_ERRORS} errors; validation stopped there"
    else:
        reason = (
            "the document is too costly to validate: a field selected many times at one "
            "place, or many fragments spread side by side. Select each field once"
        )
    return [*errors[:-1], GraphQLError(reason)]


def _chosen(operations: Collection[OperationDefinitionNode], name: str | None) -> int | None:
    """Which operation runs, as the spec's GetOperation picks it; None for an unknown name
    (Strawberry reports that one)."""
    if name is None:
        if len(operations) > 1:
            raise OperationNameRequiredError
        return 0 if operations else None
    return next((i for i, o in enumerate(operations) if o.name and o.name.value == name), None)
