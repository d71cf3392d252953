"""The browser client as the local stack serves it: the page and its files at /, with a
Content Security Policy; a config.json naming this stack; the local user pool's sign-in,
which mints a token the API accepts, for a valid user name, from this machine's pages only;
a document named by its hash over real HTTP, by POST and by GET."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

from devstack.web import SIGN_IN_PATH, SIGN_OUT_PATH, TOKEN_PATH
from monolambda.api.guard.trusted_documents import MANIFESTS
from tests.support.stack import RunningStack, http

JSON = {"content-type": "application/json"}


def sign_in(
    stack: RunningStack, body: object, path: str = SIGN_IN_PATH, **headers: str
) -> tuple[int, dict[str, object]]:
    status, _, raw = http(
        f"{stack.api}{path}", data=json.dumps(body).encode(), headers={**JSON, **headers}
    )
    return status, json.loads(raw) if raw.startswith(b"{") else {"text": raw.decode()}


def test_the_page_its_files_and_its_config(stack: RunningStack) -> None:
    status, headers, page = http(f"{stack.api}/")
    named = {k.lower(): v for k, v in headers.items()}
    assert status == 200
    assert named["content-type"].startswith("text/html")
    assert "script-src 'self'" in named["content-security-policy"]
    assert named["x-content-type-options"] == "nosniff"
    scripts = re.findall(rb'src="\./(assets/[^"]+\.js)"', page)
    assert scripts, page
    status, headers, _ = http(f"{stack.api}/{scripts[0].decode()}")
    assert status == 200
    assert "immutable" in {k.lower(): v for k, v in headers.items()}["cache-control"]
    status, _, raw = http(f"{stack.api}/config.json")
    assert json.loads(raw) == {
        "graphqlUrl": "/graphql",
        "websocketUrl": "/graphql",
        "auth": {
            "kind": "dev",
            "signInUrl": SIGN_IN_PATH,
            "tokenUrl": TOKEN_PATH,
            "signOutUrl": SIGN_OUT_PATH,
        },
    }
    for outside in ("/assets/../../template.yaml", "/assets/%2e%2e/%2e%2e/template.yaml"):
        assert http(f"{stack.api}{outside}")[0] == 404


def test_sign_in_mints_a_token_the_api_accepts(stack: RunningStack) -> None:
    status, body = sign_in(stack, {"username": "carol"})
    assert status == 200
    answer = stack.graphql({"query": "{ me { groups anonymous } }"}, token=str(body["token"]))
    assert answer == (200, {"data": {"me": {"groups": [], "anonymous": False}}})


@pytest.mark.parametrize(
    "body",
    [{"username": ""}, {"username": "a b"}, {"username": 7}, [], {"username": "x" * 65}],
)
def test_sign_in_refuses_what_is_not_a_user_name(stack: RunningStack, body: object) -> None:
    status, answer = sign_in(stack, body)
    assert status == 400
    assert "user name" in str(answer["message"])


@pytest.mark.parametrize(
    "headers",
    [{"sec-fetch-site": "cross-site"}, {"origin": "https://evil.example"}],
)
def test_sign_in_refuses_pages_of_other_sites(stack: RunningStack, headers: dict[str, str]) -> None:
    assert sign_in(stack, {"username": "mallory"}, **headers)[0] == 403


def test_a_refresh_token_renews_until_it_is_revoked(stack: RunningStack) -> None:
    """Issue 27: the page's session outlasts its token, as Cognito's does: the sign-in gives
    a refresh token, the token endpoint a fresh token for it, and sign-out revokes it."""
    _, signed_in = sign_in(stack, {"username": "carol"})
    assert signed_in["expiresIn"] == 3600
    refresh = {"refreshToken": signed_in["refreshToken"]}
    status, renewed = sign_in(stack, refresh, path=TOKEN_PATH)
    assert status == 200
    assert renewed["username"] == "carol"
    answer = stack.graphql({"query": "{ me { anonymous } }"}, token=str(renewed["token"]))
    assert answer == (200, {"data": {"me": {"anonymous": False}}})
    assert sign_in(stack, refresh, path=SIGN_OUT_PATH)[0] == 200
    status, refused = sign_in(stack, refresh, path=TOKEN_PATH)
    assert (status, refused["error"]) == (400, "invalid_grant")
    for unknown in ({"refreshToken": "forged"}, {}, {"refreshToken": 7}):
        assert sign_in(stack, unknown, path=TOKEN_PATH)[0] == 400
    assert sign_in(stack, refresh, path=TOKEN_PATH, **{"sec-fetch-site": "cross-site"})[0] == 403


def test_a_document_named_by_its_hash_over_http(stack: RunningStack) -> None:
    documents = json.loads((MANIFESTS / "web.json").read_text())
    (session,) = [k for k, v in documents.items() if v.startswith("query Session")]
    by_post = stack.graphql({"documentId": session}, token=stack.token)
    assert by_post[0] == 200
    assert by_post[1]["data"]["me"]["groups"] == ["admins"]
    # By GET: the route has no authorizer (it serves GraphiQL's page), so a GET acts as nobody.
    status, _, raw = http(f"{stack.api}/graphql?documentId={quote(session)}")
    assert status == 200
    assert json.loads(raw)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_sign_in_answers_a_body_nested_too_deep(stack: RunningStack) -> None:
    status, _, _ = http(f"{stack.api}{SIGN_IN_PATH}", data=b"[" * 100_000, headers=JSON)
    assert status == 400
