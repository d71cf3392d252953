"""Errors a frontend saw, recorded beside the function's own logs."""

from __future__ import annotations

from monolambda.domain.errors import BadUserInputError
from monolambda.domain.identity import Caller
from monolambda.logs import logger

# A client error report is a log line, not a document store: keep it a line.
MAX_MESSAGE = 2_000
MAX_LOCATION = 500


class ClientErrorService:
    def report(
        self, *, caller: Caller, message: str, location: str | None, request_id: str
    ) -> None:
        message = message.strip()
        if not message:
            raise BadUserInputError("message must not be empty")
        if len(message) > MAX_MESSAGE:
            raise BadUserInputError(f"message is longer than {MAX_MESSAGE} characters")
        if location is not None and len(location) > MAX_LOCATION:
            raise BadUserInputError(f"location is longer than {MAX_LOCATION} characters")
        logger().warning(
            "client error reported",
            extra={
                "client_error": message,
                "client_location": location,
                "caller": caller.sub,
                "request_id": request_id,
            },
        )
