"""Tracing with the real adapters: the function, in this process against the local stack's
stand-ins, with Tracing=Active and a sampled invocation, runs a job from its SQS message and
sends X-Ray subsegments (to a UDP listener on 127.0.0.1, as Lambda's daemon) for the route
and each port it calls, all in the invocation's trace and each under its parent."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from monolambda import bootstrap, tracing
from tests.support.in_process import Function, states, submit
from tests.support.processes import ROOT
from tests.support.stack import gql

ROOT_ID = "1-67a0c3b1-0123456789abcdef01234567"
LAMBDA_PARENT = "53995c3f42cd8ad8"


def test_a_jobs_run_is_traced_through_its_ports(
    function: Function, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(30)
    host, port = listener.getsockname()
    monkeypatch.setenv("TRACING", "Active")
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"{host}:{port}")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={ROOT_ID};Parent={LAMBDA_PARENT};Sampled=1")
    bootstrap.reset()  # the ports are wrapped as the container is built
    try:
        (job_id,) = submit(function.stack)
        owner = gql(function.stack, "{ me { sub } }")["data"]["me"]["sub"]
        event = json.loads((ROOT / "events" / "sqs-job-message.json").read_text())
        event["Records"][0]["body"] = json.dumps(
            {"jobId": job_id, "owner": owner, "correlationId": "traced"}
        )
        assert function.invoke(event) == {"batchItemFailures": []}
        assert states(function.stack, [job_id])[job_id]["status"] == "SUCCEEDED"
        documents: list[dict[str, Any]] = []
        # The route's own subsegment ends last: everything else came before it.
        while not any(d["name"] == "sqs" for d in documents):
            payload = listener.recv(65536)
            documents.append(json.loads(payload.partition(b"\n")[2]))
    finally:
        listener.close()
        tracing.forget_socket()
        bootstrap.reset()
    names = {d["name"] for d in documents}
    assert {"JobStore.start", "Images.prepare", "Inference.run"} <= names, names
    assert any(n.startswith("ModelRegistry.") for n in names), names
    assert all(d["trace_id"] == ROOT_ID for d in documents)
    (route,) = [d for d in documents if d["name"] == "sqs"]
    assert route["parent_id"] == LAMBDA_PARENT
    ids = {d["id"] for d in documents}
    assert all(d["parent_id"] in ids for d in documents if d is not route)
    calls = [d for d in documents if d["name"].startswith("JobStore.")]
    assert all(d["namespace"] == "aws" for d in calls)
