"""Faults injected into AWS calls through botocore's event hooks (the tests' and the job
benchmark's alike)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders


class Failing:
    """A botocore hook that fails the first `times` calls it sees: it raises a connection
    error, or answers with `response(request)` (a `before-send` hook may answer for AWS)."""

    def __init__(self, times: int, response: Callable[[Any], Any] | None = None) -> None:
        self.times = times
        self.seen = 0
        self._response = response
        self._lock = threading.Lock()

    def __call__(self, request: Any = None, **_: Any) -> Any:
        with self._lock:
            self.seen += 1
            if self.seen > self.times:
                return None
        if self._response is not None:
            return self._response(request)
        raise ConnectionError("injected: the send failed")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def throttled(request: Any) -> AWSResponse:
    """DynamoDB's answer when a table's throughput is exceeded."""
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "injected throttling",
        }
    ).encode()
    return AWSResponse(
        request.url,
        400,
        HTTPHeaders.from_dict(
            {"content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "injected"}
        ),
        _Raw(body),
    )
