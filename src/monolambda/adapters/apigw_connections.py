"""The WebSocket API's management API (@connections), through boto3: one message to one
connection, or its end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from monolambda.domain.live import MessageRefusedError

_GONE = 410
_TOO_LARGE = 413


class ManagementApiPoster:
    def __init__(self, client: Callable[[], Any]) -> None:
        self._client = client

    def post(self, connection_id: str, data: bytes) -> bool:
        try:
            self._client().post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as e:
            if _gone(e):
                return False
            if _too_large(e):
                raise MessageRefusedError("the message is over the WebSocket API's limit") from e
            raise
        return True

    def close(self, connection_id: str) -> None:
        try:
            self._client().delete_connection(ConnectionId=connection_id)
        except ClientError as e:
            if not _gone(e):
                raise


def _gone(error: ClientError) -> bool:
    """410 Gone: the client left (API Gateway has not told us yet, or we missed it)."""
    response: Any = error.response
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return bool(status == _GONE or response.get("Error", {}).get("Code") == "GoneException")


def _too_large(error: ClientError) -> bool:
    response: Any = error.response
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = response.get("Error", {}).get("Code")
    return bool(status == _TOO_LARGE or code == "PayloadTooLargeException")
