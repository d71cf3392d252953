"""The routes of the jobs' life: the SQS worker, the S3 upload trigger, the jobs table's
stream and the scheduled sweeper. None of them imports the GraphQL stack, except the stream
when a change has a live subscriber to render it for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monolambda.bootstrap import adapters
from monolambda.bootstrap.config import job_settings, settings
from monolambda.bootstrap.lifetime import built_later, long_lived, part
from monolambda.bootstrap.live_route import publish
from monolambda.bootstrap.use_cases import build_webhooks, services

if TYPE_CHECKING:
    from monolambda.triggers.schedule import ScheduleTrigger
    from monolambda.triggers.stream import StreamTrigger
    from monolambda.triggers.uploads import UploadTrigger
    from monolambda.worker import SqsWorker


@part
def worker() -> SqsWorker:
    """SQS: job messages through the runner (PynamoDB, the prediction service)."""
    with long_lived():
        from monolambda.services.job_runner import JobRunner, RunnerSettings  # noqa: PLC0415
        from monolambda.services.jobs import JobLimits  # noqa: PLC0415
        from monolambda.worker import SqsWorker  # noqa: PLC0415

        jobs = job_settings()
        runner = JobRunner(
            store=adapters.job_store(),
            predictions=lambda: services().predictions,
            results=adapters.results,
            limits=JobLimits(max_images=jobs.max_images),
            settings=RunnerSettings(
                lease_s=jobs.function_timeout_s + 10,
                progress_interval_s=jobs.progress_interval_s,
                max_receives=jobs.max_receives,
            ),
        )
        return SqsWorker(
            runner=runner,
            queue=adapters.job_queue,
            retry_delay_s=jobs.retry_delay_s,
            webhooks=built_later(build_webhooks),
        )


@part
def upload_trigger() -> UploadTrigger:
    """S3: a job upload's notification writes its job (the registry, PynamoDB)."""
    with long_lived():
        from monolambda.triggers.uploads import UploadTrigger  # noqa: PLC0415

        job_settings()
        return UploadTrigger(jobs=lambda: services().jobs)


@part
def stream_trigger() -> StreamTrigger:
    """DynamoDB stream: the jobs table's outbox (SQS), and the live updates' source (the
    schema, PynamoDB and the management API, on the first change with a subscriber)."""
    with long_lived():
        from monolambda.triggers.stream import StreamTrigger  # noqa: PLC0415

        job_settings()
        return StreamTrigger(
            queue=adapters.job_queue, publish=publish if settings().live is not None else None
        )


@part
def schedule_trigger() -> ScheduleTrigger:
    """The schedule: the sweeper (PynamoDB only)."""
    with long_lived():
        from monolambda.services.sweeper import Sweeper, SweepSettings  # noqa: PLC0415
        from monolambda.triggers.schedule import ScheduleTrigger  # noqa: PLC0415

        jobs = job_settings()
        sweeper = Sweeper(
            store=adapters.job_store(),
            settings=SweepSettings(
                stale_after_s=jobs.sweep_stale_after_s,
                max_jobs=jobs.sweep_max_jobs,
                max_requeues=jobs.sweep_max_requeues,
                max_receives=jobs.max_receives,
            ),
        )
        return ScheduleTrigger(sweeper=lambda: sweeper)
