"""A local API Gateway: HTTP requests in, real API Gateway proxy events to the handler, its
responses back out, for the routes the template declares (payload 2.0 for HttpApi, 1.0 for Api)."""

from __future__ import annotations

import base64
import json
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devstack.auth import JwtVerifier, Unauthorized
from devstack.graphiql import ASSET_PREFIX, OfflineGraphiQL
from devstack.lambda_runtime import LocalFunction
from devstack.local import LOCAL_ACCOUNT
from devstack.template import Cors, LocalTemplate, Route
from devstack.web import WebClient

# Bodies API Gateway hands over as text; anything else arrives base64-encoded.
_TEXT_TYPES = ("text/", "application/json", "application/graphql", "application/xml", "+json")
_API_ID = "local"


Answer = tuple[int, list[tuple[str, str]], bytes]


@dataclass(frozen=True)
class Invocation:
    """A request routed to a function: the event to invoke it with."""

    function: LocalFunction
    event: dict[str, Any]
    payload_version: str
    method: str


class Gateway:
    def __init__(
        self,
        template: LocalTemplate,
        functions: dict[str, LocalFunction],
        *,
        authorizers: dict[str, JwtVerifier] | None = None,
        graphiql: OfflineGraphiQL | None = None,
        extra_routes: dict[tuple[str, str], Callable[[bytes], Answer]] | None = None,
        dev_origins: tuple[str, ...] = (),
        web: WebClient | None = None,
    ) -> None:
        """`dev_origins`: origins allowed besides the template's CORS configuration
        (`http://localhost:*` matches any port), for a dev stack's own page and local apps."""
        self.template = template
        self.functions = functions
        self.authorizers = authorizers or {}
        self.graphiql = graphiql
        # (method, path) -> callable(body) -> Answer: the stack's own endpoints (/_devstack/...)
        self.extra_routes = extra_routes or {}
        self.dev_origins = dev_origins
        # The browser client at / (web/dist), where no API route is.
        self.web = web

    def route(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> Answer | Invocation | Callable[[], Answer]:
        """What a request needs: an answer at once, an invocation of a function (answer() makes
        its response an HTTP answer), or a call of one of the stack's own endpoints (which may
        take a while)."""
        url = urlsplit(target)
        named = _headers_of(headers)
        if method == "OPTIONS" and "access-control-request-method" in named:
            preflight = self._preflight(url.path, named)
            if preflight is not None:
                return preflight
        if (method, url.path) in self.extra_routes:
            endpoint = self.extra_routes[(method, url.path)]
            return lambda: endpoint(body)
        if method == "GET" and url.path.startswith(ASSET_PREFIX) and self.graphiql is not None:
            return self._asset(self.graphiql, url.path)
        found = self.template.route_for(method, url.path)
        if found is None:
            page = self.web.answer(url.path) if self.web and method in ("GET", "HEAD") else None
            return page or _json_answer(404, {"message": "Not Found"})
        route, path_params = found
        claims: dict[str, str] | None = None
        for name in route.authorizers:
            verifier = self.authorizers.get(name)
            if verifier is None:
                continue  # an authorizer kind the local stack does not emulate
            try:
                claims = verifier.claims(_headers_of(headers).get("authorization"))
            except Unauthorized as refused:
                # API Gateway says no more than this; the stack's output says why.
                sys.stderr.write(
                    f"[api] 401 {method} {url.path}: the token was refused: {refused}\n"
                )
                return _json_answer(401, {"message": "Unauthorized"})
        build = _v2_event if route.payload_version == "2.0" else _v1_event
        request = HttpRequest(method, url.path, url.query, headers, body, client_ip)
        event = build(request, route, path_params)
        if claims is not None:
            event["requestContext"]["authorizer"] = (
                {"jwt": {"claims": claims, "scopes": None}}
                if route.payload_version == "2.0"
                else {"claims": claims}
            )
        return Invocation(self.functions[route.function], event, route.payload_version, method)

    def answer(self, invocation: Invocation, response: Any) -> Answer:
        """The HTTP answer API Gateway makes of a function's response."""
        status, out_headers, payload = _http_response(response, invocation.payload_version)
        if self.graphiql is not None and invocation.method == "GET" and _is_html(out_headers):
            payload = self.graphiql.rewrite(payload.decode()).encode()
        return status, out_headers, payload

    # --- CORS, as HTTP APIs answer it -----------------------------------------------------------
    def cors_of(self, path: str) -> Cors | None:
        """The CORS configuration of the API serving `path`: the template's, widened in dev
        by the dev origins (with the template's methods and headers, or the usual ones)."""
        apis = {r.api for r in self.template.routes if r.match(r.method, path) is not None}
        found = next((self.template.cors[a] for a in sorted(apis) if a in self.template.cors), None)
        if not self.dev_origins or not apis:
            return found
        base = found or Cors(origins=(), max_age=600)
        return Cors(base.origins + self.dev_origins, base.methods, base.headers, base.max_age)

    def _preflight(self, path: str, headers: dict[str, str]) -> Answer | None:
        """API Gateway answers a preflight itself when CORS is configured (whatever routes
        exist): 204, with the CORS headers only for an allowed origin and method."""
        cors = self.cors_of(path)
        if cors is None:
            return None
        origin = headers.get("origin", "")
        method = headers.get("access-control-request-method", "").upper()
        asked = {
            h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",")
        }
        if not _allowed(origin, cors.origins) or method not in cors.methods:
            return 204, [], b""
        out = [
            ("access-control-allow-origin", origin),
            ("access-control-allow-methods", ",".join(cors.methods)),
            ("vary", "origin"),
        ]
        headers_allowed = [h for h in sorted(asked - {""}) if h in cors.headers]
        if headers_allowed:
            out.append(("access-control-allow-headers", ",".join(headers_allowed)))
        if cors.max_age is not None:
            out.append(("access-control-max-age", str(cors.max_age)))
        return 204, out, b""

    def with_cors(self, path: str, headers: list[tuple[str, str]], answer: Answer) -> Answer:
        """An answer to a request from an allowed origin carries its CORS header."""
        origin = _headers_of(headers).get("origin")
        cors = self.cors_of(path) if origin else None
        if cors is None or origin is None or not _allowed(origin, cors.origins):
            return answer
        status, out, body = answer
        out = [(k, v) for k, v in out if k.lower() != "access-control-allow-origin"]
        return status, [*out, ("access-control-allow-origin", origin), ("vary", "origin")], body

    @staticmethod
    def failed() -> Answer:
        traceback.print_exc(file=sys.stderr)
        return _json_answer(500, {"message": "Internal Server Error"})

    @staticmethod
    def _asset(graphiql: OfflineGraphiQL, path: str) -> Answer:
        found = graphiql.asset(path)
        if found is None:
            return _json_answer(404, {"message": "Not Found"})
        content, content_type = found
        return 200, [("content-type", content_type), ("cache-control", "max-age=3600")], content


def _allowed(origin: str, allowed: tuple[str, ...]) -> bool:
    """`http://localhost:*` allows that scheme and host on any port, the default one (which
    a browser leaves out of the origin: `http://localhost`) included; `*` any origin."""
    if not origin:
        return False
    for pattern in allowed:
        if pattern in ("*", origin):
            return True
        if pattern.endswith(":*"):
            prefix = pattern[:-1]
            port = origin[len(prefix) :]
            if origin == prefix[:-1] or (origin.startswith(prefix) and port.isdigit()):
                return True
    return False


def _is_html(headers: list[tuple[str, str]]) -> bool:
    return any(k.lower() == "content-type" and v.startswith("text/html") for k, v in headers)


def _headers_of(headers: list[tuple[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    return merged


def _body_fields(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    if not body:
        return {"isBase64Encoded": False}
    content_type = headers.get("content-type", "").lower()
    if any(t in content_type for t in _TEXT_TYPES):
        try:
            return {"body": body.decode("utf-8"), "isBase64Encoded": False}
        except UnicodeDecodeError:
            pass
    return {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str


def _v2_event(request: HttpRequest, route: Route, path_params: dict[str, str]) -> dict[str, Any]:
    method, path, query, body, client_ip = (
        request.method,
        request.path,
        request.query,
        request.body,
        request.client_ip,
    )
    headers = _headers_of(request.headers)
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    now = datetime.now(UTC)
    route_key = f"{route.method} {route.path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT,
            "apiId": _API_ID,
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": headers.get("host", "127.0.0.1").split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": client_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        **_body_fields(headers, body),
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = {
            k: ",".join(v) for k, v in parse_qs(query, keep_blank_values=True).items()
        }
    if path_params:
        event["pathParameters"] = path_params
    return event


def _v1_event(request: HttpRequest, route: Route, path_params: dict[str, str]) -> dict[str, Any]:
    method, path, query, client_ip = request.method, request.path, request.query, request.client_ip
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query = parse_qs(query, keep_blank_values=True) if query else None
    stage = "Prod"
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()}
        if multi_query
        else None,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT,
            "apiId": _API_ID,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "resourcePath": route.path,
            "stage": stage,
            "identity": {"sourceIp": client_ip},
        },
        **_body_fields(_headers_of(request.headers), request.body),
    }


def _json_answer(status: int, payload: object) -> Answer:
    return status, [("content-type", "application/json")], json.dumps(payload).encode()


def _http_response(response: Any, payload_version: str) -> Answer:
    if not isinstance(response, dict) or "statusCode" not in response:
        if payload_version == "2.0":  # HTTP API treats any other value as a 200 JSON body
            return _json_answer(200, response)
        return _json_answer(502, {"message": "Internal server error"})
    headers: list[tuple[str, str]] = [
        (k, str(v)) for k, v in (response.get("headers") or {}).items()
    ]
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(v)) for v in values if (name, str(v)) not in headers)
    headers.extend(("set-cookie", c) for c in response.get("cookies") or [])
    body = response.get("body") or ""
    raw = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode()
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    return int(response["statusCode"]), headers, raw
