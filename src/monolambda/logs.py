"""The structured (JSON) logger shared by every module.

Built on first use: the happy path of a request logs nothing, so it need not pay Powertools'
import (about 11 ms of a cold start). Powertools reads its level and service name from
POWERTOOLS_LOG_LEVEL / POWERTOOLS_SERVICE_NAME.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.logger import Logger


@cache
def logger() -> Logger:
    from aws_lambda_powertools.logging.logger import Logger  # noqa: PLC0415

    return Logger(service="monolambda")
