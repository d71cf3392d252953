"""Who is calling: the identity the API Gateway authorizer vouched for, or, on a stack
deployed without an authorizer, the one anonymous caller everybody shares."""

from typing import NamedTuple

from monolambda.domain.errors import ForbiddenError, UnauthenticatedError


class Caller(NamedTuple):
    sub: str
    groups: frozenset[str] = frozenset()
    # True only for ANONYMOUS: no authorizer stands in front of the API.
    anonymous: bool = False

    def require_group(self, group: str) -> None:
        if group not in self.groups:
            raise ForbiddenError(f"this needs membership of the '{group}' group")


# Every request of a stack deployed with AuthEnabled=false: one shared identity, with its own
# upload prefix (uploads/anonymous/) and no groups.
ANONYMOUS = Caller(sub="anonymous", anonymous=True)


def require_caller(caller: Caller | None) -> Caller:
    """The caller, or UNAUTHENTICATED when the request carried no identity."""
    if caller is None:
        raise UnauthenticatedError("sign in to use this field")
    return caller


def bearer_token(authorization: str) -> str | None:
    """The token in an Authorization value, as API Gateway's JWT authorizer takes it: the
    token alone, or after the scheme `Bearer ` (in any case, as HTTP's schemes are). None
    when nothing is left. The WebSocket route reads connection_init's token so too: one
    token works on both APIs."""
    token = authorization.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    return token or None
