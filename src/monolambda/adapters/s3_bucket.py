"""One S3 bucket, through a client made on first use: a route that never touches the bucket
never makes the client (nor imports boto3 for it)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any


class S3Bucket:
    def __init__(self, *, s3: Callable[[], Any], bucket: str) -> None:
        self._make_s3 = s3
        self._bucket = bucket

    @cached_property
    def _s3(self) -> Any:
        return self._make_s3()
