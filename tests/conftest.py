from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from monolambda import bootstrap
from monolambda.handler import handler
from tests.support.apigw import FakeLambdaContext
from tests.support.network import guard_connections

guard_connections()

# The local stack's fixtures (app_stack, fixture_stack, stack, resources_stack), the function
# in this process (function), and headless Chromium (browser).
pytest_plugins = ["tests.support.stack", "tests.support.in_process", "tests.support.browser"]

Invoke = Callable[..., dict[str, Any]]


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Sets the function's environment (APP_ENV=dev unless given) and forgets the container."""

    def apply(**env: str) -> None:
        env.setdefault("APP_ENV", "dev")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        bootstrap.reset()

    yield apply
    bootstrap.reset()


@pytest.fixture
def invoke(configure: Callable[..., None]) -> Invoke:
    """Calls the Lambda handler as Lambda would, in a dev environment by default."""
    configure()

    def call(event: dict[str, Any], request_id: str = "lambda-request-id") -> dict[str, Any]:
        result: dict[str, Any] = handler(event, FakeLambdaContext(request_id))
        return result

    return call
