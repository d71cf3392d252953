"""Jobs started by uploads, end to end on the local stack: createUpload(purpose: JOB), the
browser's POST to S3, S3's notification (moto -> the stack's relay queue -> the function),
the job written, sent and run; S3's duplicate notifications start nothing more."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus

from tests.integration.test_jobs_stack import finished, job
from tests.support.apigw import EVENTS_DIR
from tests.support.images import encode, solid
from tests.support.stack import LOCAL_BUCKET, RunningStack, gql, post_form, queue_depth
from tests.support.waiting import eventually

CREATE_UPLOAD = """
mutation($size: Int!, $model: String) {
  createUpload(contentType: "image/png", size: $size, purpose: JOB, model: $model) {
    url key jobId fields { name value }
  }
}"""
RELAY_QUEUE = "monolambda-local-DataBucket-notifications"


def upload_for_a_job(stack: RunningStack, content: bytes, model: str = "colours") -> dict[str, Any]:
    result = gql(stack, CREATE_UPLOAD, size=len(content), model=model)
    assert "errors" not in result, result
    upload: dict[str, Any] = result["data"]["createUpload"]
    post_form(upload["url"], {f["name"]: f["value"] for f in upload["fields"]}, content)
    return upload


def written(stack: RunningStack, job_id: str) -> bool:
    """The job exists (until the file's notification has arrived, job(id) is NOT_FOUND)."""
    return gql(stack, "query($id: ID!) { job(id: $id) { id } }", id=job_id)["data"] is not None


def jobs_listed(stack: RunningStack) -> list[str]:
    result = gql(stack, "{ jobs(first: 100) { edges { node { id } } } }")
    return [e["node"]["id"] for e in result["data"]["jobs"]["edges"]]


def test_an_uploaded_file_starts_its_job_which_runs_to_succeeded(jobs_stack: RunningStack) -> None:
    jobs_stack.reset()
    upload = upload_for_a_job(jobs_stack, encode(solid((20, 200, 40), (24, 24))))
    assert "/jobs/colours/" in upload["key"]
    assert eventually(lambda: written(jobs_stack, upload["jobId"]))
    done = finished(jobs_stack, upload["jobId"])
    assert done["status"] == "SUCCEEDED"
    assert [r["labels"][0]["label"] for r in done["results"]] == ["green"]


def test_a_hundred_duplicate_notifications_of_one_object_make_one_job(
    jobs_stack: RunningStack,
) -> None:
    """S3's notifications are at-least-once: the same event, delivered 100 more times through
    the route S3 takes (the relay queue the stack's bucket notifies), starts nothing more."""
    jobs_stack.reset()
    upload = upload_for_a_job(jobs_stack, encode(solid((200, 30, 30), (24, 24))))
    assert eventually(lambda: written(jobs_stack, upload["jobId"]))
    assert finished(jobs_stack, upload["jobId"])["status"] == "SUCCEEDED"
    s3 = jobs_stack.client("s3")
    head = s3.head_object(Bucket=LOCAL_BUCKET, Key=upload["key"])
    sqs = jobs_stack.client("sqs")
    url = sqs.get_queue_url(QueueName=RELAY_QUEUE)["QueueUrl"]
    body = notification(upload["key"], int(head["ContentLength"]))
    for start in range(0, 100, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": body} for i in range(start, start + 10)],
        )
    assert eventually(lambda: queue_depth(jobs_stack, RELAY_QUEUE) == 0, 60)
    assert jobs_listed(jobs_stack) == [upload["jobId"]]
    assert job(jobs_stack, upload["jobId"])["attempts"] == 1


def test_an_upload_for_a_prediction_starts_no_job(jobs_stack: RunningStack) -> None:
    jobs_stack.reset()
    result = gql(
        jobs_stack,
        'mutation { createUpload(contentType: "image/png", size: 100) { url key jobId fields { name value } } }',  # noqa: E501
    )
    upload = result["data"]["createUpload"]
    assert upload["jobId"] is None
    post_form(
        upload["url"],
        {f["name"]: f["value"] for f in upload["fields"]},
        encode(solid((1, 2, 3), (8, 8)))[:100].ljust(100, b"\0"),
    )
    assert eventually(lambda: queue_depth(jobs_stack, RELAY_QUEUE) == 0, 30)
    assert jobs_listed(jobs_stack) == []


def test_create_upload_for_a_job_refuses_an_unknown_model(jobs_stack: RunningStack) -> None:
    result = gql(jobs_stack, CREATE_UPLOAD, size=10, model="no-such-model")
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    result = gql(
        jobs_stack,
        'mutation { createUpload(contentType: "image/png", size: 10, model: "colours") { key } }',
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def notification(key: str, size: int) -> str:
    """S3's event for the object: events/s3-job-upload.json with this bucket and key."""
    event = json.loads((EVENTS_DIR / "s3-job-upload.json").read_text())
    record = event["Records"][0]
    record["s3"]["bucket"] = {"name": LOCAL_BUCKET, "arn": f"arn:aws:s3:::{LOCAL_BUCKET}"}
    record["s3"]["object"].update(key=quote_plus(key), size=size)
    return json.dumps(event)
