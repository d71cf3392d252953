"""Events of the non-HTTP triggers, shaped as Lambda delivers them (the routes are stubs
until the jobs and triggers issues fill them in)."""

from __future__ import annotations

from typing import Any

SQS: dict[str, Any] = {
    "Records": [
        {"messageId": "m-1", "eventSource": "aws:sqs", "body": "{}"},
        {"messageId": "m-2", "eventSource": "aws:sqs", "body": "{}"},
    ]
}
STREAM: dict[str, Any] = {
    "Records": [
        {"eventSource": "aws:dynamodb", "dynamodb": {"SequenceNumber": "111"}},
        {"eventSource": "aws:dynamodb", "dynamodb": {"SequenceNumber": "222"}},
    ]
}
S3: dict[str, Any] = {
    "Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": "uploads/a/x"}}}]
}
SCHEDULE: dict[str, Any] = {
    "source": "aws.events",
    "detail-type": "Scheduled Event",
    "time": "2026-11-22T00:00Z",
}
