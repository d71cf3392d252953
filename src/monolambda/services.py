"""Use cases. Each takes plain values and returns domain objects; no GraphQL, no SDKs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monolambda.domain.about import BuildInfo
from monolambda.domain.errors import BadUserInputError, ModelUnavailableError
from monolambda.domain.health import CheckResult, HealthCheck, HealthStatus, overall
from monolambda.domain.identity import Caller
from monolambda.logs import logger

if TYPE_CHECKING:
    from monolambda.predictions import PredictionService

# A client error report is a log line, not a document store: keep it a line.
MAX_CLIENT_ERROR_MESSAGE = 2_000
MAX_CLIENT_ERROR_LOCATION = 500


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: HealthStatus
    checks: list[CheckResult]


class Services:
    def __init__(
        self,
        *,
        build_info: BuildInfo,
        health_checks: Sequence[HealthCheck],
        predictions: Callable[[], PredictionService] | None = None,
    ) -> None:
        self._build_info = build_info
        self._health_checks = tuple(health_checks)
        self._make_predictions = predictions
        self._predictions: PredictionService | None = None

    @property
    def predictions(self) -> PredictionService:
        """Built on first use: only the predict path pays for the SDK, numpy and onnxruntime."""
        if self._predictions is None:
            if self._make_predictions is None:
                raise ModelUnavailableError("predictions are not configured (no MODELS_BUCKET)")
            self._predictions = self._make_predictions()
        return self._predictions

    def version(self) -> BuildInfo:
        return self._build_info

    def health(self, *, deep: bool = False) -> HealthReport:
        results = [check.check(deep=deep) for check in self._health_checks]
        return HealthReport(status=overall(results), checks=results)

    def report_client_error(
        self, *, caller: Caller, message: str, location: str | None, request_id: str
    ) -> None:
        """Record an error a frontend saw, beside the function's own logs."""
        message = message.strip()
        if not message:
            raise BadUserInputError("message must not be empty")
        if len(message) > MAX_CLIENT_ERROR_MESSAGE:
            raise BadUserInputError(f"message is longer than {MAX_CLIENT_ERROR_MESSAGE} characters")
        if location is not None and len(location) > MAX_CLIENT_ERROR_LOCATION:
            raise BadUserInputError(
                f"location is longer than {MAX_CLIENT_ERROR_LOCATION} characters"
            )
        logger().warning(
            "client error reported",
            extra={
                "client_error": message,
                "client_location": location,
                "caller": caller.sub,
                "request_id": request_id,
            },
        )
