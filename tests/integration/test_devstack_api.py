"""`make dev`'s API: the local gateway in front of the handler, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.processes import ROOT, free_port, start, stop

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    port = free_port()
    process, _ = start(["-m", "devstack", "--port", str(port), "--quiet"], ready="ready:")
    yield f"http://127.0.0.1:{port}"
    output = stop(process)
    assert process.returncode == 0, output
    assert "stopped" in output


def request(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)  # noqa: S310 - http://127.0.0.1 only
    try:
        with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def graphql(api: str, body: Any) -> tuple[int, Any]:
    status, _, raw = request(
        f"{api}/graphql",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    return status, json.loads(raw)


def test_query(api: str) -> None:
    status, body = graphql(api, {"query": "{ health { status } version { version python } }"})
    assert status == 200
    assert body["data"]["health"]["status"] in {"OK", "DEGRADED"}
    assert body["data"]["version"]["python"].startswith("3.")


def test_errors_arrive_as_json(api: str) -> None:
    status, body = graphql(api, {"query": "{ nope }"})
    assert status == 200
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    status, _, raw = request(
        f"{api}/graphql", data=b"{oops", headers={"content-type": "application/json"}
    )
    assert status == 400
    assert json.loads(raw)["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_anonymous_without_the_authorizer(api: str) -> None:
    _, body = graphql(api, {"query": "{ me { sub } }"})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_graphiql_page_in_dev(api: str) -> None:
    status, headers, raw = request(f"{api}/graphql", headers={"accept": "text/html"})
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"graphiql" in raw.lower()


def test_routes_not_in_the_template_are_api_gateway_404s(api: str) -> None:
    status, _, raw = request(f"{api}/elsewhere")
    assert status == 404
    assert json.loads(raw) == {"message": "Not Found"}
    status, _, _ = request(f"{api}/graphql", method="DELETE")
    assert status == 404


def test_a_taken_port_is_named_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "devstack", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr
