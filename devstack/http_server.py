"""The local stack's HTTP server: uvicorn (httptools' parser, uvloop's event loop), with the
gateway behind a small ASGI app.

The app keeps a developer's machine safe from the web pages its browser opens: only loopback
Host names are answered (a DNS-rebinding page arrives under its own name, and the GraphiQL
page carries a dev token), and the stack's own endpoints (/_devstack/...) refuse anything a
page on another site could send without a CORS preflight, and anything without the stack's
control key (a job's webhook, in dev, may be sent to the stack itself). A body that does not
arrive in time is answered 408 rather than held open.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import uvicorn

from devstack.gateway import Answer, Gateway, Invocation
from devstack.web import PAGE_PATHS
from devstack.websocket_gateway import MAX_MESSAGE_BYTES, WebSocketGateway

STACK_PREFIX = "/_devstack/"
# Where clients open the WebSocket API: the GraphQL endpoint's path (as the HTTP API's).
WEBSOCKET_PATH = "/graphql"
# The header the stack's own endpoints require, holding stack.json's control_key.
CONTROL_HEADER = "x-devstack-key"
# The stack's own paths that any local page may GET: GraphiQL's files, and the local user
# pool's public keys (as a real pool publishes its JWKS).
PUBLIC_STACK_PATHS = ("/_devstack/assets/", "/_devstack/jwks.json")
_LOOPBACK_NAMES = ("localhost",)
# Threads for the stack's own endpoints (a reset re-creates every resource).
_WAITERS = 2

Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


def is_loopback_host(host: str, also: tuple[str, ...] = ()) -> bool:
    """A Host header's name (port stripped) names this machine's loopback, or one of `also`."""
    name = _host_name(host)
    if name in also or name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:3000
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class GatewayApp:
    """ASGI: one HTTP request in, the gateway's answer out."""

    def __init__(
        self,
        gateway: Gateway,
        *,
        control_key: str,
        extra_hosts: tuple[str, ...] = (),
        body_timeout_s: float = 10.0,
        access_log: bool = True,
        websockets: WebSocketGateway | None = None,
    ) -> None:
        self._gateway = gateway
        self._websockets = websockets
        self._control_key = control_key
        self._extra_hosts = extra_hosts
        self._body_timeout_s = body_timeout_s
        self._access_log = access_log
        self._waiters = ThreadPoolExecutor(_WAITERS, thread_name_prefix="gateway")

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        answer = self._refusal(scope, headers)
        managed = self._websockets.manages(scope["path"]) if self._websockets else None
        if answer is None:
            body = await self._body(receive)
            if body is None:
                answer = _text(408, "the request body did not arrive in time")
            elif managed is not None and self._websockets is not None:
                named = {k.lower(): v for k, v in headers}
                answer = await self._websockets.manage(scope["method"], managed, named, body)
            else:
                answer = await self._answer(scope, headers, body)
                if scope["method"] != "OPTIONS":  # a preflight's answer has its headers
                    answer = self._gateway.with_cors(scope["path"], headers, answer)
        status, out_headers, payload = answer
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    *((k.encode("latin-1"), v.encode("latin-1")) for k, v in out_headers),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else payload}
        )
        if self._access_log:
            elapsed = (time.perf_counter() - started) * 1000
            sys.stderr.write(f"[api] {scope['method']} {scope['path']} {status} {elapsed:.1f} ms\n")

    async def _websocket(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        """A WebSocket handshake: on the GraphQL path (or the stage's, as on AWS), from a
        loopback Host, to the WebSocket API; anything else is refused (403)."""
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        websockets = self._websockets
        path = scope["path"].rstrip("/")
        if (
            websockets is None
            or (host is not None and not is_loopback_host(host, self._extra_hosts))
            or path not in (WEBSOCKET_PATH, f"/{websockets.stage}")
        ):
            await receive()
            await send({"type": "websocket.close", "code": 1008})
            return
        await websockets.serve(scope, receive, send)

    async def _answer(
        self, scope: dict[str, Any], headers: list[tuple[str, str]], body: bytes
    ) -> Answer:
        query = scope["query_string"].decode("latin-1")
        target = scope["path"] + (f"?{query}" if query else "")
        client = (scope.get("client") or ("127.0.0.1", 0))[0]
        # Routing and the authorizer run here, on the event loop (a verified token is
        # cached); only the function runs on its own thread: one hand-off each way.
        routed = self._gateway.route(scope["method"], target, headers, body, client)
        if isinstance(routed, Invocation):
            try:
                response = await asyncio.wrap_future(routed.function.submit(routed.event))
            except Exception:  # noqa: BLE001 - API Gateway answers a failed invocation with a 500
                return self._gateway.failed()
            return self._gateway.answer(routed, response)
        if callable(routed):  # the stack's own endpoints (a reset takes a while)
            return await asyncio.get_running_loop().run_in_executor(self._waiters, routed)
        return routed

    def _refusal(self, scope: dict[str, Any], headers: list[tuple[str, str]]) -> Answer | None:
        named = {k.lower(): v for k, v in headers}
        host = named.get("host")
        if host is not None and not is_loopback_host(host, self._extra_hosts):
            return _text(
                403,
                "this local stack answers only loopback host names (localhost, 127.0.0.1); "
                f"not {host!r}",
            )
        path = scope["path"]
        if path.startswith(STACK_PREFIX) and scope["method"] != "GET":
            if path in PAGE_PATHS:
                # The page's own sign-in, renewal and sign-out (same origin, JSON): it mints
                # what the GraphiQL page already carries, a local user pool's token.
                return self._cross_site(named)
            return self._cross_site(named) or self._uncontrolled(named)
        if path.startswith(STACK_PREFIX) and not path.startswith(PUBLIC_STACK_PATHS):
            # What the stack saw (its metrics) is for who can read its state dir, as the
            # endpoints that act are.
            return self._uncontrolled(named)
        return None

    def _uncontrolled(self, named: dict[str, str]) -> Answer | None:
        """The stack's own endpoints (reset, tick) act only for who can read its state dir:
        in dev a job's webhook may be sent to 127.0.0.1, and it is a plain JSON POST."""
        given = named.get(CONTROL_HEADER, "")
        if hmac.compare_digest(given.encode(), self._control_key.encode()):
            return None
        sys.stderr.write(f"[api] refused a stack endpoint: no or a wrong {CONTROL_HEADER}\n")
        return _text(
            401,
            f"the stack's own endpoints need the header {CONTROL_HEADER}: the control_key of "
            "its stack.json (in its state directory)",
        )

    def _cross_site(self, named: dict[str, str]) -> Answer | None:
        """The stack's own endpoints take requests from this machine's tools only: a page on
        another site can neither send JSON without a preflight nor hide where it is from."""
        site = named.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return _text(403, f"cross-site request refused (Sec-Fetch-Site: {site})")
        origin = named.get("origin")
        if origin is not None and not is_loopback_host(
            urlsplit(origin).netloc or origin, self._extra_hosts
        ):
            return _text(403, f"cross-site request refused (Origin: {origin})")
        content_type = named.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _text(415, "send Content-Type: application/json")
        return None

    async def _body(self, receive: Receive) -> bytes | None:
        """The whole body, or None when the client stops sending before it is complete."""
        chunks = []
        deadline = asyncio.get_running_loop().time() + self._body_timeout_s
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(remaining, 0))
            except TimeoutError:
                return None
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                return b"".join(chunks)

    @property
    def websockets(self) -> bool:
        return self._websockets is not None

    def close(self) -> None:
        self._waiters.shutdown(wait=False, cancel_futures=True)


