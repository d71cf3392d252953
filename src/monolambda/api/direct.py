"""The common request, answered without the ASGI round trip.

Nearly every call is a JSON POST of one operation. For those, going event -> Mangum -> ASGI ->
Starlette -> Strawberry's view -> schema costs about as much again as executing the schema
(measured: ~170 us of ~350 us for `{ health }`). This executes the same schema directly and
builds the same response Mangum would. Anything else — GET, GraphiQL, batches, other content
types, bodies that are not a plain operation, operations Strawberry refuses before executing —
returns None and takes the full path, so HTTP-level behaviour has exactly one implementation.
tests/unit/test_direct.py checks that both paths answer alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import strawberry
from strawberry.http import process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from monolambda.api.app import is_graphql_path
from monolambda.api.context import context_for
from monolambda.services import Services

_POST_OPERATIONS = frozenset(OperationType.from_http("POST"))
_OPERATION_KEYS = frozenset({"query", "variables", "operationName", "extensions"})


class DirectExecution:
    def __init__(self, schema: strawberry.Schema, services: Services) -> None:
        self._schema = schema
        self._services = services
        self.enabled = not _has_async_resolvers(schema)

    def try_answer(
        self, event: Mapping[str, Any], body: str, lambda_context: object
    ) -> dict[str, Any] | None:
        """The API Gateway response for a plain JSON operation, or None to take the full path."""
        operation = _plain_operation(event, body)
        if operation is None:
            return None
        query, variables, operation_name = operation
        context = context_for(self._services, event, lambda_context)
        if context.read_only:
            return None
        try:
            result = self._schema.execute_sync(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
                allowed_operation_types=_POST_OPERATIONS,
            )
        except (CannotGetOperationTypeError, InvalidOperationTypeError):
            return None  # refused before anything ran; the view phrases the 400
        payload = json.dumps(process_result(result), separators=(",", ":"))
        return _response(event, payload)


def _plain_operation(
    event: Mapping[str, Any], body: str
) -> tuple[str, dict[str, Any] | None, str | None] | None:
    if event.get("isBase64Encoded") or not body or not _is_json_post(event):
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not data.keys() <= _OPERATION_KEYS:
        return None
    query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
    if not isinstance(query, str) or not query:
        return None
    if not (
        isinstance(variables, dict | None)
        and isinstance(name, str | None)
        and isinstance(data.get("extensions"), dict | None)
    ):
        return None
    return query, variables, name


def _is_json_post(event: Mapping[str, Any]) -> bool:
    if event.get("version") == "2.0":
        http = event["requestContext"].get("http") or {}
        method, path = http.get("method"), event.get("rawPath", "")
    else:
        method, path = event.get("httpMethod"), event.get("path", "")
    return method == "POST" and is_graphql_path(path) and _is_json(event)


def _is_json(event: Mapping[str, Any]) -> bool:
    headers = event.get("headers") or {}
    content_types = [v for k, v in headers.items() if k.lower() == "content-type"]
    if len(content_types) != 1:
        return False
    return str(content_types[0]).split(";", 1)[0].strip().lower() == "application/json"


def _response(event: Mapping[str, Any], payload: str) -> dict[str, Any]:
    # The same shape, header order included, as Mangum's answer for each payload version.
    headers = {"content-length": str(len(payload.encode())), "content-type": "application/json"}
    if event.get("version") == "2.0":
        return {"statusCode": 200, "body": payload, "headers": headers, "isBase64Encoded": False}
    return {
        "statusCode": 200,
        "headers": headers,
        "multiValueHeaders": {},
        "body": payload,
        "isBase64Encoded": False,
    }


def _has_async_resolvers(schema: strawberry.Schema) -> bool:
    """execute_sync cannot run coroutine resolvers; such a schema always takes the full path."""
    for graphql_type in schema.schema_converter.type_map.values():
        for field in getattr(graphql_type.definition, "fields", ()):
            if getattr(field, "is_async", False):
                return True
    return False
