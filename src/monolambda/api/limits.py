"""Bounds on what one GraphQL document may cost (tokens, depth, aliases, introspection), and
the caches that make a repeated document cost almost nothing.

Applied by `OperationGuard.prepare` to each execution context as Strawberry creates it, rather
than as schema extensions: every extension hook is a context manager built per request, and
the three this needs cost more than parsing and validating a cached document.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from functools import lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    parse,
    specified_rules,
)
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from monolambda.api.errors import mark_validation_errors
from monolambda.settings import GraphQLLimits

_QUERIES_ONLY = frozenset({OperationType.QUERY})


def validation_rules(
    limits: GraphQLLimits, *, introspection: bool
) -> tuple[type[ASTValidationRule], ...]:
    # Introspection fields are not counted towards depth (GraphiQL's own query is 13 deep);
    # introspection as a whole is governed by its own switch.
    rules: list[type[ASTValidationRule]] = [
        depth_limit(limits.max_depth, should_ignore=None),
        alias_limit(limits.max_aliases),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


class OperationGuard:
    """Per schema: the limits, and one bounded least-recently-used cache from query text to its
    parsed document and validation errors. (Keyed by text: hashing a document walks its tree.)"""

    def __init__(
        self, schema: GraphQLSchema, limits: GraphQLLimits, *, introspection: bool
    ) -> None:
        self._schema = schema
        self._max_tokens = limits.max_tokens
        self._rules = (*specified_rules, *validation_rules(limits, introspection=introspection))
        self._checked: Callable[[str], tuple[DocumentNode, list[GraphQLError]]] = lru_cache(
            limits.document_cache_size
        )(self._check)

    def prepare(self, context: ExecutionContext) -> None:
        context.parse_options["max_tokens"] = self._max_tokens
        context.validation_rules = self._rules
        if getattr(context.context, "read_only", False):
            context.allowed_operations = _QUERIES_ONLY
        if not context.query:
            return
        # A document that fails to parse is left to Strawberry, which parses it again (with the
        # same token limit) and reports the syntax error as a GraphQL error.
        with suppress(GraphQLError):
            context.graphql_document, context.pre_execution_errors = self._checked(context.query)

    def _check(self, query: str) -> tuple[DocumentNode, list[GraphQLError]]:
        document = parse(query, max_tokens=self._max_tokens)
        errors = validate_document(self._schema, document, self._rules)
        return document, mark_validation_errors(errors)
