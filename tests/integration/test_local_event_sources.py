"""The SQS event-source mapping: batches, partial failures, whole-batch failures, redrive."""

from __future__ import annotations

import json
from typing import Any

from tests.support.stack import RunningStack, queue_depth
from tests.support.waiting import eventually

QUEUE = "monolambda-local-WorkQueue"
DEAD_LETTERS = "monolambda-local-WorkDeadLetters"
TABLE = "monolambda-local-ItemsTable"


def send(stack: RunningStack, *messages: tuple[str, str], delay_s: int = 0) -> None:
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {
                "Id": str(i),
                "MessageBody": json.dumps({"id": item, "outcome": outcome}),
                "DelaySeconds": delay_s,
            }
            for i, (item, outcome) in enumerate(messages)
        ],
    )


def items(stack: RunningStack) -> dict[str, dict[str, Any]]:
    found = stack.client("dynamodb").scan(TableName=TABLE)["Items"]
    return {
        i["pk"]["S"]: {"receives": int(i["receives"]["N"]), "batch": int(i["batch"]["N"])}
        for i in found
    }


def dead_letters(stack: RunningStack) -> set[str]:
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=DEAD_LETTERS)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    if attributes["Attributes"]["ApproximateNumberOfMessages"] == "0":
        return set()
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return {json.loads(m["Body"])["id"] for m in messages.get("Messages", [])}


def test_a_batch_is_gathered_up_to_the_batch_size(resources_stack: RunningStack) -> None:
    # Delayed alike, the five become visible within a millisecond of each other, however
    # long the loaded stand-in takes over the request (a busy machine once let the poller
    # take the first before the rest were stored, and the window closed on it).
    send(resources_stack, *[(f"m{i}", "ok") for i in range(5)], delay_s=1)
    done = eventually(lambda: len(items(resources_stack)) == 5)
    assert done, items(resources_stack)
    assert {v["batch"] for v in items(resources_stack).values()} == {5}
    assert eventually(lambda: queue_depth(resources_stack, QUEUE) == 0)


def test_reported_failures_stay_and_redrive_the_rest_are_deleted(
    resources_stack: RunningStack,
) -> None:
    send(resources_stack, ("a", "ok"), ("b", "fail"), ("c", "ok"))
    assert eventually(lambda: set(items(resources_stack)) == {"a", "c"})
    # "b" is received twice (maxReceiveCount 2, visibility 2 s), then moved by the queue.
    assert eventually(lambda: dead_letters(resources_stack) == {"b"}, timeout=30)
    assert {v["receives"] for v in items(resources_stack).values()} == {1}  # never redelivered


def test_a_function_error_fails_the_whole_batch(resources_stack: RunningStack) -> None:
    send(resources_stack, ("x", "ok"), ("y", "crash"))
    assert eventually(lambda: dead_letters(resources_stack) == {"x", "y"}, timeout=30)
    assert queue_depth(resources_stack, QUEUE) == 0
