"""Job results too large for the job's item, as S3 objects behind presigned GETs."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any


class S3Results:
    def __init__(self, *, s3: Callable[[], Any], bucket: str) -> None:
        self._make_s3 = s3
        self._bucket = bucket

    @cached_property
    def _s3(self) -> Any:
        return self._make_s3()

    def put(self, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")

    def url(self, key: str, expires_s: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_s
        )
        return url
