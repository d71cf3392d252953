"""A job's log lines on the local stack: the outbox's, the worker's and the webhook's each
carry the job's id and the correlation id of the request that submitted it (its request id,
which the job shows as correlationId), so that one search of the logs finds its whole story."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.integration.test_jobs_stack import finished
from tests.integration.test_webhooks_stack import submit_with_callback, webhook
from tests.support.receivers import receiver
from tests.support.stack import RunningStack, gql
from tests.support.waiting import eventually

# What the stream (the outbox) and the worker log for a job with a webhook, each once.
EXPECTED = {
    ("job message sent", "run"),
    ("job message done", "succeeded"),
    ("job message sent", "webhook"),
    ("job message done", "webhook-delivered"),
}


def _key(record: dict[str, Any]) -> tuple[str, str]:
    return str(record.get("message")), str(record.get("kind") or record.get("outcome"))


def job_lines(stack: RunningStack, job_id: str, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The stack's JSON log lines that name the job, until the EXPECTED ones have come."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not {_key(r) for r in found} >= EXPECTED:
        line = stack.printed(job_id, timeout=max(0.1, deadline - time.monotonic()))
        assert line is not None, f"missing {EXPECTED - {_key(r) for r in found}}: {found}"
        text = line[line.find("{") :]
        if text.startswith("{"):
            found.append(json.loads(text))
    return found


def test_every_line_about_a_job_names_it_and_the_request_that_made_it(
    jobs_stack: RunningStack,
) -> None:
    jobs_stack.reset()
    with receiver([200]) as hooks:
        submitted = submit_with_callback(jobs_stack, hooks.url)
        job_id = submitted["id"]
        asked = gql(jobs_stack, "query($id: ID!) { job(id: $id) { correlationId } }", id=job_id)
        correlation = asked["data"]["job"]["correlationId"]
        assert correlation
        assert finished(jobs_stack, job_id)["status"] == "SUCCEEDED"
        delivered = eventually(lambda: (w := webhook(jobs_stack, job_id)) and w["status"], 60)
        assert delivered == "DELIVERED"
        lines = job_lines(jobs_stack, job_id)
    about_the_job = [r for r in lines if _key(r) in EXPECTED]
    assert {_key(r) for r in about_the_job} == EXPECTED
    for record in about_the_job:
        assert record["job_id"] == job_id, record
        assert record["correlation_id"] == correlation, record
