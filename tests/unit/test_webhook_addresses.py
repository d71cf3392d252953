"""The webhook sender never reaches a refused address: checked after resolution, pinned for
the connect, checked again once connected, no redirect followed. Name resolution and the
socket's connect are stubbed; every address the sender tries to connect to is recorded,
and only 127.0.0.1 is ever really dialled (tests/support/network.py refuses the rest)."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from typing import Any

import pytest
import trustme

from monolambda.adapters.webhook_http import CheckedHttpSender, SocketResolver
from monolambda.domain.errors import BadUserInputError
from monolambda.domain.webhooks import (
    CallbackPolicy,
    RefusedAddressError,
    _carried_ipv4,
)
from monolambda.services.webhooks import check_callback
from tests.support.network import OutsideLoopbackError
from tests.support.receivers import receiver

PROD = CallbackPolicy(allow_loopback=False)
DEV = CallbackPolicy(allow_loopback=True)
PUBLIC = "93.184.216.34"  # what the stub says hooks.example.com is
HEADERS = {"Content-Type": "application/json"}


class Network:
    """Stubbed DNS, and a connect that records every address and dials only loopback (or a
    stand-in on 127.0.0.1 for a public address the test routes there)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: dict[str, list[str]] = {}
        self.routes: dict[str, int] = {}  # public address -> port of a receiver on 127.0.0.1
        self.dialled: list[Any] = []
        self._peers: dict[int, Any] = {}
        connect, getpeername = socket.socket.connect, socket.socket.getpeername

        def getaddrinfo(host: str, port: int, *_: Any, **__: Any) -> list[Any]:
            addresses = self.names.get(host)
            if addresses is None:
                try:
                    addresses = [str(ipaddress.ip_address(host))]
                except ValueError:
                    raise socket.gaierror(f"stub: no such name {host}") from None
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port, 0, 0) if ":" in a else (a, port),
                )
                for a in addresses
            ]

        def recording_connect(sock: socket.socket, address: Any) -> None:
            self.dialled.append(address)
            if address[0] in self.routes:
                connect(sock, ("127.0.0.1", self.routes[address[0]]))
                self._peers[sock.fileno()] = address
                return
            connect(sock, address)

        def peer(sock: socket.socket) -> Any:
            return self._peers.get(sock.fileno()) or getpeername(sock)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket.socket, "connect", recording_connect)
        monkeypatch.setattr(socket.socket, "getpeername", peer)


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    return Network(monkeypatch)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_receiver_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.example.com").configure_cert(context)
    return context


@pytest.fixture
def sender(ca: trustme.CA) -> CheckedHttpSender:
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    return CheckedHttpSender(PROD, connect_timeout_s=2, timeout_s=5, tls=trusting)


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "https://[::1]/hook",
        "https://loopback.example/hook",  # a name resolving to 127.0.0.1
    ],
)
def test_refused_addresses_are_refused_at_submit_and_at_delivery_and_never_dialled(
    network: Network, sender: CheckedHttpSender, url: str
) -> None:
    network.names["loopback.example"] = ["127.0.0.1"]
    with pytest.raises(BadUserInputError, match="callbackUrl is refused"):
        check_callback(PROD, SocketResolver(), url)
    with pytest.raises(RefusedAddressError):
        sender.post(PROD.target(url), b"{}", HEADERS)
    assert network.dialled == []