def _text(status: int, message: str) -> Answer:
    return status, [("content-type", "application/json")], json.dumps({"message": message}).encode()


class LocalServer:
    """uvicorn on a socket bound at once (so the port is known, and taken, before serving)."""

    def __init__(self, app: GatewayApp, host: str, port: int) -> None:
        self.app = app
        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(2048)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            host=host,
            port=self.port,
            lifespan="off",
            http="httptools",
            loop="uvloop",
            # The WebSocket API's sockets (devstack.websocket_gateway), with API Gateway's
            # largest message.
            ws="websockets-sansio" if app.websockets else "none",
            ws_max_size=MAX_MESSAGE_BYTES,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)

    @contextmanager
    def stopped_by_signals(self) -> Iterator[None]:
        """Inside, Ctrl-C and SIGTERM ask the server to stop instead of raising: a
        KeyboardInterrupt raised while a finalizer runs (a collection, say) is swallowed and
        the stop lost; and until uvicorn's loop runs, asyncio's runner would take a Ctrl-C
        and cancel the server mid-start-up. uvicorn keeps these handlers while it serves."""
        previous = {
            sig: signal.signal(sig, self._server.handle_exit)
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def serve(self) -> None:
        """Serves until shutdown() or a signal; returns once stopped."""
        self._server.run(sockets=[self._socket])

    def shutdown(self) -> None:
        self._server.should_exit = True

    def close(self) -> None:
        self.shutdown()
        self._socket.close()
        self.app.close()
