"""Webhook requests over the standard library's http.client, to checked addresses only.

The host is resolved here (socket.getaddrinfo), every address it has is checked against the
policy, and the connection is made to that checked address itself (the name is kept for TLS:
SNI and the certificate's check), then checked again once connected (the peer it reached).
So a name whose DNS answer changes between the check and the connect (DNS rebinding) cannot
lead the request elsewhere. http.client never follows a redirect: a 3xx is the answer.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from monolambda.domain.webhooks import CallbackPolicy, CallbackTarget, RefusedAddressError

_Connect = Callable[[], socket.socket]


def resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class SocketResolver:
    def addresses(self, host: str, port: int) -> list[str]:
        return resolve(host, port)


@dataclass
class CheckedHttpSender:
    policy: CallbackPolicy
    connect_timeout_s: float = 3.0
    timeout_s: float = 10.0
    # The CAs a receiver's certificate must chain to (the system's by default).
    tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    def post(self, target: CallbackTarget, body: bytes, headers: Mapping[str, str]) -> int:
        addresses = resolve(target.host, target.port)
        self.policy.check(target, addresses)
        connection = self._connection(target, addresses[0])
        try:
            connection.request("POST", target.path, body=body, headers=dict(headers))
            response = connection.getresponse()
            response.read(64 * 1024)  # the receiver's answer is not kept; bounded
            return int(response.status)
        except http.client.HTTPException as e:
            raise OSError(f"the receiver's answer is not HTTP: {type(e).__name__}") from e
        finally:
            connection.close()

    def _connection(self, target: CallbackTarget, address: str) -> http.client.HTTPConnection:
        def connect() -> socket.socket:
            return self._connect(address, target.port)

        if target.scheme == "https":
            return _PinnedHttps(target.host, target.port, self.timeout_s, connect, self.tls)
        return _PinnedHttp(target.host, target.port, self.timeout_s, connect)

    def _connect(self, address: str, port: int) -> socket.socket:
        if not self.policy.allowed(address):  # checked already; never dial a refused one
            raise RefusedAddressError(f"{address} is not a public address")
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.connect_timeout_s)
            sock.connect((address, port))
            peer = str(sock.getpeername()[0])
            sock.settimeout(self.timeout_s)
        except BaseException:
            sock.close()
            raise
        if not self.policy.allowed(peer):
            sock.close()
            raise RefusedAddressError(f"the connection reached {peer}, a non-public address")
        return sock


class _PinnedHttp(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host's name resolves to now."""

    def __init__(self, host: str, port: int, timeout: float, connect: _Connect) -> None:
        super().__init__(host, port, timeout=timeout)
        self._open = connect

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedHttps(http.client.HTTPSConnection):
    def __init__(
        self, host: str, port: int, timeout: float, connect: _Connect, tls: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=tls)
        self._open = connect
        self._tls = tls

    def connect(self) -> None:
        self.sock = self._tls.wrap_socket(self._open(), server_hostname=self.host)
