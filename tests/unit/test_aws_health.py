from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from monolambda.adapters.aws_health import ParameterCheck, S3BucketCheck
from monolambda.domain.health import HealthStatus


class Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def list_objects_v2(self, **_: Any) -> None:
        raise self.error

    def get_parameter(self, **_: Any) -> None:
        raise self.error


def test_shallow_checks_make_no_call() -> None:
    def no_client() -> Any:
        raise AssertionError("a shallow check built a client")

    result = S3BucketCheck(no_client, "bucket").check(deep=False)
    assert (result.status, result.detail) == (HealthStatus.OK, "configured: bucket")


def test_deep_failures_are_down_with_the_error_code_only() -> None:
    denied = ClientError({"Error": {"Code": "403", "Message": "secret detail"}}, "ListObjectsV2")
    result = S3BucketCheck(lambda: Failing(denied), "bucket").check(deep=True)
    assert (result.status, result.detail) == (HealthStatus.DOWN, "bucket: 403")
    offline = EndpointConnectionError(endpoint_url="http://x")
    result = ParameterCheck(lambda: Failing(offline), "/p").check(deep=True)
    assert (result.status, result.detail) == (HealthStatus.DOWN, "/p: EndpointConnectionError")
