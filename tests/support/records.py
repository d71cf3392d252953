"""Events of the non-HTTP triggers, shaped as Lambda delivers them."""

from __future__ import annotations

import json
from typing import Any

JOB_ID = "6d3c6f0e-0c1b-4d4e-8f7a-0e5b8b9c1a2d"


def sqs_record(
    body: str, message_id: str = "m-1", receives: int = 1, group: str = "alice"
) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"receipt-{message_id}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receives),
            "SentTimestamp": "1795390000000",
            "MessageGroupId": group,
            "MessageDeduplicationId": f"{message_id}.1",
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs.fifo",
        "awsRegion": "us-east-1",
    }


def job_body(job_id: str = JOB_ID, owner: str = "alice") -> str:
    return json.dumps({"jobId": job_id, "owner": owner, "correlationId": "corr-1"})


def stream_record(
    event_name: str,
    new: dict[str, Any] | None,
    old: dict[str, Any] | None = None,
    sequence: str = "100",
) -> dict[str, Any]:
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": 1795390000.0,
        "Keys": {"id": {"S": JOB_ID}},
        "SequenceNumber": sequence,
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        change["NewImage"] = new
    if old is not None:
        change["OldImage"] = old
    return {
        "eventID": f"e-{sequence}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/jobs/stream/x",
    }


def job_image(
    status: str = "QUEUED",
    job_id: str = JOB_ID,
    owner: str = "alice",
    enqueues: int = 1,
    callback_url: str | None = None,
) -> dict[str, Any]:
    image = {
        "id": {"S": job_id},
        "owner": {"S": owner},
        "status": {"S": status},
        "correlation_id": {"S": "corr-1"},
        "enqueues": {"N": str(enqueues)},
    }
    if callback_url is not None:
        image["callback_url"] = {"S": callback_url}
    return image


# Two messages that are not job messages: each fails alone, with no AWS call.
SQS: dict[str, Any] = {"Records": [sqs_record("{}", "m-1"), sqs_record("not json", "m-2")]}
# A removal (TTL) and a change that is not an enqueue: nothing to send, nothing failed.
STREAM: dict[str, Any] = {
    "Records": [
        stream_record("REMOVE", None, job_image("SUCCEEDED"), sequence="111"),
        stream_record("MODIFY", job_image("RUNNING"), job_image("QUEUED"), sequence="222"),
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
