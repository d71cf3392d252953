"""How errors leave the API: expected ones with a code and their own safe message, the rest
masked to a generic message carrying the request id, and logged in full with that id."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError

from monolambda.domain.errors import DomainError, ErrorCode
from monolambda.logs import logger

MASKED_MESSAGE = "Internal server error"

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
    # graphql-core's own complaints about the request (syntax, validation, variable coercion)
    # carry no original error and describe only what the client sent.
    return not (original is None or isinstance(original, GraphQLError))


def mark_validation_errors(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Validation errors are told apart when they are made (they are cached and reused)."""
    for error in errors:
        error.extensions = {**(error.extensions or {}), "code": VALIDATION_FAILED}
    return errors


def _code(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code.value
    if isinstance(error, GraphQLSyntaxError) or isinstance(original, GraphQLSyntaxError):
        return PARSE_FAILED
    return ErrorCode.BAD_USER_INPUT.value


def shape(error: GraphQLError, request_id: str) -> GraphQLError:
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
    extensions: dict[str, Any] = {"code": _code(error)}
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def log_unexpected(errors: list[GraphQLError], request_id: str) -> None:
    for error in errors:
        original = error.original_error
        if original is not None and is_unexpected(error):
            logger().error(
                "unexpected error while resolving %s",
                ".".join(str(p) for p in error.path or ()) or "the operation",
                exc_info=(type(original), original, original.__traceback__),
                extra={"request_id": request_id},
            )


def request_id_of(context: object) -> str:
    return str(getattr(context, "request_id", "unknown"))
