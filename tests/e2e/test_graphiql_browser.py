"""GraphiQL in headless Chromium (Debian's, driven by Playwright), with no network beyond
127.0.0.1: the page loads, runs `{ health }` with the dev token, and shows the answer."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest

from tests.support.stack import RunningStack

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's notes advise: no background networking, which this closed network refuses.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(
                "chromium is missing in CI: scripts/install-browser.sh should have installed it"
            )
        pytest.skip("chromium is not installed (scripts/install-browser.sh needs root)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def test_graphiql_runs_health_offline(browser: object, stack: RunningStack) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    outside: list[str] = []

    def only_local(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith("data:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", only_local)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    query = "{ health { status } me { groups } }"
    page.goto(f"{stack.api}/graphql?q={quote(query)}", wait_until="networkidle")
    page.wait_for_selector(".graphiql-execute-button", timeout=30_000)
    page.click(".graphiql-execute-button")
    result = page.locator(".graphiql-response")
    result.get_by_text('"OK"').wait_for(timeout=30_000)
    text = result.inner_text()
    assert '"status": "OK"' in text
    assert '"admins"' in text  # the dev token was sent with the query
    assert outside == []
    assert failed == []
    page.close()
