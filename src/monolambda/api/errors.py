"""How errors leave the API: expected ones with a code and their own safe message, the rest
masked to a generic message carrying the request id, and logged in full with that id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from monolambda.domain.errors import DomainError, ErrorCode
from monolambda.logs import logger

MASKED_MESSAGE = "Internal server error"

# Codes for mistakes in the GraphQL document itself (as Apollo Server names them), beside the
# domain's codes.
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def is_unexpected(error: GraphQLError) -> bool:
    """True for a failure of ours rather than of the request: it must be masked and logged."""
    original = error.original_error
    if isinstance(original, DomainError):
        return False
    # graphql-core's own complaints about the request (syntax, validation, variable coercion)
    # carry no original error and describe only what the client sent.
    return not (original is None or isinstance(original, GraphQLError))


def _code(error: GraphQLError, validation_errors: frozenset[int]) -> str:
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code.value
    if isinstance(error, GraphQLSyntaxError) or isinstance(original, GraphQLSyntaxError):
        return PARSE_FAILED
    if id(error) in validation_errors:
        return VALIDATION_FAILED
    return ErrorCode.BAD_USER_INPUT.value


def log_unexpected(errors: list[GraphQLError], request_id: str) -> None:
    for error in errors:
        if is_unexpected(error):
            original = error.original_error
            logger.error(
                "unexpected error while resolving %s",
                ".".join(str(p) for p in error.path or ()) or "the operation",
                exc_info=(type(original), original, original.__traceback__)
                if original is not None
                else None,
                extra={"request_id": request_id},
            )


def shape(error: GraphQLError, request_id: str, validation_errors: frozenset[int]) -> GraphQLError:
    if is_unexpected(error):
        return GraphQLError(
            MASKED_MESSAGE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": ErrorCode.INTERNAL.value, "requestId": request_id},
        )
    extensions: dict[str, Any] = {"code": _code(error, validation_errors)}
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


class ErrorShaping(SchemaExtension):
    """Gives every error a code; masks the unexpected ones (see `shape`)."""

    def __init__(self) -> None:
        self._validation_errors: frozenset[int] = frozenset()

    def on_validate(self) -> Iterator[None]:
        yield
        errors = self.execution_context.pre_execution_errors
        if errors:
            self._validation_errors = frozenset(id(e) for e in errors)

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        request_id = request_id_of(self.execution_context.context)
        result.errors = [shape(e, request_id, self._validation_errors) for e in errors]  # type: ignore[union-attr]


def request_id_of(context: object) -> str:
    return str(getattr(context, "request_id", "unknown"))
