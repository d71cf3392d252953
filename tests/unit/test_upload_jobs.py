"""Jobs started by an upload: the key layout, the job's id from the key, the S3 route."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote_plus

import pytest

from monolambda.domain.errors import BadUserInputError
from monolambda.domain.identity import Caller
from monolambda.domain.jobs import JobInputs, JobStatus
from monolambda.domain.uploads import job_upload, job_upload_key
from monolambda.services.jobs import UploadStartOutcome
from monolambda.triggers.uploads import UploadTrigger
from tests.support.job_fakes import FakeJobStore, FakeQueue, job_service

EVENTS = Path(__file__).parents[2] / "events"
ALICE = Caller("alice")


def s3_event(*keys: str, name: str = "ObjectCreated:Post") -> dict[str, Any]:
    sample = json.loads((EVENTS / "s3-job-upload.json").read_text())
    template = sample["Records"][0]
    records = []
    for key in keys:
        record = json.loads(json.dumps(template))
        record["eventName"] = name
        record["s3"]["object"]["key"] = quote_plus(key)
        records.append(record)
    return {"Records": records}


def test_the_layout_is_owner_jobs_model_and_a_uuid() -> None:
    key = job_upload_key("alice", "digits")
    upload = job_upload(key)
    assert upload is not None
    assert (upload.owner, upload.model) == ("alice", "digits")
    for outside in (
        "uploads/alice/5c1f3e2a-0a4b-4c55-9d2e-2f7d9e5b1a10",  # a prediction's upload
        "uploads/alice/jobs/digits",
        "uploads/alice/jobs/Digits/5c1f3e2a-0a4b-4c55-9d2e-2f7d9e5b1a10",
        "uploads/alice/jobs/digits/not-a-uuid",
        "uploads/alice/jobs/digits/5c1f3e2a-0a4b-4c55-9d2e-2f7d9e5b1a10/more",
        "uploads//jobs/digits/5c1f3e2a-0a4b-4c55-9d2e-2f7d9e5b1a10",
        "models/digits/1/model.onnx",
    ):
        assert job_upload(outside) is None, outside


def test_create_upload_for_a_job_names_the_job_the_file_will_start() -> None:
    store = FakeJobStore()
    service = job_service(store)
    grant = service.create_upload(caller=ALICE, content_type="image/png", size=100, model="n")
    assert grant.key.startswith("uploads/alice/jobs/n/")
    assert grant.job_id is not None
    assert ("key", grant.key) in grant.form.fields
    assert store.jobs == {}  # nothing is written before the file arrives
    start = service.start_from_upload(grant.key, correlation_id="inv-1")
    assert (start.outcome, start.job_id) == (UploadStartOutcome.STARTED, grant.job_id)
    job = store.jobs[grant.job_id]
    assert (job.owner, job.model, job.version, job.status) == ("alice", "n", "1", JobStatus.QUEUED)
    assert job.inputs == JobInputs(s3_keys=(grant.key,))
    assert job.correlation_id == "inv-1"


def test_create_upload_for_a_job_refuses_an_unknown_model_and_a_bad_file() -> None:
    service = job_service()
    with pytest.raises(BadUserInputError, match="model"):
        service.create_upload(caller=ALICE, content_type="image/png", size=100, model="nope")
    with pytest.raises(BadUserInputError, match="contentType"):
        service.create_upload(caller=ALICE, content_type="text/html", size=100, model=None)
    with pytest.raises(BadUserInputError, match="size"):
        service.create_upload(caller=ALICE, content_type="image/png", size=0, model=None)


def test_a_hundred_duplicate_notifications_write_one_job() -> None:
    store, queue = FakeJobStore(), FakeQueue()
    service = job_service(store, queue=queue)
    key = service.create_upload(caller=ALICE, content_type="image/png", size=10, model=None).key
    trigger = UploadTrigger(jobs=lambda: service)
    outcomes: dict[str, int] = {}
    for _ in range(100):
        for outcome, count in trigger(s3_event(key), SimpleNamespace()).items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    assert outcomes == {"started": 1, "duplicate": 99}
    assert len(store.jobs) == 1
    assert store.calls.count("create") == 100  # each refused by the conditional write
    assert [m.job_id for m in queue.sent] == list(store.jobs)  # its message, sent once


def test_keys_outside_the_layout_and_other_events_are_ignored() -> None:
    store = FakeJobStore()
    service = job_service(store)
    trigger = UploadTrigger(jobs=lambda: service)
    outcomes = trigger(
        {
            "Records": [
                *s3_event("uploads/alice/5c1f3e2a-0a4b-4c55-9d2e-2f7d9e5b1a10")["Records"],
                *s3_event(
                    "uploads/alice/jobs/digits/5c1f3e2a-0a4b-4c55-9d2e-2f7d9e5b1a10",
                    name="ObjectRemoved:Delete",
                )["Records"],
                {"eventName": "ObjectCreated:Put", "s3": {}},
            ]
        },
        SimpleNamespace(),
    )
    assert outcomes == {"not-a-job-upload": 1, "not-a-creation": 2}
    assert store.jobs == {}


def test_an_owner_with_characters_s3_encodes_is_read_back_decoded() -> None:
    store = FakeJobStore()
    service = job_service(store)
    owner = Caller("user name+1@example.com")
    grant = service.create_upload(caller=owner, content_type="image/png", size=1, model=None)
    UploadTrigger(jobs=lambda: service)(s3_event(grant.key), SimpleNamespace())
    assert store.jobs[str(grant.job_id)].owner == owner.sub


def test_a_model_removed_before_the_file_arrived_starts_nothing() -> None:
    store = FakeJobStore()
    service = job_service(store)
    key = "uploads/alice/jobs/gone/5c1f3e2a-0a4b-4c55-9d2e-2f7d9e5b1a10"
    start = service.start_from_upload(key, correlation_id="c")
    assert start.outcome is UploadStartOutcome.UNKNOWN_MODEL
    assert store.jobs == {}
