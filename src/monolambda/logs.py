"""The structured (JSON) logger shared by every module; Powertools reads its level and service
name from POWERTOOLS_LOG_LEVEL / POWERTOOLS_SERVICE_NAME."""

from __future__ import annotations

from aws_lambda_powertools.logging.logger import Logger

logger = Logger(service="monolambda")
