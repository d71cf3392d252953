"""The WebSocket API's token check: a connection_init's JWT verified as the HTTP API's JWT
authorizer verifies a request's (API Gateway's WebSocket API has none for a message).

PyJWT with the user pool's published keys (fetched once, kept for an hour, fetched again for
an unknown key id): RS256 only, the issuer, the audience (an ID token's `aud`, an access
token's `client_id`), expiry and not-before with no leeway, and a subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jwt

from monolambda.domain.errors import TransientError, UnauthenticatedError
from monolambda.domain.identity import Caller

_ALGORITHMS = ["RS256"]
_KEYS_LIFESPAN_S = 3600


class JwksTokenVerifier:
    def __init__(self, *, issuer: str, audiences: Sequence[str], jwks_url: str) -> None:
        self._issuer = issuer
        self._audiences = frozenset(audiences)
        self._keys = jwt.PyJWKClient(
            jwks_url, cache_keys=True, lifespan=_KEYS_LIFESPAN_S, timeout=5
        )

    def caller(self, token: str) -> Caller:
        try:
            key = self._keys.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as e:
            raise TransientError("the user pool's keys could not be read") from e
        except jwt.PyJWTError as e:
            raise UnauthenticatedError(f"token refused: {e}") from e
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=_ALGORITHMS,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
                leeway=0,
            )
        except jwt.PyJWTError as e:
            raise UnauthenticatedError(f"token refused: {e}") from e
        use = claims.get("token_use")
        audience = claims.get("client_id") if use == "access" else claims.get("aud")
        audiences = set(audience) if isinstance(audience, list) else {audience}
        if use not in ("id", "access") or not audiences & self._audiences:
            raise UnauthenticatedError("token refused: not for this API's app client")
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub:
            raise UnauthenticatedError("token refused: no subject")
        groups = claims.get("cognito:groups") or []
        return Caller(sub=sub, groups=frozenset(str(g) for g in groups if g))
