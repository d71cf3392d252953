"""Runs a function's handler in this process, as the Lambda runtime runs it in a container:
its environment set, its code directory on sys.path, one invocation at a time."""

from __future__ import annotations

import importlib
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from devstack.local import LOCAL_ACCOUNT
from devstack.template import Function

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The context object Lambda passes to a Python handler."""

    def __init__(self, function: Function, region: str, memory_mb: int, timeout_s: int) -> None:
        self.function_name = function.logical_id
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = (
            f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT}:function:{function.logical_id}"
        )
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.logical_id}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalFunction:
    """One function in one process. API requests run on the function's own thread, one at a
    time, as in one Lambda container (the handler keeps per-thread state, such as the event
    loop Mangum runs on, for its life). Event-source invocations run on a pool of their own,
    one thread per concurrent invocation the event sources may make (as Lambda would run them
    in as many containers), so a worker's batch never waits behind another's."""

    def __init__(
        self,
        function: Function,
        environment: Mapping[str, str],
        *,
        region: str,
        memory_mb: int,
        timeout_s: int,
    ) -> None:
        self.function = function
        self._region = region
        self._memory_mb = memory_mb
        self._timeout_s = timeout_s
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=function.logical_id)
        self._events: ThreadPoolExecutor | None = None
        os.environ.update(
            {
                **environment,
                "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout_s),
            }
        )
        code_dir = str(function.code_dir)
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
        module_name, _, attribute = function.handler.rpartition(".")
        self._handler: Handler = getattr(importlib.import_module(module_name), attribute)

    def invoke(self, event: Any) -> Any:
        return self.submit(event).result()

    def submit(self, event: Any) -> Future[Any]:
        """Queues an invocation on the function's thread (one at a time, as a container)."""
        return self._thread.submit(self._run, event)

    def set_event_concurrency(self, count: int) -> None:
        """Room for `count` event-source invocations at once (set once, before any)."""
        if self._events is not None:
            raise RuntimeError("the event concurrency is set once")
        self._events = ThreadPoolExecutor(
            max_workers=max(1, count), thread_name_prefix=f"{self.function.logical_id}-events"
        )

    def invoke_event(self, event: Any) -> Any:
        """An event source's invocation, beside any other (see set_event_concurrency)."""
        if self._events is None:
            return self.invoke(event)
        return self._events.submit(self._run, event).result()

    def _run(self, event: Any) -> Any:
        context = LambdaContext(self.function, self._region, self._memory_mb, self._timeout_s)
        return self._handler(event, context)

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)
        if self._events is not None:
            self._events.shutdown(wait=False, cancel_futures=True)
