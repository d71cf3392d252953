"""Use cases, one module per capability: health, client errors, predictions, jobs.

Each takes plain values and returns domain objects; no GraphQL, no SDKs. `Services` is what
an entry point gets: every use case, the expensive ones built on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from monolambda.domain.budget import WorkBudget, WorkLimits
from monolambda.domain.errors import DomainError, ErrorCode, ModelUnavailableError
from monolambda.services.client_errors import ClientErrorService

if TYPE_CHECKING:
    from monolambda.services.health import HealthService
    from monolambda.services.jobs import JobService
    from monolambda.services.predictions import PredictionService


class NotConfiguredError(DomainError):
    """A capability this deployment was not given the settings for."""

    code = ErrorCode.UNAVAILABLE


class Services:
    def __init__(
        self,
        *,
        health: Callable[[], HealthService],
        work_limits: WorkLimits,
        predictions: Callable[[], PredictionService] | None = None,
        jobs: Callable[[], JobService] | None = None,
    ) -> None:
        self._make_health = health
        self._health: HealthService | None = None
        self.client_errors = ClientErrorService()
        self._work_limits = work_limits
        self._make_predictions = predictions
        self._predictions: PredictionService | None = None
        self._make_jobs = jobs
        self._jobs: JobService | None = None

    @property
    def health(self) -> HealthService:
        """Built on first use: the live routes and the worker never ask for it."""
        if self._health is None:
            self._health = self._make_health()
        return self._health

    @property
    def predictions(self) -> PredictionService:
        """Built on first use: only the predict path pays for the SDK, numpy and onnxruntime."""
        if self._predictions is None:
            if self._make_predictions is None:
                raise ModelUnavailableError("predictions are not configured (no MODELS_BUCKET)")
            self._predictions = self._make_predictions()
        return self._predictions

    @property
    def jobs(self) -> JobService:
        """Built on first use: only the job fields pay for PynamoDB and botocore."""
        if self._jobs is None:
            if self._make_jobs is None:
                raise NotConfiguredError("jobs are not configured (no JOBS_TABLE)")
            self._jobs = self._make_jobs()
        return self._jobs

    def budget(self) -> WorkBudget:
        """A fresh allowance for one request (every field and operation in it share it)."""
        return WorkBudget(self._work_limits)
