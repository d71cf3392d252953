"""Jobs end to end on the local stack, as a client sees them: submit over HTTP, the table's
stream sends the message, the SQS mapping runs the worker, the job ends SUCCEEDED; a poison
message dead-letters after exactly three deliveries while its batch-mates succeed."""

from __future__ import annotations

import base64
from typing import Any

from monolambda.domain.jobs import JobStatus
from tests.support.images import encode, solid
from tests.support.stack import RunningStack, gql
from tests.support.waiting import eventually

JOB_FIELDS = "id status attempts progress { done total } results { index labels { label } error { code } } error { code message }"  # noqa: E501
TERMINAL = {s.value for s in JobStatus if s.terminal}
IMAGE = base64.b64encode(encode(solid((200, 30, 30), (32, 32)))).decode()


def submit(stack: RunningStack, **given: Any) -> dict[str, Any]:
    result = gql(
        stack,
        f"mutation($i: SubmitJobInput!) {{ submitJob(input: $i) {{ created job {{ {JOB_FIELDS} }} }} }}",  # noqa: E501
        i={"images": [IMAGE, IMAGE], "model": "colours", **given},
    )
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"]["submitJob"]
    return payload


def job(stack: RunningStack, job_id: str) -> dict[str, Any]:
    result = gql(stack, f"query($id: ID!) {{ job(id: $id) {{ {JOB_FIELDS} }} }}", id=job_id)
    found: dict[str, Any] = result["data"]["job"]
    return found


def finished(stack: RunningStack, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    final = eventually(
        lambda: (found := job(stack, job_id))["status"] in TERMINAL and found, timeout
    )
    assert final, job(stack, job_id)
    result: dict[str, Any] = final
    return result


def test_a_submitted_job_runs_to_succeeded_through_stream_queue_and_worker(
    jobs_stack: RunningStack,
) -> None:
    jobs_stack.reset()
    submitted = submit(jobs_stack)
    assert submitted["created"]
    assert submitted["job"]["status"] == "QUEUED"
    done = finished(jobs_stack, submitted["job"]["id"])
    assert done["status"] == "SUCCEEDED"
    assert done["attempts"] == 1
    assert done["progress"] == {"done": 2, "total": 2}
    assert [r["labels"][0]["label"] for r in done["results"]] == ["red", "red"]
    listed = gql(jobs_stack, "{ jobs(status: SUCCEEDED) { edges { node { id status } } } }")
    assert [e["node"]["id"] for e in listed["data"]["jobs"]["edges"]] == [done["id"]]


def test_the_same_idempotency_key_makes_one_job_and_one_run(jobs_stack: RunningStack) -> None:
    jobs_stack.reset()
    first = submit(jobs_stack, idempotencyKey="order-7")
    again = submit(jobs_stack, idempotencyKey="order-7")
    assert again["job"]["id"] == first["job"]["id"]
    assert not again["created"]
    assert finished(jobs_stack, first["job"]["id"])["attempts"] == 1
    listed = gql(jobs_stack, "{ jobs { edges { node { id } } } }")
    assert len(listed["data"]["jobs"]["edges"]) == 1


def test_uploads_are_checked_at_submit(jobs_stack: RunningStack) -> None:
    jobs_stack.reset()
    sub = gql(jobs_stack, "{ me { sub } }")["data"]["me"]["sub"]
    s3 = jobs_stack.client("s3")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"])
    key = f"uploads/{sub}/picture"
    s3.put_object(Bucket=bucket, Key=key, Body=encode(solid((20, 20, 220), (40, 40))))
    result = gql(
        jobs_stack,
        "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
        i={"s3Keys": [key, f"uploads/{sub}/missing"], "model": "colours"},
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "s3Keys[1]" in result["errors"][0]["message"]
    good = submit(jobs_stack, images=None, s3Keys=[key])
    done = finished(jobs_stack, good["job"]["id"])
    assert done["results"][0]["labels"][0]["label"] == "blue"


def queue_url(stack: RunningStack, name: str) -> str:
    url: str = stack.client("sqs").get_queue_url(QueueName=f"monolambda-local-{name}")["QueueUrl"]
    return url


def test_a_poison_message_is_dead_lettered_after_three_deliveries_and_alone(
    jobs_stack: RunningStack,
) -> None:
    jobs_stack.reset()
    sqs = jobs_stack.client("sqs")
    sub = gql(jobs_stack, "{ me { sub } }")["data"]["me"]["sub"]
    # Nine real jobs, then a poison message in the same owner's group.
    ids = [submit(jobs_stack)["job"]["id"] for _ in range(9)]
    sqs.send_message(
        QueueUrl=queue_url(jobs_stack, "JobsQueue.fifo"),
        MessageBody="this is not a job message",
        MessageGroupId=sub,
        MessageDeduplicationId="poison",
    )
    for job_id in ids:
        assert finished(jobs_stack, job_id)["status"] == "SUCCEEDED"
    dead = queue_url(jobs_stack, "JobsDeadLetters.fifo")

    def dead_lettered() -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = sqs.receive_message(
            QueueUrl=dead, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        return messages

    found = eventually(dead_lettered, timeout=60)
    assert [m["Body"] for m in found] == ["this is not a job message"]
    assert found[0]["Attributes"]["ApproximateReceiveCount"] in {"3", "4"}  # 3, +1 for this read
    assert all(job(jobs_stack, i)["attempts"] == 1 for i in ids)
