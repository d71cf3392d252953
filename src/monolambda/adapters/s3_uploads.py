"""Uploads straight from a browser to S3 with a presigned POST, read back for predictions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monolambda.adapters.s3_bucket import S3Bucket
from monolambda.domain.errors import BadUserInputError, NotFoundError, TransientError
from monolambda.domain.uploads import UploadForm

# 404, or 403 where the reader may not list the bucket: either way, not there for the caller.
_ABSENT = frozenset({403, 404})


class S3Uploads(S3Bucket):
    def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires_s: int
    ) -> UploadForm:
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_s,
        )
        fields = tuple((str(name), str(value)) for name, value in post["fields"].items())
        return UploadForm(url=str(post["url"]), fields=fields)

    def read(self, key: str, max_bytes: int) -> bytes:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
            if int(head["ContentLength"]) > max_bytes:
                raise BadUserInputError(f"the upload is larger than {max_bytes} bytes")
            body: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as e:
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if status in _ABSENT:
                raise NotFoundError("no such upload") from e
            # Throttling or S3 briefly away, after the SDK's own retries: try again later.
            raise TransientError("the upload could not be read just now") from e
        return body

    def sizes(self, prefix: str, keys: Sequence[str]) -> dict[str, int]:
        wanted = set(keys)
        if not wanted:
            return {}
        first, last = min(wanted), max(wanted)
        found: dict[str, int] = {}
        # From just before the smallest key to the largest: one page for up to 1,000 uploads.
        request: dict[str, Any] = {
            "Bucket": self._bucket,
            "Prefix": prefix,
            "StartAfter": first[:-1],
        }
        while True:
            page = self._s3.list_objects_v2(**request)
            for item in page.get("Contents", []):
                if item["Key"] in wanted:
                    found[item["Key"]] = int(item["Size"])
            listed = page.get("Contents", [])
            if (
                len(found) == len(wanted)
                or not page.get("IsTruncated")
                or (listed and listed[-1]["Key"] >= last)
            ):
                return found
            request["ContinuationToken"] = page["NextContinuationToken"]
