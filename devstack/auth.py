"""A local stand-in for the Cognito user pool and the HTTP API's JWT authorizer.

Tokens are RS256 JWTs signed with a key kept in .dev/ (made on first use), issued by
devstack.names.LOCAL_ISSUER for the local app client. The authorizer checks them as API
Gateway does — signature, issuer, audience (`aud`, or `client_id` for access tokens), expiry
and not-before — and hands the claims to the function the way HTTP APIs do (arrays flattened
to "[a b]").
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.local import DEFAULT_STATE_DIR, LOCAL_CLIENT_ID, LOCAL_ISSUER
from monolambda.domain.identity import bearer_token

KEY_FILE = DEFAULT_STATE_DIR / "jwt-signing-key.pem"
KEY_ID = "monolambda-local"
DEFAULT_TTL_S = 12 * 3600
_VERIFIED_TOKENS = 1024


def signing_key(path: Path = KEY_FILE) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key


def user_sub(username: str) -> str:
    """A stable subject per user name, shaped like Cognito's (a UUID)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"monolambda-local/{username}"))


def mint(
    username: str,
    *,
    groups: Iterable[str] = (),
    ttl_s: int = DEFAULT_TTL_S,
    key: rsa.RSAPrivateKey | None = None,
    issuer: str = LOCAL_ISSUER,
    audience: str = LOCAL_CLIENT_ID,
    now: float | None = None,
) -> str:
    """An ID token as Cognito issues them."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": user_sub(username),
        "cognito:username": username,
        "email": f"{username}@example.test",
        "iss": issuer,
        "aud": audience,
        "token_use": "id",
        "auth_time": issued,
        "iat": issued,
        "exp": issued + ttl_s,
    }
    group_list = sorted(set(groups))
    if group_list:
        claims["cognito:groups"] = group_list
    return jwt.encode(claims, key or signing_key(), algorithm="RS256", headers={"kid": KEY_ID})


class Unauthorized(Exception):
    """The request carries no token, or one the authorizer rejects."""


@dataclass(frozen=True)
class JwtVerifier:
    issuer: str
    audiences: tuple[str, ...]
    public_key: Any = None
    # With --aws: the user pool's published keys, fetched (and cached) by PyJWT.
    jwks: jwt.PyJWKClient | None = None
    # Tokens whose signature, issuer and audience were checked -> (claims, exp, nbf): the
    # same token on the next request needs only its times checked again (an RSA verify is
    # ~80 us of a local request).
    _verified: dict[str, tuple[dict[str, str], float, float]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def claims(self, authorization: str | None) -> dict[str, str]:
        token = bearer_token(authorization or "")
        if token is None:
            raise Unauthorized("no token")
        known = self._verified.get(token)
        if known is not None:
            flat, expires, not_before = known
            now = time.time()
            if now >= expires:
                del self._verified[token]
                raise Unauthorized("Signature has expired")
            if now < not_before:
                raise Unauthorized("The token is not yet valid (nbf)")
            return flat
        flat, expires, not_before = self._verify(token)
        if len(self._verified) >= _VERIFIED_TOKENS:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = (flat, expires, not_before)
        return flat

    def _verify(self, token: str) -> tuple[dict[str, str], float, float]:
        try:
            key = self.jwks.get_signing_key_from_jwt(token).key if self.jwks else self.public_key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iss"], "verify_aud": False},
                leeway=0,
            )
        except jwt.PyJWTError as e:
            raise Unauthorized(str(e)) from e
        audience = (
            claims.get("aud") if claims.get("token_use") != "access" else claims.get("client_id")
        )
        audiences = set(audience) if isinstance(audience, list) else {audience}
        if not audiences & set(self.audiences):
            raise Unauthorized("audience")
        return flatten_claims(claims), float(claims["exp"]), float(claims.get("nbf", 0))


def flatten_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """HTTP APIs pass every claim to the function as a string, arrays as "[a b]"."""
    flat: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, list):
            flat[name] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, bool):
            flat[name] = str(value).lower()
        else:
            flat[name] = str(value)
    return flat


def jwks_verifier(issuer: str, audiences: Iterable[str]) -> JwtVerifier:
    return JwtVerifier(
        issuer, tuple(audiences), jwks=jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json")
    )


def jwks(key: rsa.RSAPrivateKey | None = None) -> dict[str, Any]:
    """The key set a user pool publishes at {issuer}/.well-known/jwks.json."""
    public = jwt.algorithms.RSAAlgorithm.to_jwk((key or signing_key()).public_key(), as_dict=True)
    return {"keys": [{**public, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}


def verifier(
    issuer: str, audiences: Iterable[str], key: rsa.RSAPrivateKey | None = None
) -> JwtVerifier:
    return JwtVerifier(issuer, tuple(audiences), (key or signing_key()).public_key())
