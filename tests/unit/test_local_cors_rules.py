"""The local stack's CORS, as API Gateway's HTTP API answers it, per template (issue 26: the
README and the stack disagreed on a prod stack without web origins)."""

from __future__ import annotations

from devstack.gateway import Gateway
from devstack.stack import DEV_ORIGINS
from devstack.template import load
from tests.support.processes import ROOT

PREFLIGHT = [
    ("origin", "https://app.example.com"),
    ("access-control-request-method", "POST"),
    ("access-control-request-headers", "authorization,content-type"),
]


def answer(
    overrides: dict[str, str], dev_origins: tuple[str, ...] = ()
) -> tuple[int, dict[str, str]]:
    gateway = Gateway(load(ROOT / "template.yaml", overrides), {}, dev_origins=dev_origins)
    routed = gateway.route("OPTIONS", "/graphql", PREFLIGHT, b"", "127.0.0.1")
    assert isinstance(routed, tuple)
    status, headers, _ = routed
    return status, dict(headers)


def test_without_web_origins_no_preflight_is_answered_and_options_has_no_route() -> None:
    """No CorsConfiguration: API Gateway answers no preflight of its own, and OPTIONS
    matches no route (the API has GET and POST /graphql): 404."""
    status, headers = answer({"Environment": "prod", "WebOrigins": ""})
    assert status == 404
    assert not any(k.startswith("access-control-") for k in headers)


def test_with_web_origins_every_preflight_is_answered_204() -> None:
    allowed = answer({"Environment": "prod", "WebOrigins": "https://app.example.com"})
    assert allowed[0] == 204
    assert allowed[1]["access-control-allow-origin"] == "https://app.example.com"
    other = answer({"Environment": "prod", "WebOrigins": "https://other.example.com"})
    assert other == (204, {})


def test_a_dev_stack_answers_its_own_pages_preflights() -> None:
    status, headers = answer({"Environment": "dev", "WebOrigins": ""}, DEV_ORIGINS)
    assert status == 204  # the page's origin is not this one: no headers
    assert headers == {}
