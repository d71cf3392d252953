from __future__ import annotations

import logging
from typing import Any

import pytest

from monolambda.handler import UnroutableEventError
from tests.conftest import Invoke


@pytest.mark.parametrize(
    "event",
    [
        {"hello": "world", "password": "hunter2"},
        {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]},  # no worker route yet
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


def test_container_is_built_once(invoke: Invoke) -> None:
    from monolambda import bootstrap  # noqa: PLC0415
    from tests.support.apigw import http_api_event  # noqa: PLC0415

    invoke(http_api_event({"query": "{ health { status } }"}))
    first = bootstrap.container()
    invoke(http_api_event({"query": "{ health { status } }"}))
    assert bootstrap.container() is first


def test_missing_configuration_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    from monolambda import bootstrap  # noqa: PLC0415
    from monolambda.handler import handler  # noqa: PLC0415
    from monolambda.settings import SettingsError  # noqa: PLC0415
    from tests.support.apigw import FakeLambdaContext, http_api_event  # noqa: PLC0415

    monkeypatch.delenv("APP_ENV", raising=False)
    bootstrap.container.cache_clear()
    with pytest.raises(SettingsError, match="APP_ENV is not set"):
        handler(http_api_event({"query": "{ health { status } }"}), FakeLambdaContext())
    bootstrap.container.cache_clear()
