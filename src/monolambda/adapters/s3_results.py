"""Job results too large for the job's item, as S3 objects behind presigned GETs."""

from __future__ import annotations

from monolambda.adapters.s3_bucket import S3Bucket


class S3Results(S3Bucket):
    def put(self, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")

    def url(self, key: str, expires_s: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_s
        )
        return url
