"""The ASGI application: Strawberry's HTTP view with our context, JSON errors and safe HTTP
rules, reading and answering the ASGI messages itself (transport.asgi_http, no Starlette)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextvars import ContextVar
from typing import Any, NoReturn, TypeGuard, cast

from cross_web import HTTPException
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.schema.base import BaseSchema
from strawberry.types import ExecutionResult

from monolambda import metrics
from monolambda.api.errors import MASKED_MESSAGE, error_body
from monolambda.api.graph.context import Context
from monolambda.api.guard.trusted_documents import (
    BAD_REQUEST,
    DocumentRefusedError,
    TrustedDocuments,
)
from monolambda.api.transport.asgi_http import (
    HttpRequest,
    HttpResponse,
    Receive,
    RequestAdapter,
    Scope,
    Send,
    json_response,
)
from monolambda.api.transport.requests import context_for, request_id_for
from monolambda.domain.bounded_json import TooLargeError, dumps_within, loads_strict
from monolambda.domain.errors import ErrorCode
from monolambda.domain.sizes import MAX_HTTP_ANSWER_BYTES
from monolambda.logs import logger
from monolambda.services import Services

GRAPHQL_PATH = "/graphql"

# The client a request names itself as (Apollo's client-awareness headers, which Apollo
# Client's and urql's users set): for its trusted documents' refusal and its metrics.
CLIENT_NAME_HEADER = b"apollographql-client-name"
_MAX_CLIENT_NAME = 40
_client: ContextVar[str | None] = ContextVar("monolambda_client", default=None)


_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}
_NO_WEBSOCKETS = "WebSockets are API Gateway's WebSocket API's route (transport.websocket)"

# An answer's bytes as Lambda carries them (its response is JSON around the body, so each
# quote and backslash of the body costs one more): under its 6 MB limit with room to spare.
MAX_ANSWER_BYTES = MAX_HTTP_ANSWER_BYTES


def http_error(
    status: int, message: str, code: str = "BAD_REQUEST", request_id: str | None = None
) -> HttpResponse:
    body = json.dumps(error_body(message, code, request_id), separators=(",", ":"))
    return json_response(body, status)


class GraphQLView(
    AsyncBaseHTTPView[
        HttpRequest, HttpResponse, HttpResponse, HttpRequest, HttpResponse, Context, None
    ]
):
    """Strawberry's HTTP view over ASGI; HTTP-level refusals are JSON with a code, like GraphQL
    errors. WebSockets never reach it (API Gateway's WebSocket API has a route of its own)."""

    request_adapter_class = RequestAdapter

    def __init__(
        self,
        schema: BaseSchema,
        services: Services,
        trusted: TrustedDocuments,
        *,
        graphiql: bool,
        anonymous_access: bool,
    ) -> None:
        self.schema = schema
        self.graphql_ide = "graphiql" if graphiql else None
        self.multipart_uploads_enabled = False
        self._services = services
        self._trusted = trusted
        self._anonymous_access = anonymous_access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await http_error(404, "not found", "NOT_FOUND")(scope, receive, send)
            return
        client = _client_name(scope)
        token = _client.set(client)
        if client is not None:
            metrics.note_client(self._trusted.client_of(client))
        try:
            response = await self.run(HttpRequest(scope, receive))
        except HTTPException as e:
            code = _CODES.get(e.status_code, "BAD_REQUEST")
            metrics.note_outcome(code)
            response = http_error(e.status_code, e.reason, code)
        except DocumentRefusedError as e:
            # Not a document this API runs: a GraphQL error (Apollo's and urql's persisted
            # links read PERSISTED_QUERY_NOT_FOUND from it), a malformed name a 400.
            metrics.note_outcome(e.code)
            status = 400 if e.code == BAD_REQUEST else 200
            response = http_error(status, str(e), e.code, _request_id(scope))
        except TooLargeError as e:
            # The estimate made before execution (api.guard.response_size) let it through: strings
            # longer than their kind usually is. Serialising stopped at the limit; refused
            # rather than failed by Lambda.
            request_id = _request_id(scope)
            logger().warning(
                "answer over the size limit",
                extra={"request_id": request_id, "bytes_before_stopping": e.size},
            )
            metrics.note_outcome(ErrorCode.BAD_USER_INPUT.value)
            response = http_error(
                200,
                f"the answer is over {MAX_ANSWER_BYTES:,} bytes. Ask for fewer: "
                "jobs(first:), results(first:), fewer aliases",
                ErrorCode.BAD_USER_INPUT.value,
                request_id,
            )
        finally:
            _client.reset(token)
        await response(scope, receive, send)

    @property
    def allow_queries_via_get(self) -> bool:
        # A query named by its hash may come by GET (a cacheable URL); a text never does
        # (parse_query_params), and Strawberry runs no mutation from a GET.
        return True

    async def get_root_value(self, request: HttpRequest) -> None:
        return None

    async def get_sub_response(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(status_code=None)

    async def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(self.graphql_ide_html, media_type="text/html")

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: HttpResponse,
    ) -> HttpResponse:
        response = json_response(self.encode_json(response_data), sub_response.status_code or 200)
        response.headers.update(sub_response.headers)
        return response

    async def create_streaming_response(
        self,
        request: HttpRequest,
        stream: Callable[[], AsyncIterator[str]],
        sub_response: HttpResponse,
        headers: Mapping[str, str],
    ) -> HttpResponse:
        return HttpResponse(
            status_code=sub_response.status_code or 200,
            headers={**sub_response.headers, **headers},
            stream=stream(),
        )

    def is_websocket_request(self, request: HttpRequest) -> TypeGuard[HttpRequest]:
        return False

    async def pick_websocket_subprotocol(self, request: HttpRequest) -> NoReturn:
        raise NotImplementedError(_NO_WEBSOCKETS)

    async def create_websocket_response(
        self, request: HttpRequest, subprotocol: str | None
    ) -> NoReturn:
        raise NotImplementedError(_NO_WEBSOCKETS)

    async def reject_websocket(self, request: HttpRequest) -> NoReturn:
        raise NotImplementedError(_NO_WEBSOCKETS)

    def get_websocket_headers(self, request: HttpRequest) -> NoReturn:
        raise NotImplementedError(_NO_WEBSOCKETS)

    async def get_context(self, request: HttpRequest, response: Any) -> Context:
        del response
        scope = request.scope
        return context_for(
            self._services,
            scope.get("aws.event") or {},
            scope.get("aws.context"),
            anonymous_access=self._anonymous_access,
        )

    async def process_result(
        self, request: HttpRequest, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        errors = cast("list[dict[str, Any]]", response.get("errors") or [])
        if not errors:
            return response
        request_id = _request_id(request.scope)
        # Errors normally get their code from MonolambdaSchema's error policy; one raised where
        # it cannot see it arrives here without a code: treat it as ours.
        for error in errors:
            if "code" not in (error.get("extensions") or {}):
                error["message"] = MASKED_MESSAGE
                error["extensions"] = {"code": "INTERNAL", "requestId": request_id}
        # Whatever went wrong, the id a user quotes to support (and the log is searched by).
        response["extensions"] = {**(response.get("extensions") or {}), "requestId": request_id}
        return response

    def encode_json(self, data: object) -> str:
        """The answer, serialised no further than the byte limit (domain.bounded_json)."""
        return dumps_within(data, MAX_ANSWER_BYTES, escaped=True)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET that names a document by hash is a query, whatever it accepts (curl: */*).
        params = request.query_params
        return (
            "documentId" not in params
            and "extensions" not in params
            and super().should_render_graphql_ide(request)
        )

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """A GET's parameters: only a document named by its hash runs from a URL."""
        request: dict[str, Any] = dict(params)
        for key in ("variables", "extensions"):
            if request.get(key):
                request[key] = _json_object(request[key], key)
        if request.get("query") is not None or (
            request.get("documentId") is None
            and not isinstance((request.get("extensions") or {}).get("persistedQuery"), dict)
        ):
            raise HTTPException(
                405,
                "GET takes a document named by its hash (documentId=sha256:..., or "
                "extensions.persistedQuery); send a document's text by POST",
            )
        return self._with_trusted_query(request)

    def decode_json(self, data: str | bytes) -> object:
        """A POST's body (never anything else: parse_query_params decodes a GET's)."""
        decoded = _json_body(data)
        if isinstance(decoded, list):
            return [self._with_trusted_query(r) if isinstance(r, dict) else r for r in decoded]
        return self._with_trusted_query(decoded)

    def _with_trusted_query(self, request: dict[str, Any]) -> dict[str, Any]:
        query = self._trusted.query_of(request, _client.get())
        if query is not None:
            request["query"] = query
        return request


def _json_body(data: str | bytes) -> dict[str, Any] | list[Any]:
    try:
        decoded = loads_strict(data)
    except RecursionError:
        raise HTTPException(400, "The request body is nested too deeply") from None
    except ValueError:
        # Not JSON, or JSON Python will not read (an integer of over 4,300 digits).
        raise HTTPException(400, "Unable to parse request body as JSON") from None
    if not isinstance(decoded, dict | list):
        raise HTTPException(400, "The request body must be a JSON object")
    return decoded


def _json_object(text: str, name: str) -> dict[str, Any]:
    try:
        decoded = loads_strict(text)
    except (RecursionError, ValueError):
        raise HTTPException(400, f"The {name} parameter is not JSON") from None
    if not isinstance(decoded, dict):
        raise HTTPException(400, f"The {name} parameter must be a JSON object")
    return decoded


def _client_name(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == CLIENT_NAME_HEADER:
            return value.decode("latin-1")[:_MAX_CLIENT_NAME].strip() or None
    return None


def _request_id(scope: Scope) -> str:
    return request_id_for(scope.get("aws.event") or {}, scope.get("aws.context"))


class GraphQLPaths:
    """Serves the view at /graphql and at /{stage}/graphql (a REST stage or a named HTTP API
    stage puts the stage name in front of the path); anything else is a JSON 404."""

    def __init__(self, view: Callable[[Scope, Receive, Send], Any]) -> None:
        self._view = view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if is_graphql_path(path):
            try:
                await self._view(scope, receive, send)
            except Exception:  # noqa: BLE001 - the last line of defence: nothing may escape unmasked
                # A failure outside any resolver (a bug of ours in the HTTP layer): mask it
                # like a resolver's, rather than let the adapter answer with its own text.
                request_id = _request_id(scope)
                logger().exception(
                    "unexpected error in the HTTP layer", extra={"request_id": request_id}
                )
                await http_error(500, MASKED_MESSAGE, "INTERNAL", request_id)(scope, receive, send)
            return
        await http_error(404, "not found; the API is at /graphql", "NOT_FOUND")(
            scope, receive, send
        )


def is_graphql_path(path: str) -> bool:
    path = path.rstrip("/")
    if path == GRAPHQL_PATH:
        return True
    head, _, tail = path.rpartition("/")
    return f"/{tail}" == GRAPHQL_PATH and head.count("/") == 1 and len(head) > 1


def build_app(
    schema: BaseSchema,
    services: Services,
    trusted: TrustedDocuments,
    *,
    graphiql: bool,
    anonymous_access: bool,
) -> GraphQLPaths:
    return GraphQLPaths(
        GraphQLView(schema, services, trusted, graphiql=graphiql, anonymous_access=anonymous_access)
    )
