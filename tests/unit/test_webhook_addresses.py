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
from monolambda.domain.webhooks import CallbackPolicy, RefusedAddressError
from monolambda.services.webhooks import check_callback
from tests.support.network import OutsideLoopbackError
from tests.support.receivers import receiver

PROD = CallbackPolicy(allow_loopback=False)
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
]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [pytest.param(a, ok, id=why) for a, ok, why in IPV6_FORMS],
)
def test_ipv6_forms_are_judged_by_the_ipv4_address_they_carry(address: str, allowed: bool) -> None:
    assert PROD.allowed(address) is allowed


@pytest.mark.parametrize("host", ["[64:ff9b::a9fe:a9fe]", "[::127.0.0.1]"])
def test_the_findings_urls_are_refused_at_submit_and_never_dialled(
    network: Network, sender: CheckedHttpSender, host: str
) -> None:
    url = f"https://{host}/latest/meta-data/"
    with pytest.raises(BadUserInputError, match="callbackUrl is refused"):
        check_callback(PROD, SocketResolver(), url)
    with pytest.raises(RefusedAddressError):
        sender.post(PROD.target(url), b"{}", HEADERS)
    assert network.dialled == []


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
