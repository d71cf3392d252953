"""Webhooks: where a job's final state may be sent, and how it is signed.

A callback URL is checked when the job is submitted and again, after a fresh DNS lookup and
at connect time, when it is delivered: a receiver is only ever a public address (no private,
loopback, link-local, metadata, shared, reserved or multicast one), over https. A dev stack
may allow loopback (127.0.0.0/8, ::1), and plain http to it, for a receiver on the laptop.

The signature is HMAC-SHA256 over "{timestamp}.{body}" with the stack's webhook key, sent as
`Monolambda-Signature: t={timestamp},v1={hex digest}` (README, "Webhooks", has the receiver's
side).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from monolambda.domain.errors import BadUserInputError

MAX_URL_CHARS = 2048
SIGNATURE_HEADER = "Monolambda-Signature"
DELIVERY_HEADER = "Monolambda-Delivery"


class WebhookStatus(StrEnum):
    PENDING = "PENDING"  # tried, failed, and will be tried again
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class WebhookState:
    status: WebhookStatus
    attempts: int
    at: datetime
    # Why the last try failed (an HTTP status, a timeout, a refused address); None once
    # delivered.
    last_error: str | None = None


class RefusedAddressError(Exception):
    """A callback's host is, or resolves to, an address webhooks are never sent to."""


@dataclass(frozen=True, slots=True)
class CallbackTarget:
    url: str
    scheme: str
    host: str  # an IP address's text without brackets, or a name
    port: int
    path: str  # with its query


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    # Dev only: 127.0.0.0/8 and ::1 allowed, and http to them.
    allow_loopback: bool = False

    def target(self, url: str) -> CallbackTarget:
        """The URL's parts; BadUserInputError for anything but http(s)://host[:port]/path,
        and for http unless loopback is allowed."""
        if len(url) > MAX_URL_CHARS:
            raise BadUserInputError(f"callbackUrl is longer than {MAX_URL_CHARS} characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise BadUserInputError("callbackUrl is not a URL") from None
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise BadUserInputError("callbackUrl must be an https:// URL")
        if parts.scheme == "http" and not self.allow_loopback:
            raise BadUserInputError("callbackUrl must be an https:// URL")
        if parts.username is not None or parts.password is not None:
            raise BadUserInputError("callbackUrl must not carry credentials")
        if parts.fragment:
            raise BadUserInputError("callbackUrl must not have a #fragment")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return CallbackTarget(
            url=url,
            scheme=parts.scheme,
            host=parts.hostname,
            port=port or (443 if parts.scheme == "https" else 80),
            path=path,
        )

    def check(self, target: CallbackTarget, addresses: list[str]) -> None:
        """RefusedAddressError unless every address the host has is one we may send to (a
        name with one private address among public ones is refused: which one a connection
        gets is not ours to choose)."""
        if not addresses:
            raise RefusedAddressError(f"{target.host} has no address")
        for text in addresses:
            if not self.allowed(text):
                raise RefusedAddressError(f"{target.host} is at {text}, a non-public address")
        if target.scheme == "http" and not all(_is_loopback(a) for a in addresses):
            raise RefusedAddressError("plain http is for a loopback receiver only")

    def allowed(self, text: str) -> bool:
        address = _address(text)
        if address is None:
            return False
        if self.allow_loopback and address.is_loopback:
            return True
        if not address.is_global or address.is_multicast:
            return False
        # An IPv6 address may carry an IPv4 one that a translator or tunnel will dial: that
        # one must be allowed too (64:ff9b::a9fe:a9fe is the metadata service over NAT64).
        return all(self.allowed(str(v4)) for v4 in _embedded_ipv4(address))


_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 8215: the operator chooses the prefix length, so where the IPv4 address sits is not
# known from the address alone: the whole range is refused.
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_UNREADABLE = ipaddress.IPv4Address("0.0.0.0")  # noqa: S104 - a refused stand-in, never bound


def _embedded_ipv4(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address embeds: NAT64 (well-known and local-use prefixes),
    IPv4-compatible (::a.b.c.d), 6to4 (2002::/16) and Teredo (server and client). Python's
    own idea of what is global differs between versions for some of these; this does not."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    found: list[ipaddress.IPv4Address] = []
    if address in _NAT64_WELL_KNOWN or address in _IPV4_COMPATIBLE:
        found.append(low32)
    if address in _NAT64_LOCAL_USE:
        found.append(_UNREADABLE)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address `text` names (a zone index dropped, ::ffff:10.0.0.1 read as 10.0.0.1);
    None for anything that is not an address."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_loopback(text: str) -> bool:
    address = _address(text)
    return address is not None and address.is_loopback


def signature(key: bytes, timestamp: int, body: bytes) -> str:
    """The Monolambda-Signature header's value."""
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
