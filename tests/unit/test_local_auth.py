"""The local JWT authorizer keeps a token it has verified, and still checks its times; it
and the WebSocket route's connection_init take a token in the same forms."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack import auth
from devstack.local import LOCAL_CLIENT_ID, LOCAL_ISSUER
from monolambda.domain.identity import bearer_token
from tests.support.live_socket import Stack


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


# Issue 26: connection_init took `bearer` in lower case and a bare token, the HTTP path's
# local authorizer neither. One rule now, API Gateway's JWT authorizer's: the token alone or
# after the scheme Bearer, in any case.
ACCEPTED_FORMS = ["Bearer {t}", "bearer {t}", "BEARER {t}", "{t}", "  Bearer   {t}  "]
REFUSED_FORMS = ["", "Bearer", "Bearer ", "Basic {t}", "Bearer{t}", "Token {t}"]


@pytest.mark.parametrize("form", ACCEPTED_FORMS)
def test_each_accepted_form_works_over_http_and_the_socket(
    key: rsa.RSAPrivateKey, form: str
) -> None:
    token = auth.mint("alice", key=key, ttl_s=60)
    value = form.format(t=token)
    assert bearer_token(value) == token
    assert auth.verifier(LOCAL_ISSUER, [LOCAL_CLIENT_ID], key).claims(value)["sub"]
    socket = Stack()  # the WebSocket route, its fake verifier taking "token-<sub>"
    socket.socket("c1").send(
        {"type": "connection_init", "payload": {"Authorization": form.format(t="token-alice")}}
    )
    assert socket.socket("c1").types == ["connection_ack"]


@pytest.mark.parametrize("form", REFUSED_FORMS)
def test_each_other_form_is_refused_over_http_and_the_socket(
    key: rsa.RSAPrivateKey, form: str
) -> None:
    token = auth.mint("alice", key=key, ttl_s=60)
    with pytest.raises(auth.Unauthorized):
        auth.verifier(LOCAL_ISSUER, [LOCAL_CLIENT_ID], key).claims(form.format(t=token))
    socket = Stack()
    socket.socket("c1").send(
        {"type": "connection_init", "payload": {"Authorization": form.format(t="token-alice")}}
    )
    assert socket.socket("c1").close_code == 4403
