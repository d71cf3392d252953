"""Runs a function's handler in this process, as the Lambda runtime would run it in a container."""

from __future__ import annotations

import importlib
import os
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from devstack.template import LOCAL_ACCOUNT, LOCAL_REGION, Function

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The context object Lambda passes to a Python handler."""

    def __init__(self, function: Function) -> None:
        self.function_name = function.logical_id
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = function.memory_mb
        self.invoked_function_arn = (
            f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{function.logical_id}"
        )
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.logical_id}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(function: Function, extra_environment: dict[str, str]) -> Handler:
    """Sets the function's environment in this process and imports its handler.

    One process serves one function, as one Lambda container does.
    """
    environment = {
        **function.environment,
        **extra_environment,
        "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_REGION": os.environ.get("AWS_DEFAULT_REGION", LOCAL_REGION),
    }
    os.environ.update(environment)
    code_dir = str(function.code_dir)
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
    module_name, _, attribute = function.handler.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler
