"""Waiting on the local stack's asynchronous parts (pollers, streams, queues)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def eventually(check: Callable[[], Any], timeout: float = 40.0) -> Any:
    """`check()`'s first truthy answer, or its last answer once `timeout` seconds passed."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)
