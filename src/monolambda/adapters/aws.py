"""The one place boto3 is configured: one session, each client made once, on first use.

boto3 reads AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> itself, which is how the local
stack points the function at its stand-ins.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

_lock = threading.Lock()


@cache
def session() -> Any:
    """The SDK's one session; the first call pays for importing boto3."""
    import boto3  # noqa: PLC0415 - ~120 ms: only the routes that talk to AWS pay for it

    return boto3.session.Session()


def client(service: str) -> Any:
    with _lock:  # boto3 sessions are not thread-safe while they create clients
        return _client(service)


def management_client(endpoint_url: str) -> Any:
    """The WebSocket API's management API, from botocore alone: the WebSocket and stream
    routes need no boto3 (~100 ms of a cold start), as PynamoDB needs none."""
    with _lock:
        return _management_client(endpoint_url)


@cache
def _management_client(endpoint_url: str) -> Any:
    import botocore.session  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    # Many connections at once (services.live), none waited on for long.
    config = Config(
        retries={"mode": "standard", "max_attempts": 2},
        connect_timeout=2,
        read_timeout=5,
        max_pool_connections=32,
    )
    return botocore.session.get_session().create_client(
        "apigatewaymanagementapi", endpoint_url=endpoint_url, config=config
    )


@cache
def _client(service: str) -> Any:
    from botocore.config import Config  # noqa: PLC0415

    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3)
    if service == "s3":
        # Presigned POSTs and GETs: botocore still signs them with Signature Version 2 in
        # us-east-1, which S3 refuses for buckets made since June 2020 (the local stack's S3
        # checks refuse it too: devstack.post_policy).
        config = config.merge(Config(signature_version="s3v4"))
    return session().client(service, config=config)


def forget_clients() -> None:
    """Every client (and its connection pool) made again on next use: after a SnapStart
    restore, no copy of the snapshot shares another's."""
    with _lock:
        _client.cache_clear()
        _management_client.cache_clear()
