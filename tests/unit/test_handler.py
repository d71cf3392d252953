from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from monolambda import bootstrap
from monolambda.handler import ROUTES, UnroutableEventError, handler
from monolambda.settings import SettingsError
from tests.conftest import Invoke
from tests.support.apigw import FakeLambdaContext, http_api_event
from tests.support.records import S3, SCHEDULE, SQS, STREAM


@pytest.mark.parametrize(
    "event",
    [
        {"hello": "world", "password": "hunter2"},
        {"Records": [{"eventSource": "aws:kinesis", "data": "hunter2"}]},
        [],
        None,
    ],
)
def test_unroutable_events_are_logged_and_refused(
    invoke: Invoke, event: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    with pytest.raises(UnroutableEventError, match="no route for"):
        invoke(event)
    (record,) = caplog.records
    assert record.getMessage() == "no route for event"
    assert "hunter2" not in str(record.__dict__)


def test_every_trigger_has_a_route() -> None:
    from monolambda.events import EventKind  # noqa: PLC0415

    assert set(ROUTES) == set(EventKind)


# Names only: the routes are built without touching AWS, and these events make no call.
JOBS = {
    "JOBS_TABLE": "jobs",
    "JOBS_QUEUE_URL": "http://127.0.0.1:9/123456789012/jobs.fifo",
    "MODELS_BUCKET": "data",
    "MODEL_PARAMETER_PREFIX": "/stack/models",
}


def test_sqs_messages_reach_the_worker_and_fail_alone(
    configure: Callable[..., None],
) -> None:
    configure(**JOBS)
    assert handler(SQS, FakeLambdaContext()) == {
        "batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}]
    }


def test_stream_records_reach_the_outbox(configure: Callable[..., None]) -> None:
    configure(**JOBS)
    assert handler(STREAM, FakeLambdaContext()) == {"batchItemFailures": []}


@pytest.mark.parametrize("event", [SQS, S3, SCHEDULE])
def test_the_job_routes_need_their_settings(invoke: Invoke, event: dict[str, Any]) -> None:
    with pytest.raises(RuntimeError, match="JOBS_TABLE"):
        invoke(event)


def test_uploads_reach_the_upload_trigger(configure: Callable[..., None]) -> None:
    configure(**JOBS)
    # A record that is not an object's creation is counted and ignored, without a call.
    assert handler(S3, FakeLambdaContext()) == {"not-a-creation": 1}


def test_each_routes_part_is_built_once(configure: Callable[..., None]) -> None:
    configure(**JOBS)
    handler(http_api_event({"query": "{ health { status } }"}), FakeLambdaContext())
    first = bootstrap.http()
    handler(http_api_event({"query": "{ health { status } }"}), FakeLambdaContext())
    assert bootstrap.http() is first
    handler(SQS, FakeLambdaContext())
    assert bootstrap.worker() is bootstrap.worker()
    assert bootstrap.services() is bootstrap.services()


@pytest.mark.parametrize("event", [http_api_event({"query": "{ health { status } }"}), SQS, S3])
def test_missing_configuration_fails_loudly_on_every_route(
    monkeypatch: pytest.MonkeyPatch, event: dict[str, Any]
) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    bootstrap.reset()
    try:
        with pytest.raises(SettingsError, match="APP_ENV is not set"):
            handler(event, FakeLambdaContext())
    finally:
        bootstrap.reset()
