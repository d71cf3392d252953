from __future__ import annotations

import pytest

from devstack.http_server import is_loopback_host


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST:3000",
        "127.0.0.1",
        "127.0.0.1:3000",
        "127.9.9.9",
        "[::1]",
        "[::1]:3000",
        "app.localhost:3000",
    ],
)
def test_loopback_names(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "localhost.evil.example",
        "127.0.0.1.nip.io",
        "10.0.0.1",
        "0.0.0.0",  # noqa: S104 - a Host header under test, not an address bound
        "[::]",
        "169.254.169.254",
        "",
        "localhostx",
    ],
)
def test_everything_else(host: str) -> None:
    assert not is_loopback_host(host)


def test_an_address_chosen_with_host_is_answered_too() -> None:
    assert is_loopback_host("192.168.1.5:3000", also=("192.168.1.5",))
    assert not is_loopback_host("192.168.1.6:3000", also=("192.168.1.5",))
