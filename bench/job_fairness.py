"""Fairness between owners, on the local stack as `make dev` runs it (`python -m devstack`: the
table's stream, the FIFO queue with one message group per owner, the SQS mapping's concurrent
pollers): with one owner's flood of jobs queued, how long another owner's single job takes
from submit to SUCCEEDED, against the same job on the idle stack.

Goal: within 3x one job's own duration, plus the batching window (none: FIFO queues take none).

    python bench/job_fairness.py [--flood 500] [--images 32] [--samples 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from job_harness import b64, png  # noqa: E402
from local_stack import start, stop  # noqa: E402

from devstack.auth import KEY_FILE, mint, signing_key, user_sub  # noqa: E402

SUBMIT = "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }"
STATUS = "query($id: ID!) { job(id: $id) { status createdAt startedAt finishedAt } }"


class Client:
    """One owner's GraphQL calls, each on a connection of its own."""

    def __init__(self, api: str, token: str) -> None:
        self._host, port = api.removeprefix("http://").split(":")
        self._port = int(port)
        self._headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}

    def call(self, query: str, **variables: Any) -> dict[str, Any]:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=30)
        try:
            body = json.dumps({"query": query, "variables": variables})
            connection.request("POST", "/graphql", body, self._headers)
            answer = json.loads(connection.getresponse().read())
        finally:
            connection.close()
        if "errors" in answer:
            raise RuntimeError(answer["errors"])
        data: dict[str, Any] = answer["data"]
        return data

    def submit(self, images: list[str]) -> str:
        job_id: str = self.call(SUBMIT, i={"images": images, "model": "digits"})["submitJob"][
            "job"
        ]["id"]
        return job_id

    def job(self, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = self.call(STATUS, id=job_id)["job"]
        return job

    def status(self, job_id: str) -> str:
        status: str = self.job(job_id)["status"]
        return status


def one_job(client: Client, images: list[str]) -> tuple[float, float]:
    """Seconds from submitting a job to seeing it SUCCEEDED (looked at every 20 ms), and of
    them, seconds from its creation to its start (the wait for the outbox and the queue)."""
    began = time.perf_counter()
    job_id = client.submit(images)
    while (job := client.job(job_id))["status"] not in {"SUCCEEDED", "FAILED", "CANCELLED"}:
        time.sleep(0.02)
    if job["status"] != "SUCCEEDED":
        raise RuntimeError(f"the job ended {job['status']}")
    waited = datetime.fromisoformat(job["startedAt"]) - datetime.fromisoformat(job["createdAt"])
    return time.perf_counter() - began, waited.total_seconds()


def show(samples: list[tuple[float, float]]) -> str:
    return ", ".join(f"{s * 1000:.0f} ms (waited {q * 1000:.0f} to start)" for s, q in samples)


class Flood:
    """The flooding owner's jobs as the stand-ins hold them: messages in the queue (visible or
    in flight) and jobs SUCCEEDED (a COUNT of the owner#status index)."""

    def __init__(self, state_dir: Path, owner: str) -> None:
        import boto3  # noqa: PLC0415

        state = json.loads((state_dir / "stack.json").read_text())
        env = json.loads((state_dir / "function-env.json").read_text())["MonolambdaFunction"]
        options = {
            "region_name": state["region"],
            "aws_access_key_id": "local",
            "aws_secret_access_key": "local",
        }
        self._sqs = boto3.client("sqs", endpoint_url=state["moto"], **options)
        self._ddb = boto3.client("dynamodb", endpoint_url=state["dynamodb"], **options)
        self._queue, self._table, self._owner = env["JOBS_QUEUE_URL"], env["JOBS_TABLE"], owner

    def queued(self) -> int:
        counts = self._sqs.get_queue_attributes(
            QueueUrl=self._queue,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in counts.values())

    def done(self) -> int:
        pages = self._ddb.get_paginator("query").paginate(
            TableName=self._table,
            IndexName="by_owner_status",
            KeyConditionExpression="owner_status = :k",
            ExpressionAttributeValues={":k": {"S": f"{self._owner}#SUCCEEDED"}},
            Select="COUNT",
        )
        return sum(int(page["Count"]) for page in pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=300, help="jobs the flooding owner queues")
    parser.add_argument("--images", type=int, default=50, help="images per flood job")
    parser.add_argument("--quiet-images", type=int, default=1, help="images per timed job")
    parser.add_argument("--samples", type=int, default=5, help="single jobs timed, each case")
    args = parser.parse_args()
    images = [b64(png(n)) for n in range(args.images)]
    small = images[: args.quiet_images]
    with tempfile.TemporaryDirectory() as tmp:
        state_dir = Path(tmp)
        process, _ = start(state_dir)
        try:
            api = json.loads((state_dir / "stack.json").read_text())["api"]
            key = signing_key(state_dir / KEY_FILE.name)
            flooder = Client(api, mint("flooder", key=key))
            quiet = Client(api, mint("quiet", key=key))
            flood = Flood(state_dir, user_sub("flooder"))
            one_job(quiet, small)  # warms the function's routes and the model
            alone = [one_job(quiet, small) for _ in range(args.samples)]

            began = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda _: flooder.submit(images), range(args.flood)))
            submitted_s = time.perf_counter() - began
            # Right behind the flood's submits: its inserts are ahead in the table's stream.
            behind = [one_job(quiet, small) for _ in range(args.samples)]
            # Once the outbox has sent every flood job's message: the flood is queued.
            while flood.queued() + flood.done() < args.flood:
                time.sleep(0.1)
            queued_at_start = flood.queued()
            during = [one_job(quiet, small) for _ in range(args.samples)]
            queued_at_end = flood.queued()
            while flood.done() < args.flood:
                time.sleep(0.5)
            drained_s = time.perf_counter() - began
        finally:
            stop(process)

    own = statistics.median(s for s, _ in alone)
    print(
        f"python {sys.version.split()[0]}; the local stack (python -m devstack), flood jobs of "
        f"{args.images} images, timed jobs of {args.quiet_images}"
    )
    print(f"one job alone, submit to SUCCEEDED (ms): median {own * 1000:.0f} ({show(alone)})")
    print(
        f"flood: {args.flood} jobs of one owner submitted in {submitted_s:.1f} s, all done "
        f"{drained_s:.1f} s after the first submit"
    )
    print(
        f"another owner's job with the flood queued ({queued_at_start} -> {queued_at_end} of its "
        f"messages in the queue): {show(during)} = {max(s for s, _ in during) / own:.2f}x one "
        "job alone at worst   (goal <= 3x, batching window 0)"
    )
    waits = sorted(q for _, q in behind)
    print(
        f"another owner's jobs submitted right behind the flood's submits: {show(behind)}; "
        f"waited to start: median {statistics.median(waits) * 1000:.0f} ms, worst "
        f"{waits[-1] * 1000:.0f} ms   (goal <= 1 s: sent at submit, not behind the flood's "
        "inserts in the table's stream)"
    )


if __name__ == "__main__":
    main()
