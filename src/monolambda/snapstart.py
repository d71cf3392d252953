"""SnapStart's runtime hooks (the template's SnapStart=PublishedVersions).

Lambda initialises a published version once, snapshots its memory, and starts new containers
from the snapshot. Before the snapshot, `before_snapshot` builds every route's part of the
container, so that a restored container's first request imports and builds nothing: the
HTTP stack and schema, the WebSocket route with its token check and live updates, the
worker, the triggers, boto3, PynamoDB, Pillow, numpy and onnxruntime, and the SDK's session
with what its clients read (their service models and endpoint rules). No client is made and
no connection opened then. After a restore, `after_restore` re-seeds what
every copy of the snapshot would otherwise share (the `random` module's state), drops what
must not be shared (SDK clients and their connection pools, PynamoDB's connection, the
tracing socket) and counts the restored container's first invocation as its cold start.

The hooks come from the runtime's snapshot_restore_py, registered only when Lambda says the
container is a SnapStart one (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start).
"""

from __future__ import annotations

import os
import random


def before_snapshot() -> None:
    from monolambda import bootstrap  # noqa: PLC0415

    bootstrap.http()
    bootstrap.websocket()
    config = bootstrap.settings()
    if config.live is not None:
        bootstrap.prepare_live()
    bootstrap.worker()
    bootstrap.upload_trigger()
    bootstrap.stream_trigger()
    bootstrap.schedule_trigger()
    services = bootstrap.services()
    _ = services.health
    if config.models is not None:
        _ = services.predictions  # boto3, Pillow, numpy, onnxruntime: imported, not called
    if config.jobs is not None:
        _ = services.jobs
    bootstrap.prepare_sdk()


def after_restore() -> None:
    from monolambda import bootstrap, metrics, tracing  # noqa: PLC0415

    random.seed()  # from os.urandom: each restored copy its own sequence
    bootstrap.forget_connections()
    tracing.forget_socket()
    metrics.count_next_as_cold_start()


def register() -> bool:
    """Registers the hooks in a SnapStart container; False anywhere else."""
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "snap-start":
        return False
    try:
        from snapshot_restore_py import (  # noqa: PLC0415
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True
