"""Webhook receivers on 127.0.0.1 for the tests: answer a scripted status per request and
keep what arrived."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    port: int
    # Answered in order, then the last one for every later request.
    statuses: list[int] = field(default_factory=lambda: [200])
    location: str | None = None  # sent with a 3xx
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def accepted(self) -> list[Delivery]:
        return [d for d in self.deliveries if 200 <= d.status < 300]


@contextmanager
def receiver(
    statuses: list[int] | None = None,
    *,
    location: str | None = None,
    tls: ssl.SSLContext | None = None,
    port: int = 0,
) -> Iterator[Receiver]:
    state = Receiver(port=0, statuses=list(statuses or [200]), location=location)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                status = state.statuses[min(len(state.deliveries), len(state.statuses) - 1)]
                state.deliveries.append(Delivery(self.path, dict(self.headers), body, status))
            self.send_response(status)
            if state.location is not None:
                self.send_header("Location", state.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
