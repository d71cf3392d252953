"""Tests send traffic to 127.0.0.0/8 only. Every socket this test process opens is checked at
connect time: an address outside loopback raises here, before anything is dialled. Tests of
code that must refuse such addresses stub name resolution and the connect on top of this
(tests/unit/test_webhook_addresses.py), so a refusal is recorded, never tried."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any


class OutsideLoopbackError(AssertionError):
    """A test tried to open a connection to an address outside 127.0.0.0/8 and ::1."""


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths, abstract sockets
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a name: whoever connects resolves first; a raw name is never dialled
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_loopback(address):
        raise OutsideLoopbackError(f"a test tried to connect to {address!r}")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_loopback(address):
        raise OutsideLoopbackError(f"a test tried to connect to {address!r}")
    return _real_connect_ex(self, address)


def guard_connections() -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
