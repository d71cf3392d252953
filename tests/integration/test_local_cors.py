"""CORS as HTTP APIs answer it, on the local stack: a preflight from an allowed origin gets
its headers, an answer to it carries Access-Control-Allow-Origin; any other origin gets
neither. The template's WebOrigins are allowed; in dev, pages on this machine too."""

from __future__ import annotations

import json

import pytest

from tests.support.stack import WEB_ORIGIN, RunningStack, http

QUERY = json.dumps({"query": "{ health { status } }"}).encode()


def preflight(stack: RunningStack, origin: str, method: str = "POST") -> tuple[int, dict[str, str]]:
    status, headers, _ = http(
        f"{stack.api}/graphql",
        method="OPTIONS",
        headers={
            "origin": origin,
            "access-control-request-method": method,
            "access-control-request-headers": "authorization,content-type",
        },
    )
    return status, {k.lower(): v for k, v in headers.items()}


def post(stack: RunningStack, origin: str) -> dict[str, str]:
    status, headers, _ = http(
        f"{stack.api}/graphql",
        data=QUERY,
        headers={
            "content-type": "application/json",
            "origin": origin,
            "authorization": f"Bearer {stack.token}",
        },
    )
    assert status == 200
    return {k.lower(): v for k, v in headers.items()}


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:5173",
        "http://127.0.0.1:4173",
        # Issue 26: a page on the default port, whose origin has no port.
        "http://localhost",
        "http://127.0.0.1",
    ],
)
def test_in_dev_pages_on_this_machine_may_call_the_api(stack: RunningStack, origin: str) -> None:
    status, headers = preflight(stack, origin)
    assert status == 204
    assert headers["access-control-allow-origin"] == origin
    assert set(headers["access-control-allow-methods"].split(",")) == {"GET", "POST"}
    assert set(headers["access-control-allow-headers"].split(",")) == {
        "authorization",
        "content-type",
    }
    assert post(stack, origin)["access-control-allow-origin"] == origin


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        WEB_ORIGIN,
        "https://localhost",  # another scheme: another origin
        "http://localhost.evil.example",
        "http://localhost:5173.evil.example",
        "http://localhostx",
    ],
)
def test_another_origin_gets_no_cors_headers(stack: RunningStack, origin: str) -> None:
    status, headers = preflight(stack, origin)
    assert status == 204
    assert not any(k.startswith("access-control-") for k in headers)
    assert not any(k.startswith("access-control-") for k in post(stack, origin))


def test_the_templates_web_origins_are_allowed(jobs_stack: RunningStack) -> None:
    status, headers = preflight(jobs_stack, WEB_ORIGIN)
    assert status == 204
    assert headers["access-control-allow-origin"] == WEB_ORIGIN
    assert headers["access-control-max-age"] == "600"
    assert post(jobs_stack, WEB_ORIGIN)["access-control-allow-origin"] == WEB_ORIGIN
    assert (
        preflight(jobs_stack, WEB_ORIGIN, method="DELETE")[1].get("access-control-allow-origin")
        is None
    )