# External finding: IPv6 forms that carry a non-public IPv4 address were accepted in prod.
# (address, allowed in prod, what it is)
IPV6_FORMS = [
    ("64:ff9b::a9fe:a9fe", False, "NAT64 well-known prefix, 169.254.169.254 (metadata)"),
    ("64:ff9b::a00:1", False, "NAT64 well-known prefix, 10.0.0.1"),
    ("64:ff9b::7f00:1", False, "NAT64 well-known prefix, 127.0.0.1"),
    ("64:ff9b::808:808", True, "NAT64 well-known prefix, 8.8.8.8 (public)"),
    ("64:ff9b:1::a9fe:a9fe", False, "NAT64 local-use prefix (RFC 8215)"),
    ("64:ff9b:1:8:800:808::", False, "NAT64 local-use prefix, public inside: still refused"),
    ("::127.0.0.1", False, "IPv4-compatible, 127.0.0.1"),
    ("::a9fe:a9fe", False, "IPv4-compatible, 169.254.169.254"),
    ("::10.0.0.1", False, "IPv4-compatible, 10.0.0.1"),
    ("::ffff:127.0.0.1", False, "IPv4-mapped, 127.0.0.1"),
    ("::ffff:a9fe:a9fe", False, "IPv4-mapped, 169.254.169.254"),
    ("::ffff:8.8.8.8", True, "IPv4-mapped, 8.8.8.8 (public)"),
    ("2002:a9fe:a9fe::1", False, "6to4, 169.254.169.254"),
    ("2002:7f00:1::1", False, "6to4, 127.0.0.1"),
    ("2001:0:a9fe:a9fe::1", False, "Teredo, server 169.254.169.254"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False, "Teredo, client 10.0.0.1"),
    ("2606:4700:4700::1111", True, "plain public IPv6"),
    ("fe80::1%eth0", False, "link-local with a zone"),
    ("::ffff:0:a9fe:a9fe%eth0", False, "IPv4-translated metadata, with a zone"),
    ("64:ff9b::a9fe:a9fe%1", False, "NAT64 metadata, with a zone"),
    ("2606:4700:4700::1111%eth0", True, "public IPv6 with a zone (it changes no verdict)"),
    # Issue 26, finding 5: the IPv4-translated form (::ffff:0:a.b.c.d), which Python calls
    # global, was accepted in prod. Now judged by the IPv4 address it writes.
    ("::ffff:0:a9fe:a9fe", False, "IPv4-translated, 169.254.169.254 (metadata)"),
    ("::ffff:0:169.254.169.254", False, "IPv4-translated, dotted"),
    ("0:0:0:0:ffff:0:a9fe:a9fe", False, "IPv4-translated, written out"),
    ("::ffff:0:7f00:1", False, "IPv4-translated, 127.0.0.1"),
    ("::ffff:0:a00:1", False, "IPv4-translated, 10.0.0.1"),
    ("::ffff:0:c0a8:101", False, "IPv4-translated, 192.168.1.1"),
    ("::ffff:0:0:1", False, "IPv4-translated, 0.0.0.1"),
    ("::ffff:0:808:808", True, "IPv4-translated, 8.8.8.8 (public)"),
    # Reserved space that no table calls private is refused all the same (an allow rule).
    ("100::1", False, "discard-only prefix"),
    ("400::1", False, "reserved by the IETF (Python: global)"),
    ("::", False, "unspecified"),
    ("ff02::1", False, "multicast"),
    ("fc00::1", False, "unique local"),
    ("2001:db8::1", False, "documentation"),
    ("240.0.0.1", False, "IPv4 reserved (class E)"),
    ("8.8.8.8", True, "plain public IPv4"),
]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [pytest.param(a, ok, id=why) for a, ok, why in IPV6_FORMS],
)
def test_ipv6_forms_are_judged_by_the_ipv4_address_they_carry(address: str, allowed: bool) -> None:
    assert PROD.allowed(address) is allowed


@pytest.mark.parametrize(
    "host",
    [
        "[64:ff9b::a9fe:a9fe]",
        "[::127.0.0.1]",
        "[::ffff:0:a9fe:a9fe]",
        "[::ffff:0:169.254.169.254]",
        "[0:0:0:0:ffff:0:a9fe:a9fe]",
        "[::ffff:0:7f00:1]",
        "[::ffff:0:a00:1]",
        "[::ffff:0:c0a8:101]",
        "[::ffff:0:0:1]",
    ],
)
def test_the_findings_urls_are_refused_at_submit_and_never_dialled(
    network: Network, sender: CheckedHttpSender, host: str
) -> None:
    url = f"https://{host}/latest/meta-data/"
    with pytest.raises(BadUserInputError, match="callbackUrl is refused"):
        check_callback(PROD, SocketResolver(), url)
    with pytest.raises(RefusedAddressError):
        sender.post(PROD.target(url), b"{}", HEADERS)
    assert network.dialled == []


