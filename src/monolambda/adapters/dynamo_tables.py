"""What the PynamoDB stores share: a model pointed at its deployed table, and DynamoDB's
errors as the use cases see them (throttling that outlasted the SDK's retries is the caller's
UNAVAILABLE, not a 500)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model

from monolambda.domain.errors import TransientError

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
