"""What a subscription field needs from the transport it runs on: somewhere to open its
subscription. Only the WebSocket route gives one (api.transport.live_operations.Listener)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from monolambda.api.guard.limits import WEBSOCKET_ONLY
from monolambda.domain.errors import BadUserInputError

if TYPE_CHECKING:
    from monolambda.api.graph.context import Context
    from monolambda.domain.jobs import Job


class SubscriptionListener(Protocol):
    def open_job(self, job_id: str) -> None:
        """Stores a subscription to one job's changes (jobUpdated)."""
        ...

    def open_jobs(self, status: str | None) -> None:
        """Stores a subscription to every change of the caller's jobs (jobsUpdated)."""
        ...

    def first_state(self, job: Job) -> None:
        """The job as jobUpdated's first message shows it."""
        ...


def listener_of(context: Context) -> SubscriptionListener:
    live: SubscriptionListener | None = context.live
    if live is None:
        raise BadUserInputError(WEBSOCKET_ONLY)
    return live
