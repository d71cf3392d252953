"""What Strawberry's HTTP view needs of an ASGI request and response, read from and written
to the ASGI messages themselves.

Strawberry's own ASGI view reaches them through Starlette's Request and Response; importing
that view and Starlette (with Strawberry's WebSocket handlers, which a Lambda HTTP route never
uses: API Gateway's WebSocket API invokes its own route) cost 84 M instructions, and this
module saves 57 M of them net, 4 % of `{ health }`'s cold start (bench/startup.py). Mangum
needs only an ASGI callable, and the view is still Strawberry's (`AsyncBaseHTTPView`): its
request handling, content types, batching, GraphiQL and errors. Only the two ends are here:
reading the scope and the body, and sending the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from cross_web import AsyncHTTPRequestAdapter, FormData, HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class HttpRequest:
    """One HTTP request as its ASGI scope tells it, with its body read once, on demand."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self._receive = receive
        self._body: bytes | None = None
        # A header's first value by its lower-case name (ASGI names are lower-case bytes).
        self.headers: dict[str, str] = {}
        for name, value in scope.get("headers") or ():
            self.headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        # A parameter's last value when it repeats, as Starlette's did.
        query = scope.get("query_string", b"").decode("latin-1")
        self.query_params: dict[str, str] = dict(parse_qsl(query, keep_blank_values=True))

    @property
    def method(self) -> str:
        return str(self.scope.get("method", "GET")).upper()

    async def body(self) -> bytes:
        if self._body is None:
            chunks = []
            while True:
                message = await self._receive()
                if message["type"] == "http.disconnect":
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            self._body = b"".join(chunks)
        return self._body


class RequestAdapter(AsyncHTTPRequestAdapter):
    """cross_web's view of an HttpRequest, which Strawberry's base view reads."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @property
    def method(self) -> Any:
        return self._request.method

    @property
    def query_params(self) -> Mapping[str, str | None]:
        return self._request.query_params

    @property
    def path_params(self) -> Mapping[str, Any]:
        return {}

    @property
    def headers(self) -> Mapping[str, str]:
        return self._request.headers

    @property
    def content_type(self) -> str | None:
        return self._request.headers.get("content-type")

    async def get_body(self) -> bytes:
        return await self._request.body()

    async def get_form_data(self) -> FormData:
        # The view is built with multipart uploads off (uploads go to S3 by a presigned
        # POST), so Strawberry never asks; a form is refused like any unsupported body.
        raise HTTPException(400, "Unsupported content type")

    @property
    def url(self) -> str:
        scope = self._request.scope
        query = scope.get("query_string", b"").decode("latin-1")
        host = self._request.headers.get("host", "")
        path = f"{scope.get('scheme', 'https')}://{host}{scope.get('path', '')}"
        return f"{path}?{query}" if query else path

    @property
    def cookies(self) -> Mapping[str, str]:
        jar = SimpleCookie(self._request.headers.get("cookie", ""))
        return {name: morsel.value for name, morsel in jar.items()}

    @property
    def client_host(self) -> str | None:
        client = self._request.scope.get("client")
        return str(client[0]) if client else None


class HttpResponse:
    """An answer to send: its status, headers and body (or a stream of body parts)."""

    def __init__(
        self,
        body: str | bytes = b"",
        status_code: int | None = 200,
        media_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        stream: AsyncIterator[str] | None = None,
    ) -> None:
        self.body = body.encode() if isinstance(body, str) else body
        self.status_code = status_code
        self.headers: dict[str, str] = dict(headers or {})
        if media_type is not None:
            charset = "; charset=utf-8" if media_type.startswith("text/") else ""
            self.headers.setdefault("content-type", media_type + charset)
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        del scope, receive
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self.headers.items()
        ]
        if self._stream is None:
            headers.append((b"content-length", str(len(self.body)).encode()))
        await send(
            {"type": "http.response.start", "status": self.status_code or 200, "headers": headers}
        )
        if self._stream is None:
            await send({"type": "http.response.body", "body": self.body})
            return
        async for part in self._stream:
            await send({"type": "http.response.body", "body": part.encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def json_response(text: str | bytes, status_code: int = 200) -> HttpResponse:
    return HttpResponse(text, status_code=status_code, media_type="application/json")
