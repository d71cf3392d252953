"""Bounds on what one GraphQL document may cost: tokens, depth, aliases, introspection.

The validation rules are built once per schema, not per request: a rule class made per request
would never hit the validation cache, whose key includes the rule classes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
from functools import lru_cache

from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule, parse
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.types.graphql import OperationType

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


def operation_limits(
    limits: GraphQLLimits, *, introspection: bool
) -> Callable[[], SchemaExtension]:
    """A per-request extension factory applying the limits, its rules made once, here.

    It also caches parsed documents (least recently used, bounded). A document that fails to
    parse is left to Strawberry, which parses it again and reports the syntax error as a
    GraphQL error; a cached parser raising from a hook would escape that handling.
    """
    rules = validation_rules(limits, introspection=introspection)
    max_tokens = limits.max_tokens
    cached_parse = lru_cache(maxsize=limits.document_cache_size)(parse)

    class OperationLimits(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            context = self.execution_context
            context.parse_options["max_tokens"] = max_tokens
            context.validation_rules = (*context.validation_rules, *rules)
            if getattr(context.context, "read_only", False):
                context.allowed_operations = _QUERIES_ONLY
            yield

        def on_parse(self) -> Iterator[None]:
            context = self.execution_context
            if context.query:
                with suppress(GraphQLError):
                    context.graphql_document = cached_parse(context.query, max_tokens=max_tokens)
            yield

    return OperationLimits
