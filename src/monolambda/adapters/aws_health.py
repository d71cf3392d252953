"""Health checks of the AWS dependencies. Shallow: configuration only, no network (and no
boto3 import). Deep: one read-only call each, within the function's own permissions:
ListObjectsV2 of one key under models/ (its role may list that prefix only), GetParameter."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from monolambda.domain.health import CheckResult, HealthStatus


class _AwsCheck:
    name = "aws"

    def __init__(self, client: Callable[[], Any], target: str) -> None:
        self._client = client
        self._target = target
        # What a shallow check answers: the configuration, read once; no work, so no time.
        self._configured = CheckResult(self.name, HealthStatus.OK, f"configured: {target}", 0.0)

    def check(self, *, deep: bool) -> CheckResult:
        if not deep:
            return self._configured
        started = time.perf_counter()
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            self._probe(self._client())
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "error")
            return self._result(HealthStatus.DOWN, f"{self._target}: {code}", started)
        except BotoCoreError as e:
            return self._result(HealthStatus.DOWN, f"{self._target}: {type(e).__name__}", started)
        return self._result(HealthStatus.OK, f"reachable: {self._target}", started)

    def _probe(self, client: Any) -> None:
        raise NotImplementedError

    def _result(self, status: HealthStatus, detail: str, started: float) -> CheckResult:
        return CheckResult(self.name, status, detail, (time.perf_counter() - started) * 1000)


class S3BucketCheck(_AwsCheck):
    name = "model-bucket"

    def _probe(self, client: Any) -> None:
        client.list_objects_v2(Bucket=self._target, Prefix="models/", MaxKeys=1)


class ParameterCheck(_AwsCheck):
    name = "model-pointers"

    def _probe(self, client: Any) -> None:
        client.get_parameter(Name=self._target)
