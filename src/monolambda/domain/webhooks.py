"""Webhooks: where a job's final state may be sent, and how it is signed.

A callback URL is checked when the job is submitted and again, after a fresh DNS lookup and
at connect time, when it is delivered: a receiver is only ever a public address, over https.
The rule allows rather than refuses: an address is dialled only if it is global, neither
multicast nor reserved, judged by the IPv4 address it carries where it carries one (IPv4-
mapped, -compatible and -translated forms, NAT64); tunnels (6to4, Teredo) are refused. So
no private, loopback, link-local, metadata, shared, reserved or multicast address is dialled,
however it is written. A dev stack
may allow loopback (127.0.0.0/8, ::1), and plain http to it, for a receiver on the laptop.

The signature is HMAC-SHA256 over "{timestamp}.{body}" with the stack's webhook key, sent as
`Monolambda-Signature: t={timestamp},v1={hex digest}` (docs/jobs.md, "Webhooks", has the receiver's
side).
"""

import hashlib
import hmac
import ipaddress
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import urlsplit

from monolambda.domain.errors import BadUserInputError

MAX_URL_CHARS = 2048
SIGNATURE_HEADER = "Monolambda-Signature"
DELIVERY_HEADER = "Monolambda-Delivery"


class WebhookStatus(StrEnum):
    PENDING = "PENDING"  # tried, failed, and will be tried again
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookState(NamedTuple):
    status: WebhookStatus
    attempts: int
    at: datetime
    # Why the last try failed (an HTTP status, a timeout, a refused address); None once
    # delivered.
    last_error: str | None = None


class RefusedAddressError(Exception):
    """A callback's host is, or resolves to, an address webhooks are never sent to."""


class CallbackTarget(NamedTuple):
    url: str
    scheme: str
    host: str  # an IP address's text without brackets, or a name
    port: int
    path: str  # with its query


class CallbackPolicy(NamedTuple):
    # Dev only: 127.0.0.0/8 and ::1 allowed, and http to them.
    allow_loopback: bool = False

    def target(self, url: str) -> CallbackTarget:
        """The URL's parts; BadUserInputError for anything but http(s)://host[:port]/path,
        and for http unless loopback is allowed."""
        if len(url) > MAX_URL_CHARS:
            raise BadUserInputError(f"callbackUrl is longer than {MAX_URL_CHARS:,} characters")
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
        """An allow rule: an address may be dialled only if it is public (global, neither
        multicast nor reserved), judged by the IPv4 address inside it where it carries one.
        Anything Python's tables do not know as global is refused."""
        address = _address(text)
        if address is None:
            return False
        if self.allow_loopback and address.is_loopback:
            return True
        carried = _carried_ipv4(address)
        if carried is not None:
            # Only a way to write an IPv4 address (or to reach one through a translator):
            # the IPv4 address is what would be dialled.
            return self.allowed(str(carried))
        return _public(address)


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and any(address in t for t in _TUNNELS):
        return False
    return address.is_global and not address.is_multicast and not address.is_reserved


_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 8215: the operator chooses the prefix length, so where the IPv4 address sits is not
# known from the address alone: the whole range is refused.
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
# RFC 2765's IPv4-translated form (SIIT): ::ffff:0:a.b.c.d. Python knows it as reserved but,
# unlike the IPv4-mapped form, as global, and does not unwrap it.
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
# 6to4 (deprecated by RFC 7526) and Teredo reach an IPv4 endpoint through a relay chosen by
# the network: refused outright (Python 3.11 calls 6to4 global, 3.13 private).
_TUNNELS = (ipaddress.IPv6Network("2002::/16"), ipaddress.IPv6Network("2001::/32"))
_UNREADABLE = ipaddress.IPv4Address("0.0.0.0")  # noqa: S104 - a refused stand-in, never bound


def _carried_ipv4(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address only writes another way (IPv4-compatible,
    IPv4-translated; IPv4-mapped is unwrapped when read) or reaches through NAT64 (its
    well-known prefix; the local-use prefix gives no readable one). None for an IPv4
    address and for IPv6 addresses of their own. Python's idea of which of these is
    global differs between versions; this does not."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address in _NAT64_LOCAL_USE:
        return _UNREADABLE
    if address in _NAT64_WELL_KNOWN or address in _IPV4_COMPATIBLE or address in _IPV4_TRANSLATED:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address `text` names (an IPv6 zone index kept: it changes no verdict;
    ::ffff:10.0.0.1 read as 10.0.0.1); None for anything that is not an address."""
    try:
        address = ipaddress.ip_address(text)
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
