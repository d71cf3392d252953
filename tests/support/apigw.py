"""API Gateway events for tests, built like the files in events/ (which stay the fixtures of
record for `sam local invoke -e`)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"


def load_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
    return loaded


def http_api_event(
    body: str | bytes | dict[str, Any] | list[Any] | None = None,
    *,
    method: str = "POST",
    path: str = "/graphql",
    query_string: str = "",
    headers: dict[str, str] | None = None,
    claims: dict[str, Any] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """A payload-v2 event; a dict or list body is JSON-encoded with Content-Type set."""
    all_headers = {"host": "api.example.com", "accept": "application/json"}
    if isinstance(body, dict | list):
        body = json.dumps(body)
        all_headers["content-type"] = "application/json"
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    raw_body, encoded = _encode(body, base64_body)
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "api",
        "domainName": "api.example.com",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.7",
            "userAgent": "pytest",
        },
        "requestId": "apigw-request-id",
        "routeKey": f"{method} /graphql",
        "stage": "$default",
        "timeEpoch": 1795366800000,
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} /graphql",
        "rawPath": path,
        "rawQueryString": query_string,
        "headers": all_headers,
        "requestContext": context,
        "isBase64Encoded": encoded,
    }
    if raw_body is not None:
        event["body"] = raw_body
    return event


def rest_api_event(
    body: str | bytes | dict[str, Any] | None = None,
    *,
    method: str = "POST",
    path: str = "/graphql",
    headers: dict[str, str] | None = None,
    claims: dict[str, Any] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """A REST (payload v1) proxy event."""
    all_headers = {"Host": "api.example.com", "Accept": "application/json"}
    if isinstance(body, dict):
        body = json.dumps(body)
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    raw_body, encoded = _encode(body, base64_body)
    context: dict[str, Any] = {
        "httpMethod": method,
        "path": f"/Prod{path}",
        "requestId": "rest-request-id",
        "resourcePath": "/graphql",
        "stage": "Prod",
        "identity": {"sourceIp": "203.0.113.7"},
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": "/graphql",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "requestContext": context,
        "body": raw_body,
        "isBase64Encoded": encoded,
    }


def _encode(body: str | bytes | None, base64_body: bool) -> tuple[str | None, bool]:
    if body is None:
        return None, False
    raw = body.encode() if isinstance(body, str) else body
    if base64_body or isinstance(body, bytes):
        return base64.b64encode(raw).decode(), True
    return str(body), False


class FakeLambdaContext:
    """The attributes of Lambda's context object that the function reads."""

    def __init__(self, request_id: str = "lambda-request-id") -> None:
        self.aws_request_id = request_id
        self.function_name = "monolambda-test"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:monolambda-test"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def response_json(response: dict[str, Any]) -> Any:
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body)
