"""The structured (JSON) logger shared by every module.

Built on first use: the happy path of a request logs nothing, so it need not pay Powertools'
import (about 11 ms of a cold start). Powertools reads its level and service name from
POWERTOOLS_LOG_LEVEL / POWERTOOLS_SERVICE_NAME.
"""

from __future__ import annotations

import json
import re
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


@cache
def logger() -> Logger:
    from aws_lambda_powertools.logging.logger import Logger  # noqa: PLC0415

    return Logger(service="monolambda", json_serializer=to_json)
