"""Who is calling: the identity the API Gateway authorizer vouched for."""

from __future__ import annotations

from dataclasses import dataclass

from monolambda.domain.errors import ForbiddenError, UnauthenticatedError


@dataclass(frozen=True, slots=True)
class Caller:
    sub: str
    groups: frozenset[str] = frozenset()

    def require_group(self, group: str) -> None:
        if group not in self.groups:
            raise ForbiddenError(f"this needs membership of the '{group}' group")


def require_caller(caller: Caller | None) -> Caller:
    """The caller, or UNAUTHENTICATED when the request carried no identity."""
    if caller is None:
        raise UnauthenticatedError("sign in to use this field")
    return caller
