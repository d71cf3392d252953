"""The WebSocket API's route: $connect, $default and $disconnect events, speaking
graphql-transport-ws (graphql-ws's PROTOCOL.md).

API Gateway holds the socket; each frame arrives here as a MESSAGE event and every answer
leaves through the management API (services.live). The route is lazy: $connect touches
nothing but the event; connection_init pays for the token check and one write; ping for one
post; only `subscribe` builds the schema (api.transport.live_operations).

API Gateway's management API can end a connection but cannot give it a close code: where the
protocol closes with 4400, 4401, 4403, 4409 or 4429, the code and reason go first as a last
`error` message (domain.live.farewell) and to the log, then the connection is ended
(docs/live-updates.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from monolambda.api.transport.requests import request_id_for
from monolambda.domain.bounded_json import loads_strict
from monolambda.domain.live import (
    PROTOCOL,
    UNAUTHORIZED,
    Close,
    MessageType,
    bad_message,
)
from monolambda.logs import logger
from monolambda.services.live import LiveService

if TYPE_CHECKING:
    from monolambda.api.transport.live_operations import LiveOperations

# A subscribe id as graphql-ws makes them (a UUID) fits many times over.
MAX_ID_CHARS = 128


class WebSocketRoute:
    def __init__(
        self, *, live: Callable[[], LiveService], operations: Callable[[], LiveOperations]
    ) -> None:
        self._live = live
        self._operations = operations

    def __call__(self, event: Mapping[str, Any], context: object) -> dict[str, Any]:
        request = event["requestContext"]
        kind = request.get("eventType")
        connection_id = str(request["connectionId"])
        if kind == "CONNECT":
            return _connect(event)
        if kind == "DISCONNECT":
            self._live().disconnect(connection_id)
            return _ok()
        try:
            close = self._message(connection_id, event, request_id_for(event, context))
        except Exception:  # noqa: BLE001 - the socket's last line of defence
            logger().exception(
                "unexpected error on a WebSocket message", extra={"connection_id": connection_id}
            )
            close = Close(4500, "Internal server error")
        if close is not None:
            self._live().close(connection_id, close)
        return _ok()

    def _message(  # noqa: PLR0911 - one answer per message type reads best
        self, connection_id: str, event: Mapping[str, Any], request_id: str
    ) -> Close | None:
        message = _parsed(event)
        if isinstance(message, Close):
            return message
        kind = message.get("type")
        live = self._live()
        if kind == MessageType.PING:
            live.send(connection_id, _pong(message, str(event.get("body"))))
            return None
        if kind == MessageType.PONG:
            return None
        if kind == MessageType.CONNECTION_INIT:
            return live.initialise(connection_id, message.get("payload"))
        message_id = message.get("id")
        if not isinstance(message_id, str) or not 0 < len(message_id) <= MAX_ID_CHARS:
            return bad_message(f"Invalid message: '{kind}' needs an id of 1 to 128 characters")
        if kind == MessageType.COMPLETE:
            live.unsubscribe(connection_id, message_id)
            return None
        if kind == MessageType.SUBSCRIBE:
            payload = message.get("payload")
            if not isinstance(payload, Mapping):
                return bad_message("Invalid message: subscribe needs a payload object")
            connection = live.connection(connection_id)
            if connection is None or not connection.acknowledged:
                return UNAUTHORIZED
            return self._operations().subscribe(connection, message_id, payload, request_id)
        return bad_message(f"Invalid message type {str(kind)[:40]!r}")


def _connect(event: Mapping[str, Any]) -> dict[str, Any]:
    """The handshake: accepted with graphql-transport-ws when the client offers it (a
    browser drops a socket whose answer names no protocol it offered), refused when it
    offers only others."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    if not offered:
        return _ok()
    if PROTOCOL not in offered:
        logger().info("WebSocket protocols refused", extra={"offered": offered[:5]})
        return {"statusCode": 400, "body": f"Subprotocol not acceptable: use {PROTOCOL}"}
    return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": PROTOCOL}}


def _ok() -> dict[str, Any]:
    return {"statusCode": 200}


def _parsed(event: Mapping[str, Any]) -> dict[str, Any] | Close:
    body = event.get("body")
    if event.get("isBase64Encoded") or not isinstance(body, str):
        return bad_message("Invalid message received: send JSON text frames")
    try:
        message = loads_strict(body)
    except (ValueError, RecursionError):
        return bad_message("Invalid message received: not JSON")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return bad_message("Invalid message received: an object with a 'type' is needed")
    return message


# A ping's payload is echoed when it is this small (the protocol makes the echo optional;
# a frame near API Gateway's limit would make a pong over it).
MAX_PONG_PAYLOAD_CHARS = 4_096


def _pong(ping: Mapping[str, Any], body: str) -> dict[str, Any]:
    pong: dict[str, Any] = {"type": MessageType.PONG.value}
    if isinstance(ping.get("payload"), dict) and len(body) <= MAX_PONG_PAYLOAD_CHARS:
        pong["payload"] = ping["payload"]
    return pong
