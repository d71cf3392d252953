"""Webhooks end to end on the local stack (dev: a receiver on 127.0.0.1 is allowed): the
stream sees the job finish, the worker POSTs its final state, signed; a receiver that fails
twice gets exactly one accepted delivery, whose signature it checks with the snippet the
README documents."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tests.integration.test_jobs_stack import IMAGE, finished, job
from tests.support.docs import named_block
from tests.support.receivers import receiver
from tests.support.stack import LOCAL_BUCKET, RunningStack, gql
from tests.support.waiting import eventually

WEBHOOK_FIELDS = "webhook { status attempts lastError } callbackUrl"


def documented_verify() -> Callable[[bytes, str, bytes], bool]:
    """The receiver's check, exactly as docs/jobs.md shows it."""
    block = named_block("webhook-verification")
    namespace: dict[str, Any] = {}
    exec(compile(block.text, block.where, "exec"), namespace)  # noqa: S102 - our own docs
    verify: Callable[[bytes, str, bytes], bool] = namespace["verify"]
    return verify


def webhook_key(stack: RunningStack) -> bytes:
    found = stack.client("ssm").get_parameter(
        Name="/monolambda-local/secrets/webhook-key", WithDecryption=True
    )
    return str(found["Parameter"]["Value"]).encode()


def submit_with_callback(stack: RunningStack, url: str) -> dict[str, Any]:
    result = gql(
        stack,
        "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id callbackUrl } } }",
        i={"images": [IMAGE], "model": "colours", "callbackUrl": url},
    )
    assert "errors" not in result, result
    submitted: dict[str, Any] = result["data"]["submitJob"]["job"]
    return submitted


def webhook(stack: RunningStack, job_id: str) -> dict[str, Any] | None:
    result = gql(stack, f"query($id: ID!) {{ job(id: $id) {{ {WEBHOOK_FIELDS} }} }}", id=job_id)
    state: dict[str, Any] | None = result["data"]["job"]["webhook"]
    return state


def test_a_receiver_failing_twice_gets_exactly_one_accepted_signed_delivery(
    jobs_stack: RunningStack,
) -> None:
    verify = documented_verify()
    with receiver([500, 503, 200]) as hooks:
        submitted = submit_with_callback(jobs_stack, hooks.url)
        assert submitted["callbackUrl"] == hooks.url
        done = finished(jobs_stack, submitted["id"])
        assert done["status"] == "SUCCEEDED"
        state = eventually(
            lambda: (w := webhook(jobs_stack, submitted["id"])) and w["status"] != "PENDING" and w,
            60,
        )
        assert state == {"status": "DELIVERED", "attempts": 3, "lastError": None}
        time.sleep(2)  # nothing more arrives: the webhook is settled
        assert [d.status for d in hooks.deliveries] == [500, 503, 200]
    (accepted,) = hooks.accepted()
    key = webhook_key(jobs_stack)
    assert verify(key, accepted.headers["Monolambda-Signature"], accepted.body)
    assert not verify(b"another key", accepted.headers["Monolambda-Signature"], accepted.body)
    assert not verify(key, accepted.headers["Monolambda-Signature"], accepted.body + b" ")
    payload = json.loads(accepted.body)
    assert payload["jobId"] == submitted["id"]
    assert payload["status"] == "SUCCEEDED"
    assert payload["results"][0]["labels"][0]["label"] == "red"
    assert accepted.headers["Monolambda-Delivery"] == submitted["id"]
    # Every try carried the same delivery id, each signed.
    assert {d.headers["Monolambda-Delivery"] for d in hooks.deliveries} == {submitted["id"]}


def test_a_receiver_that_never_accepts_is_failed_after_the_last_try(
    jobs_stack: RunningStack,
) -> None:
    with receiver([500]) as hooks:
        submitted = submit_with_callback(jobs_stack, hooks.url)
        state = eventually(
            lambda: (w := webhook(jobs_stack, submitted["id"])) and w["status"] != "PENDING" and w,
            60,
        )
    assert state == {"status": "FAILED", "attempts": 3, "lastError": "HTTP 500"}
    assert len(hooks.deliveries) == 3
    assert job(jobs_stack, submitted["id"])["status"] == "SUCCEEDED"  # the job is unaffected


def test_a_callback_at_a_private_address_is_refused_at_submit(jobs_stack: RunningStack) -> None:
    result = gql(
        jobs_stack,
        "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
        i={"images": [IMAGE], "callbackUrl": "https://10.0.0.1/hook"},
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "refused" in result["errors"][0]["message"]


def test_a_webhook_sent_to_the_stacks_own_reset_resets_nothing(jobs_stack: RunningStack) -> None:
    """External finding 8: dev allows a loopback callback, and a job's webhook to
    http://127.0.0.1:3000/_devstack/reset wiped the stack. It lacks the control key now."""
    s3 = jobs_stack.client("s3")
    s3.put_object(Bucket=LOCAL_BUCKET, Key="uploads/probe/kept", Body=b"x")
    submitted = submit_with_callback(jobs_stack, f"{jobs_stack.api}/_devstack/reset")
    state = eventually(
        lambda: (w := webhook(jobs_stack, submitted["id"])) and w["status"] != "PENDING" and w,
        60,
    )
    assert state == {"status": "FAILED", "attempts": 3, "lastError": "HTTP 401"}
    assert s3.list_objects_v2(Bucket=LOCAL_BUCKET, Prefix="uploads/probe/")["KeyCount"] == 1
