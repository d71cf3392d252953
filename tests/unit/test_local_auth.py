"""The local JWT authorizer keeps a token it has verified, and still checks its times."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack import auth
from devstack.local import LOCAL_CLIENT_ID, LOCAL_ISSUER


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_a_verified_token_is_kept_until_it_expires(
    key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = auth.verifier(LOCAL_ISSUER, [LOCAL_CLIENT_ID], key)
    token = auth.mint("alice", groups=["ops"], key=key, ttl_s=60)
    assert verifier.claims(f"Bearer {token}")["cognito:groups"] == "[ops]"
    assert verifier.claims(f"Bearer {token}")["sub"] == auth.user_sub("alice")  # from the cache
    later = time.time() + 61
    monkeypatch.setattr("devstack.auth.time.time", lambda: later)
    with pytest.raises(auth.Unauthorized, match="expired"):
        verifier.claims(f"Bearer {token}")


def test_a_token_not_yet_valid_is_refused_even_when_cached(
    key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = auth.verifier(LOCAL_ISSUER, [LOCAL_CLIENT_ID], key)
    token = auth.mint("bob", key=key, ttl_s=60)
    verifier.claims(f"Bearer {token}")
    verifier._verified[token] = (verifier._verified[token][0], time.time() + 60, time.time() + 30)
    with pytest.raises(auth.Unauthorized):
        verifier.claims(f"Bearer {token}")


def test_other_keys_are_refused_whatever_is_cached(key: rsa.RSAPrivateKey) -> None:
    verifier = auth.verifier(LOCAL_ISSUER, [LOCAL_CLIENT_ID], key)
    verifier.claims(f"Bearer {auth.mint('alice', key=key)}")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(auth.Unauthorized):
        verifier.claims(f"Bearer {auth.mint('alice', key=stranger)}")
