"""How errors leave the API: expected ones with a code and their own safe message, the rest
masked to a generic message carrying the request id, and logged in full with that id.

Without detailed messages (prod), graphql-core's complaints about a request's variables are
answered without their text too: it names input types and their fields.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, VariableDefinitionNode

from monolambda.domain.errors import DomainError, ErrorCode
from monolambda.logs import logger

MASKED_MESSAGE = "Internal server error"
MASKED_VALIDATION_MESSAGE = (
    "The operation is not valid for this API (the log has the details under the requestId)"
)

# graphql-core quotes a wrong literal whole ("Boolean cannot represent ...: <3 MB string>"):
# every message leaves cut to this many characters.
MAX_MESSAGE_CHARS = 1_000

# Codes for mistakes in the GraphQL document itself (as Apollo Server names them), beside the
# domain's codes.
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def error_body(message: str, code: str, request_id: str | None = None) -> dict[str, Any]:
    """The JSON of a refusal made outside GraphQL execution, shaped like a GraphQL error."""
    extensions = {"code": code} if request_id is None else {"code": code, "requestId": request_id}
    return {"errors": [{"message": message, "extensions": extensions}]}


def is_unexpected(error: GraphQLError) -> bool:
    """True for a failure of ours rather than of the request: it must be masked and logged."""
    original = error.original_error
    if isinstance(original, DomainError):
        return False
    if original is None:
        # graphql-core's complaints about the request (syntax, validation, variables) have no
        # path; one with a path arose while executing (a null in a non-null field): ours.
        return error.path is not None
    return not isinstance(original, GraphQLError)


def mark_validation_errors(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Validation errors are told apart when they are made (they are cached and reused); a
    rule may have chosen a code of its own."""
    for error in errors:
        error.extensions = {"code": VALIDATION_FAILED, **(error.extensions or {})}
    return errors


def masked_validation_error(request_id: str) -> GraphQLError:
    return GraphQLError(
        MASKED_VALIDATION_MESSAGE,
        extensions={"code": VALIDATION_FAILED, "requestId": request_id},
    )


def _code(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code.value
    if isinstance(error, GraphQLSyntaxError) or isinstance(original, GraphQLSyntaxError):
        return PARSE_FAILED
    return ErrorCode.BAD_USER_INPUT.value


def shape(error: GraphQLError, request_id: str, *, detailed: bool = True) -> GraphQLError:
    shaped = _shape(error, request_id, detailed=detailed)
    if len(shaped.message) <= MAX_MESSAGE_CHARS:
        return shaped
    return GraphQLError(
        shaped.message[: MAX_MESSAGE_CHARS - 1] + "…",
        nodes=shaped.nodes,
        source=shaped.source,
        positions=shaped.positions,
        path=shaped.path,
        extensions=shaped.extensions,
    )


def _shape(error: GraphQLError, request_id: str, *, detailed: bool) -> GraphQLError:
    if is_unexpected(error):
        return GraphQLError(
            MASKED_MESSAGE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": ErrorCode.INTERNAL.value, "requestId": request_id},
        )
    if error.extensions and "code" in error.extensions:
        return error
    variable = _variable_of(error)
    if variable is not None and not detailed:
        logger().info(
            "variable values refused",
            extra={"request_id": request_id, "variable_error": error.message},
        )
        return GraphQLError(
            f"Variable '${variable}' has an invalid value (the log has the details under the "
            "requestId)",
            extensions={"code": ErrorCode.BAD_USER_INPUT.value, "requestId": request_id},
        )
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": _code(error)},
    )


def _variable_of(error: GraphQLError) -> str | None:
    """The variable's name, for graphql-core's refusal of a variable's value (which may wrap
    the coercion's own GraphQLError)."""
    original = error.original_error
    if (original is None or isinstance(original, GraphQLError)) and error.nodes:
        node = error.nodes[0]
        if isinstance(node, VariableDefinitionNode):
            return node.variable.name.value
    return None


def log_unexpected(errors: list[GraphQLError], request_id: str) -> None:
    for error in errors:
        if not is_unexpected(error):
            continue
        where = ".".join(str(p) for p in error.path or ()) or "the operation"
        original = error.original_error
        logger().error(
            "unexpected error while resolving %s",
            where,
            exc_info=(type(original), original, original.__traceback__) if original else None,
            extra={"request_id": request_id, "graphql_error": error.message},
        )


def request_id_of(context: object) -> str:
    return str(getattr(context, "request_id", "unknown"))
