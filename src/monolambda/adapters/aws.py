"""The one place the AWS SDK is configured: one botocore session for the whole process, each
client made from it once, on first use.

One session, because making one is most of what a client costs on a cold start: a session
reads the SDK's endpoint data (1.2 MB of JSON) and lists its service models when it makes its
first client, about 290 M instructions (a fifth of a live route's cold start); a second
client from the same session costs 15 M. boto3 (S3, SQS, SSM), PynamoDB's models
(adapters.dynamo_tables) and the management API's client all make theirs from it.

The services are SERVICES: the deploy build ships the SDK's data for those alone
(scripts/slim_sdk.py): with it, a session and its first client (DynamoDB's) cost 125 M
instructions, against 224 M from the whole data.

boto3 reads AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> itself, which is how the local
stack points the function at its stand-ins.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

# The services the function calls. The deploy build ships the SDK's data for these alone
# (scripts/slim_sdk.py), so a client for any other is refused here, in every environment,
# rather than only once deployed: a new service goes on this list.
SERVICES = ("dynamodb", "s3", "sqs", "ssm", "apigatewaymanagementapi")
# The ones botocore's own credential providers call (assume-role and SSO profiles, which a
# developer's profile may name): shipped too, never called by the function's own code.
CREDENTIAL_SERVICES = ("sts", "sso", "sso-oidc")


class UnshippedServiceError(ValueError):
    """A client for a service whose SDK data the deploy build does not ship."""


# Held while a client is made: botocore's sessions are not thread-safe while they make clients
# (PynamoDB makes a session per thread for that reason). Re-entrant: a boto3 client is made
# under it, through the botocore session's own create_client, which takes it too.
_lock = threading.RLock()


@cache
def botocore_session() -> Any:
    """The process's one botocore session (module doc); making clients through it is
    serialised."""
    import botocore.session  # noqa: PLC0415

    from monolambda.adapters.sdk_data import data_loader  # noqa: PLC0415

    class SerialisedSession(botocore.session.Session):
        def create_client(self, *args: Any, **kwargs: Any) -> Any:
            service = args[0] if args else kwargs.get("service_name")
            if service not in SERVICES and service not in CREDENTIAL_SERVICES:
                raise UnshippedServiceError(
                    f"{service!r} is not in monolambda.adapters.aws.SERVICES, whose SDK data "
                    "alone the deploy build ships: add it there"
                )
            with _lock:
                return super().create_client(*args, **kwargs)

    made = SerialisedSession()
    # Its data read faster, for the same answers (adapters.sdk_data).
    made.register_component("data_loader", data_loader(made.get_config_variable("data_path")))
    return made


@cache
def session() -> Any:
    """boto3 over the one botocore session; the first call pays for importing boto3."""
    import boto3  # noqa: PLC0415 - ~120 ms: only the routes that talk to AWS pay for it

    return boto3.session.Session(botocore_session=botocore_session())


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
    from botocore.config import Config  # noqa: PLC0415

    # Many connections at once (services.live), none waited on for long.
    config = Config(
        retries={"mode": "standard", "max_attempts": 2},
        connect_timeout=2,
        read_timeout=5,
        max_pool_connections=32,
    )
    return botocore_session().create_client(
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


def prepare(*services: str) -> None:
    """What making these services' clients reads, read now into the session (their service
    models and endpoint rules, the SDK's endpoint data), and no client made: no credentials
    are resolved and no connection opened. Before a SnapStart snapshot, so that a restored
    container makes its clients as cheaply as a second client (adapters.aws's doc)."""
    session = botocore_session()
    loader = session.get_component("data_loader")
    for service in services:
        for kind in ("service-2", "endpoint-rule-set-1"):
            loader.load_service_model(service, kind)
        session.get_available_regions(service)  # the endpoint data


def forget_clients() -> None:
    """Every client (and its connection pool) made again on next use: after a SnapStart
    restore, no copy of the snapshot shares another's. The session stays: what it holds is
    the SDK's data (endpoints, service models, configuration), which a snapshot is for; its
    credentials in Lambda come from the container provider, which refreshes them."""
    with _lock:
        _client.cache_clear()
        _management_client.cache_clear()
