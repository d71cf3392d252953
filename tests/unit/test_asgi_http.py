"""api/transport/asgi_http.py: the two ends of Strawberry's HTTP view, read from and written
to ASGI messages as Starlette's Request and Response did."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from monolambda.api.transport.asgi_http import HttpRequest, HttpResponse, RequestAdapter


def scope(**extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "post",
        "path": "/graphql",
        "query_string": b"a=1&b=&a=2",
        "headers": [
            (b"content-type", b"application/json"),
            (b"x-twice", b"first"),
            (b"x-twice", b"second"),
        ],
        **extra,
    }


def test_a_request_reads_its_scope_as_starlette_did() -> None:
    request = HttpRequest(scope(), receive=_never)
    adapter = RequestAdapter(request)
    assert adapter.method == "POST"
    assert adapter.query_params == {"a": "2", "b": ""}  # the last value of a repeated one
    assert adapter.headers["x-twice"] == "first"
    assert adapter.content_type == "application/json"


def test_a_body_in_parts_is_read_whole_and_once() -> None:
    parts = iter(
        [
            {"type": "http.request", "body": b'{"query":', "more_body": True},
            {"type": "http.request", "body": b' "{ a }"}', "more_body": False},
        ]
    )

    async def receive() -> dict[str, Any]:
        return next(parts)

    request = HttpRequest(scope(), receive)

    async def twice() -> tuple[bytes, bytes]:
        return await request.body(), await request.body()

    assert asyncio.run(twice()) == (b'{"query": "{ a }"}', b'{"query": "{ a }"}')


def test_an_answer_is_sent_with_its_length() -> None:
    sent = asyncio.run(
        _sent(HttpResponse('{"data":{}}', status_code=200, media_type="application/json"))
    )
    start, body = sent
    assert start["status"] == 200
    assert (b"content-type", b"application/json") in start["headers"]
    assert (b"content-length", b"11") in start["headers"]
    assert body == {"type": "http.response.body", "body": b'{"data":{}}'}


def test_a_page_is_text_in_utf_8() -> None:
    start, _ = asyncio.run(_sent(HttpResponse("<html></html>", media_type="text/html")))
    assert (b"content-type", b"text/html; charset=utf-8") in start["headers"]


def test_a_stream_is_sent_part_by_part_then_ended() -> None:
    async def parts() -> AsyncIterator[str]:
        yield "one"
        yield "two"

    sent = asyncio.run(_sent(HttpResponse(status_code=200, stream=parts())))
    assert [m.get("body") for m in sent[1:]] == [b"one", b"two", b""]
    assert [m.get("more_body", False) for m in sent[1:]] == [True, True, False]
    assert not any(name == b"content-length" for name, _ in sent[0]["headers"])


async def _sent(response: HttpResponse) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        messages.append(dict(message))

    await response(scope(), _never, send)
    return messages


async def _never() -> dict[str, Any]:
    raise AssertionError("the body was not asked for")
