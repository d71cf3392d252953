"""Run operations against the schema directly, as most behaviour is best tested."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry

from monolambda.api.graph.context import Context
from monolambda.api.graph.schema import MonolambdaSchema, build_schema
from monolambda.domain.about import BuildInfo
from monolambda.domain.budget import WorkLimits
from monolambda.domain.health import CheckResult, HealthCheck, HealthStatus
from monolambda.domain.identity import Caller
from monolambda.services import Services
from monolambda.services.health import HealthService
from monolambda.services.jobs import JobService
from monolambda.services.predictions import PredictionService
from monolambda.settings import Settings

BUILD = BuildInfo(
    version="9.9.9", git_revision="abc123", build_time="2026-11-22T00:00:00+00:00", python="3.13.0"
)


class FixedCheck:
    """An in-memory HealthCheck that reports what it is told (and whether it was deep)."""

    def __init__(self, name: str, status: HealthStatus) -> None:
        self.name = name
        self.status = status
        self.deep_calls = 0

    def check(self, *, deep: bool) -> CheckResult:
        self.deep_calls += deep
        return CheckResult(self.name, self.status, f"{'deep' if deep else 'shallow'} probe", 0.5)


def make_services(
    *checks: HealthCheck,
    predictions: PredictionService | None = None,
    work: WorkLimits | None = None,
    jobs: JobService | None = None,
) -> Services:
    return Services(
        health=lambda: HealthService(build_info=BUILD, checks=checks),
        work_limits=work or WorkLimits(),
        predictions=None if predictions is None else lambda: predictions,
        jobs=None if jobs is None else lambda: jobs,
    )


def make_schema(**env: str) -> MonolambdaSchema:
    env.setdefault("APP_ENV", "dev")
    return build_schema(Settings.from_env(env))


def execute(
    schema: strawberry.Schema,
    query: str,
    *,
    variables: dict[str, Any] | None = None,
    caller: Caller | None = None,
    services: Services | None = None,
    request_id: str = "req-1",
    read_only: bool = False,
    operation_name: str | None = None,
    max_answer_bytes: int | None = None,
) -> Any:
    services = services or make_services()
    context = Context(
        services=services,
        caller=caller,
        request_id=request_id,
        budget=services.budget(),
        loaders={},
        read_only=read_only,
    )
    if max_answer_bytes is not None:
        context = context._replace(max_answer_bytes=max_answer_bytes)
    # Asynchronously, as the ASGI view runs it (the job fields' DataLoader needs a loop).
    return asyncio.run(
        schema.execute(
            query, variable_values=variables, context_value=context, operation_name=operation_name
        )
    )