@pytest.mark.parametrize(
    ("address", "carried"),
    [
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("64:ff9b:1::1", "0.0.0.0"),  # noqa: S104 - NAT64 local-use: unreadable, refused
        ("::a9fe:a9fe", "169.254.169.254"),
        ("::ffff:0:808:808", "8.8.8.8"),
        ("2606:4700:4700::1111", None),
        ("2002:a9fe:a9fe::1", None),  # a tunnel (refused), not a way of writing one
        ("8.8.8.8", None),
    ],
)
def test_the_ipv4_address_a_form_carries_is_read_the_same_on_every_python(
    address: str, carried: str | None
) -> None:
    """The unwrapping branches on their own: Python's own tables differ between versions."""
    found = _carried_ipv4(ipaddress.ip_address(address))
    assert (None if found is None else str(found)) == carried


@pytest.mark.parametrize(
    "address", ["2002:808:808::1", "2002:a00:1::1", "2001:0:808:808::1", "2001::1"]
)
def test_tunnels_are_refused_whatever_they_reach_on_every_python(address: str) -> None:
    """6to4 and Teredo: Python 3.11 calls 6to4 global, 3.13 private; neither is dialled."""
    assert not PROD.allowed(address)


@pytest.mark.parametrize("text", ["", "hooks.example.com", "1.2.3", "::g", "[::1]", "10.0.0.1/8"])
def test_text_that_is_not_an_address_is_refused(text: str) -> None:
    assert not PROD.allowed(text)
    assert not DEV.allowed(text)


def test_dev_allows_loopback_however_written_and_nothing_else() -> None:
    for loopback in ("127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"):
        assert DEV.allowed(loopback), loopback
        assert not PROD.allowed(loopback), loopback
    assert not DEV.allowed("10.0.0.1")
    assert DEV.allowed("8.8.8.8")


def test_an_https_redirect_to_a_private_address_is_not_followed(
    network: Network, sender: CheckedHttpSender, tls_receiver_context: ssl.SSLContext
) -> None:
    network.names["hooks.example.com"] = [PUBLIC]
    url = "https://hooks.example.com/hook"
    assert check_callback(PROD, SocketResolver(), url) == url
    with receiver([302], location="http://10.0.0.1/steal", tls=tls_receiver_context) as hooks:
        network.routes[PUBLIC] = hooks.port
        assert sender.post(PROD.target(url), b"{}", HEADERS) == 302
    assert len(hooks.deliveries) == 1
    assert network.dialled == [(PUBLIC, 443)]  # never 10.0.0.1


def test_a_name_that_resolves_elsewhere_at_delivery_is_refused_then(
    network: Network, sender: CheckedHttpSender
) -> None:
    """DNS rebinding: public when the job is submitted, private when its webhook is sent."""
    url = "https://rebind.example/hook"
    network.names["rebind.example"] = [PUBLIC]
    check_callback(PROD, SocketResolver(), url)
    network.names["rebind.example"] = ["10.0.0.1"]
    with pytest.raises(RefusedAddressError, match=r"10\.0\.0\.1"):
        sender.post(PROD.target(url), b"{}", HEADERS)
    assert network.dialled == []


def test_a_connection_that_reaches_a_refused_peer_is_dropped_before_a_byte_is_sent(
    network: Network, monkeypatch: pytest.MonkeyPatch, sender: CheckedHttpSender
) -> None:
    """The address is checked again once connected: here the route lands on 127.0.0.1 and
    the peer is seen as it is (as if the network had sent it elsewhere)."""
    network.names["hooks.example.com"] = [PUBLIC]
    with receiver([200]) as hooks:
        network.routes[PUBLIC] = hooks.port
        monkeypatch.setattr(network, "_peers", _Forgetful())
        with pytest.raises(RefusedAddressError, match=r"reached 127\.0\.0\.1"):
            sender.post(PROD.target("https://hooks.example.com/hook"), b"{}", HEADERS)
    assert hooks.deliveries == []


def test_the_test_network_itself_refuses_to_dial_outside_loopback() -> None:
    with socket.socket() as sock, pytest.raises(OutsideLoopbackError):
        sock.connect(("10.0.0.1", 80))


class _Forgetful(dict[int, Any]):
    def __setitem__(self, key: int, value: Any) -> None:
        pass
