"""The local stack shows the function's metrics (GET /_devstack/metrics): what the EMF lines
it writes would become in CloudWatch, summed since the stack started (or was reset)."""

from __future__ import annotations

import json
from typing import Any

from devstack.http_server import CONTROL_HEADER
from tests.integration.test_jobs_stack import IMAGE, finished
from tests.support.stack import RunningStack, gql, http
from tests.support.waiting import eventually


def metrics(stack: RunningStack) -> dict[tuple[str, tuple[tuple[str, str], ...]], Any]:
    status, headers, body = http(
        f"{stack.api}/_devstack/metrics", headers={CONTROL_HEADER: stack.control_key}
    )
    assert status == 200
    assert headers["content-type"] == "application/json"
    return {
        (m["metric"], tuple(sorted(m["dimensions"].items()))): m
        for m in json.loads(body)["metrics"]
    }


def test_requests_and_jobs_show_in_the_stacks_metrics(jobs_stack: RunningStack) -> None:
    jobs_stack.reset()
    assert gql(jobs_stack, "{ health { status } }")["data"]
    assert "errors" in gql(jobs_stack, "{ health { nosuchfield } }")
    submitted = gql(
        jobs_stack,
        "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
        i={"images": [IMAGE], "model": "colours"},
    )
    job_id = submitted["data"]["submitJob"]["job"]["id"]
    assert finished(jobs_stack, job_id)["status"] == "SUCCEEDED"
    finished_key = ("JobsFinished", (("status", "SUCCEEDED"),))
    seen = eventually(lambda: (m := metrics(jobs_stack)) and finished_key in m and m, 30)
    assert seen, metrics(jobs_stack)
    http_ok = ("Requests", (("operation", "health"), ("outcome", "ok"), ("route", "http")))
    assert seen[http_ok]["samples"] == 1
    refused = (
        "Requests",
        (("operation", "health"), ("outcome", "GRAPHQL_VALIDATION_FAILED"), ("route", "http")),
    )
    assert seen[refused]["samples"] == 1
    assert seen[("JobsSubmitted", ())]["sum"] == 1
    assert seen[finished_key]["sum"] == 1
    assert seen[("JobAttempts", (("outcome", "succeeded"),))]["sum"] == 1
    latency = seen[("PredictLatency", (("model", "colours"),))]
    assert latency["unit"] == "Milliseconds"
    assert latency["min"] > 0


def test_the_metrics_need_the_stacks_control_key(stack: RunningStack) -> None:
    """Issue 26: what the stack saw is for who can read its state dir, as its endpoints
    that act are; GraphiQL's files and the local pool's keys stay public."""
    assert http(f"{stack.api}/_devstack/metrics")[0] == 401
    assert http(f"{stack.api}/_devstack/metrics", headers={CONTROL_HEADER: "wrong"})[0] == 401
    assert http(f"{stack.api}/_devstack/jwks.json")[0] == 200
