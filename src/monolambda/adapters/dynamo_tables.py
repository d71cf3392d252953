"""What the PynamoDB stores share: a model pointed at its deployed table, the process's one
botocore session, and DynamoDB's errors as the use cases see them (throttling that outlasted
the SDK's retries is the caller's UNAVAILABLE, not a 500)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pynamodb.connection.base
from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model

from monolambda.adapters import aws
from monolambda.domain.errors import TransientError

# PynamoDB makes a botocore session for each model's connection, in each thread, by calling
# botocore's `get_session` from this module; each costs about 290 M instructions to make its
# client (adapters.aws). It has no setting for a session, so its lookup is pointed at the
# process's one (whose client creation is serialised, which is why PynamoDB made one a
# thread). tests/unit/test_aws_session.py fails if PynamoDB stops looking it up there.


def _process_session(env_vars: dict[str, Any] | None = None) -> Any:
    return aws.botocore_session()


pynamodb.connection.base.get_session = _process_session  # type: ignore[attr-defined]

M = TypeVar("M", bound=Model)


def bind(model: type[M], table_name: str) -> type[M]:
    """Points the model at the deployed table (its name comes from the environment)."""
    model.Meta.table_name = table_name
    model._connection = None  # made again, for the new name, on first use
    return model


THROTTLED = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


@contextmanager
def translated(store: str) -> Iterator[None]:
    """Inside, a throttled call raises TransientError naming `store` ("the job store")."""
    try:
        yield
    except PynamoDBException as e:
        if e.cause_response_code in THROTTLED:
            raise TransientError(f"{store} is busy; try again in a moment") from e
        raise
