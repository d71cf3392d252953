"""The structured (JSON) logger shared by every module.

Built on first use: the happy path of a request logs nothing, so it need not pay Powertools'
import (about 11 ms of a cold start). Powertools reads its level and service name from
POWERTOOLS_LOG_LEVEL / POWERTOOLS_SERVICE_NAME.

`log_context` adds keys to every line logged while a block runs: the worker's, the webhook's
and the outbox's lines about a job carry its `job_id` and the `correlation_id` of the request
that submitted it (its request id), so one search finds a job's whole story.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.logger import Logger

# A lone UTF-16 surrogate (a client can send "\ud800" in JSON) cannot be written as UTF-8:
# the stream would raise and logging would drop the whole record.
_SURROGATE = re.compile("[\ud800-\udfff]")


def to_json(record: dict[str, Any]) -> str:
    """As Powertools serialises (compact, readable non-ASCII), with every lone surrogate
    written as its JSON escape, so that every string reaches the log."""
    text = json.dumps(record, default=str, separators=(",", ":"), ensure_ascii=False)
    if text.isascii():
        return text
    # Surrogates only ever occur inside JSON strings, where \\uXXXX is their own spelling.
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


# Per thread and task (the local stack runs invocations side by side in one process):
# Powertools' own append_keys is shared by every thread.
_CONTEXT: ContextVar[dict[str, str]] = ContextVar("monolambda_log_context", default={})  # noqa: B039


@contextmanager
def log_context(**keys: str) -> Iterator[None]:
    """Every line logged in this block (in this thread or task) carries these keys, unless
    the line sets them itself."""
    token = _CONTEXT.set({**_CONTEXT.get(), **keys})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_context() -> dict[str, str]:
    return dict(_CONTEXT.get())


class _ContextKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _CONTEXT.get().items():
            if key not in record.__dict__:
                setattr(record, key, value)
        return True


@cache
def logger() -> Logger:
    from aws_lambda_powertools.logging.logger import Logger  # noqa: PLC0415

    log = Logger(service="monolambda", json_serializer=to_json)
    log.addFilter(_ContextKeys())
    return log
