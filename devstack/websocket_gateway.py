"""A local API Gateway WebSocket API: the sockets are held here, each frame becomes the event
API Gateway sends ($connect, $default, $disconnect) and the function answers through the
management API (@connections), which this serves on the same port.

As API Gateway does: the $connect answer decides the handshake (a non-2xx refuses it, and
its Sec-WebSocket-Protocol header is the protocol accepted); a connection's frames reach the
function one after another; a post to a connection that has gone answers 410; DELETE ends a
connection without a code of the function's choosing (API Gateway's takes none); a frame
over 128 KiB ends the connection (1009), as does ten minutes without one (1001).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from devstack.lambda_runtime import LocalFunction
from devstack.local import LOCAL_ACCOUNT
from devstack.template import WebSocketApi

Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
Answer = tuple[int, list[tuple[str, str]], bytes]

API_ID = "local"
# API Gateway's quotas for a WebSocket API.
MAX_MESSAGE_BYTES = 128 * 1024
IDLE_TIMEOUT_S = 600.0
MAX_CONNECTION_S = 2 * 3600.0
_SIGNED = "aws4-hmac-sha256"


@dataclass
class _Connection:
    id: str
    send: Send
    source_ip: str
    user_agent: str
    host: str
    connected_at: float = field(default_factory=time.time)
    last_active_at: float = field(default_factory=time.time)
    closing: asyncio.Event = field(default_factory=asyncio.Event)


class WebSocketGateway:
    def __init__(
        self,
        api: WebSocketApi,
        functions: dict[str, LocalFunction],
        *,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        log: bool = True,
    ) -> None:
        self.api = api
        self._functions = functions
        self._connections: dict[str, _Connection] = {}
        self._idle_timeout_s = idle_timeout_s
        self._log = log
        # What the management API carried, for GET /_devstack/websockets: the largest post
        # and the posts refused for their size (the function should never send one).
        self.posts = 0
        self.largest_post = 0
        self.refused_for_size = 0

    @property
    def stage(self) -> str:
        return self.api.stage

    # --- the sockets ----------------------------------------------------------------------
    async def serve(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        """One client's socket, from its handshake to its end."""
        if (await receive())["type"] != "websocket.connect":
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        client = (scope.get("client") or ("127.0.0.1", 0))[0]
        named = {k.lower(): v for k, v in headers}
        connection = _Connection(
            _connection_id(), send, client, named.get("user-agent", ""), named.get("host", "")
        )
        answer = await self._invoke("$connect", self._connect_event(connection, headers, scope))
        status = int(answer.get("statusCode", 200)) if isinstance(answer, dict) else 200
        if not 200 <= status < 300:  # noqa: PLR2004 - API Gateway accepts any 2xx
            self._note(f"$connect refused ({status})", connection)
            await send({"type": "websocket.close", "code": 1008})
            return
        protocol = _header(answer.get("headers") if isinstance(answer, dict) else None)
        await send({"type": "websocket.accept", "subprotocol": protocol})
        self._connections[connection.id] = connection
        self._note("connected", connection)
        code, reason = 1005, "Client-side close frame status not set"
        try:
            code, reason = await self._frames(connection, receive)
        finally:
            self._connections.pop(connection.id, None)
            await self._invoke("$disconnect", self._disconnect_event(connection, code, reason))
            self._note(f"disconnected ({code})", connection)

    async def _frames(self, connection: _Connection, receive: Receive) -> tuple[int, str]:
        deadline = connection.connected_at + MAX_CONNECTION_S
        while True:
            wait = min(self._idle_timeout_s, deadline - time.time())
            try:
                message = await asyncio.wait_for(receive(), timeout=max(wait, 0))
            except TimeoutError:
                await self._close(connection, 1001, "Going away")
                return 1001, "Going away"
            if message["type"] == "websocket.disconnect":
                code = int(message.get("code") or 1005)
                return code, message.get("reason") or "Connection closed"
            text, data = message.get("text"), message.get("bytes")
            size = len(text.encode()) if text is not None else len(data or b"")
            if size > MAX_MESSAGE_BYTES:
                await self._close(connection, 1009, "Message too big")
                return 1009, "Message too big"
            connection.last_active_at = time.time()
            # One after another, as each frame's invocation returns.
            await self._invoke("$default", self._message_event(connection, text, data))
            if connection.closing.is_set():
                return 1000, "Connection closed by the API"

    async def _invoke(self, route_key: str, event: dict[str, Any]) -> Any:
        function = self._functions[
            self.api.routes.get(route_key) or self.api.routes.get("$default") or ""
        ]
        try:
            return await asyncio.wrap_future(function.submit(event))
        except Exception as e:  # noqa: BLE001 - API Gateway logs it; the socket lives on
            sys.stderr.write(f"[ws] {route_key} invocation failed: {e!r}\n")
            return {"statusCode": 500}

    async def _close(self, connection: _Connection, code: int, reason: str) -> None:
        connection.closing.set()
        with suppress(Exception):  # closed already
            await connection.send({"type": "websocket.close", "code": code, "reason": reason})

    # --- the management API (@connections) ---------------------------------------------------
    def stats_answer(self, _body: bytes = b"") -> Answer:
        """GET /_devstack/websockets: connections open, posts carried, the largest, and those
        refused for their size."""
        body = {
            "connections": len(self._connections),
            "posts": self.posts,
            "largestPostBytes": self.largest_post,
            "refusedForSize": self.refused_for_size,
        }
        return 200, [("content-type", "application/json")], json.dumps(body).encode()

    def manages(self, path: str) -> str | None:
        """The connection id a management API path names, or None for any other path."""
        prefix = f"/{self.stage}/@connections/"
        return path[len(prefix) :] if path.startswith(prefix) and len(path) > len(prefix) else None

    async def manage(  # noqa: PLR0911 - one answer per method and outcome
        self, method: str, connection_id: str, headers: dict[str, str], body: bytes
    ) -> Answer:
        if not headers.get("authorization", "").lower().startswith(_SIGNED):
            # The SDKs sign every call; a page in a browser cannot send this header unasked.
            return _error(403, "ForbiddenException", "Missing Authentication Token")
        connection = self._connections.get(connection_id)
        if connection is None or connection.closing.is_set():
            return _error(410, "GoneException", None)
        if method == "POST":
            if len(body) > MAX_MESSAGE_BYTES:
                self.refused_for_size += 1
                sys.stderr.write(
                    f"[ws] a post of {len(body):,} bytes refused (over {MAX_MESSAGE_BYTES:,}): "
                    "PayloadTooLargeException\n"
                )
                return _error(413, "PayloadTooLargeException", "Message too long")
            self.posts += 1
            self.largest_post = max(self.largest_post, len(body))
            try:
                text = body.decode("utf-8")
                await connection.send({"type": "websocket.send", "text": text})
            except UnicodeDecodeError:
                await connection.send({"type": "websocket.send", "bytes": body})
            except Exception:  # noqa: BLE001 - the client left as we sent
                return _error(410, "GoneException", None)
            return 200, [("content-type", "application/json")], b""
        if method == "DELETE":
            await self._close(connection, 1000, "")
            return 204, [], b""
        if method == "GET":
            info = {
                "ConnectedAt": _iso(connection.connected_at),
                "Identity": {"SourceIp": connection.source_ip, "UserAgent": connection.user_agent},
                "LastActiveAt": _iso(connection.last_active_at),
            }
            return 200, [("content-type", "application/json")], json.dumps(info).encode()
        return _error(405, "MethodNotAllowed", f"{method} is not a management API method")

    @property
    def connections(self) -> int:
        return len(self._connections)

    # --- the events -------------------------------------------------------------------------
    def _context(self, connection: _Connection, route_key: str, event_type: str) -> dict[str, Any]:
        now = time.time()
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": _request_id(),
            "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": int(connection.connected_at * 1000),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            "requestId": _request_id(),
            "domainName": connection.host,
            "connectionId": connection.id,
            "apiId": API_ID,
            "accountId": LOCAL_ACCOUNT,
        }

    def _connect_event(
        self, connection: _Connection, headers: list[tuple[str, str]], scope: dict[str, Any]
    ) -> dict[str, Any]:
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            single[name] = value
            multi.setdefault(name, []).append(value)
        event: dict[str, Any] = {
            "headers": single,
            "multiValueHeaders": multi,
            "requestContext": self._context(connection, "$connect", "CONNECT"),
            "isBase64Encoded": False,
        }
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            parsed = parse_qs(query, keep_blank_values=True)
            event["queryStringParameters"] = {k: v[-1] for k, v in parsed.items()}
            event["multiValueQueryStringParameters"] = parsed
        return event

    def _message_event(
        self, connection: _Connection, text: str | None, data: bytes | None
    ) -> dict[str, Any]:
        context = self._context(connection, "$default", "MESSAGE")
        context["messageId"] = _request_id()
        if text is not None:
            return {"requestContext": context, "body": text, "isBase64Encoded": False}
        return {
            "requestContext": context,
            "body": base64.b64encode(data or b"").decode(),
            "isBase64Encoded": True,
        }

    def _disconnect_event(self, connection: _Connection, code: int, reason: str) -> dict[str, Any]:
        context = self._context(connection, "$disconnect", "DISCONNECT")
        context["disconnectStatusCode"] = code
        context["disconnectReason"] = reason
        return {
            "headers": {"Host": connection.host},
            "multiValueHeaders": {"Host": [connection.host]},
            "requestContext": context,
            "isBase64Encoded": False,
        }

    def _note(self, what: str, connection: _Connection) -> None:
        if self._log:
            sys.stderr.write(f"[ws] {connection.id} {what}\n")


def _connection_id() -> str:
    """Shaped like API Gateway's (16 characters of base64)."""
    return base64.b64encode(secrets.token_bytes(11)).decode()


def _request_id() -> str:
    return base64.b64encode(uuid.uuid4().bytes[:12]).decode()


def _header(headers: Any) -> str | None:
    if not isinstance(headers, dict):
        return None
    for name, value in headers.items():
        if str(name).lower() == "sec-websocket-protocol":
            return str(value)
    return None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _error(status: int, kind: str, message: str | None) -> Answer:
    return (
        status,
        [("content-type", "application/json"), ("x-amzn-errortype", kind)],
        json.dumps({"message": message}).encode(),
    )
