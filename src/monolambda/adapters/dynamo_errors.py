"""DynamoDB's errors as the use cases see them: throttling that outlasted the SDK's retries is
the caller's UNAVAILABLE, not a 500. Shared by the PynamoDB stores."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pynamodb.exceptions import PynamoDBException

from monolambda.domain.errors import TransientError

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
