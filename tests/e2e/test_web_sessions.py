"""Issue 27: sessions that outlast their tokens, in headless Chromium against a local stack
whose sign-in issues 20-second tokens (Cognito's last an hour: the same renewal, sooner).

- A token that expires mid-session is renewed before it does, with the refresh token the
  sign-in returned, and the user notices nothing: later requests run, and the open
  WebSocket keeps its subscription (no second socket) through the renewal.
- A session whose refresh token was revoked, or whose token API Gateway refuses with no way
  to renew it, ends with "Your session has ended — sign in again.", never "could not be
  reached".

Every wait is for something on the page or in the stack, never for a time."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.test_web_client import DESKTOP, SEVEN, WAIT_MS, App, subscribed
from tests.support.stack import RunningStack, http, launch, shut_down
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

TOKEN_TTL_S = 20
SESSION_ENDED = "Your session has ended — sign in again."


@pytest.fixture(scope="module")
def short_token_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = launch(tmp_path_factory.mktemp("short-tokens"), "--token-ttl", str(TOKEN_TTL_S))
    yield stack
    shut_down(stack)


@pytest.fixture
def app(browser: Any, short_token_stack: RunningStack) -> Iterator[App]:
    short_token_stack.reset()
    opened = App(browser, short_token_stack, DESKTOP)
    yield opened
    opened.close()


def session_of(app: App) -> dict[str, Any]:
    saved: str = app.page.evaluate("sessionStorage.getItem('monolambda.session')")
    loaded: dict[str, Any] = json.loads(saved)
    return loaded


def test_a_token_expiring_mid_session_is_renewed_unnoticed(
    app: App, short_token_stack: RunningStack
) -> None:
    sockets: list[str] = []
    app.page.on("websocket", lambda socket: sockets.append(socket.url))
    app.open()
    app.sign_in()
    first = session_of(app)["token"]
    app.page.get_by_text("No jobs yet").wait_for(timeout=WAIT_MS)
    assert eventually(lambda: subscribed(short_token_stack), 30)
    # Renewed at four fifths of the token's life, without a reload or a sign-in.
    app.page.wait_for_function(
        "first => JSON.parse(sessionStorage.getItem('monolambda.session')).token !== first",
        arg=first,
        timeout=WAIT_MS,
    )
    # Past the first token's expiry, requests and the live list still work.
    expiry = json.loads(base64.urlsafe_b64decode(first.split(".")[1] + "=="))["exp"]
    app.page.wait_for_function("exp => Date.now() > exp * 1000", arg=expiry, timeout=WAIT_MS)
    app.page.get_by_label("Images for a batch job").set_input_files([str(SEVEN)])
    app.page.get_by_text("Job submitted for 1 image.").wait_for(timeout=WAIT_MS)
    row = app.page.locator(".job").first
    row.locator(".badge", has_text="SUCCEEDED").wait_for(timeout=WAIT_MS)
    assert app.operations.count("Jobs") == 1  # the SUCCEEDED row came over the socket
    assert sockets == [short_token_stack.api.replace("http://", "ws://") + "/graphql"]
    assert app.page.get_by_text(SESSION_ENDED).count() == 0


def test_a_revoked_session_ends_with_the_sign_in_sentence(
    app: App, short_token_stack: RunningStack
) -> None:
    app.open()
    app.sign_in()
    refresh = session_of(app)["refreshToken"]
    status, _, _ = http(
        f"{short_token_stack.api}/_devstack/sign-out",
        data=json.dumps({"refreshToken": refresh}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    assert status == 200
    # The renewal is refused: the page says so and offers the sign-in again.
    alert = app.page.get_by_role("alert")
    alert.get_by_text(SESSION_ENDED).wait_for(timeout=WAIT_MS)
    assert "could not be reached" not in alert.inner_text()
    app.page.get_by_label("User name").wait_for()
    assert app.serious_violations() == []


def test_a_token_api_gateway_refuses_ends_the_session_in_words(
    app: App, short_token_stack: RunningStack
) -> None:
    """A token with a broken signature and nothing to renew it with (as a tab restored from
    another stack's session has): API Gateway's 401 is the session's end, not an outage."""
    app.open()
    app.sign_in()
    session = session_of(app)
    head, payload, _ = session["token"].split(".")
    broken = {**session, "token": f"{head}.{payload}.c2lnbmF0dXJl", "refreshToken": None}
    app.page.evaluate(
        "s => sessionStorage.setItem('monolambda.session', JSON.stringify(s))", broken
    )
    app.page.reload()
    alert = app.page.get_by_role("alert")
    alert.get_by_text(SESSION_ENDED).wait_for(timeout=WAIT_MS)
    assert "could not be reached" not in app.page.content()
