"""GraphiQL in headless Chromium (Debian's, driven by Playwright), with no network beyond
127.0.0.1: the page loads, runs `{ health }` with the dev token, and shows the answer; and
runs a subscription over the local WebSocket API."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlsplit

import pytest

from tests.support.in_process import IMAGE
from tests.support.stack import RunningStack, gql
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow


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


def test_graphiql_runs_a_subscription_over_the_websocket_api(
    browser: object, stack: RunningStack
) -> None:
    """GraphiQL's own graphql-ws client, with the dev token in connection_init: a job
    submitted meanwhile shows up in the page as it changes."""
    page = browser.new_page()  # type: ignore[attr-defined]
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    query = "subscription { jobsUpdated { id status } }"
    page.goto(f"{stack.api}/graphql?q={quote(query)}", wait_until="networkidle")
    page.wait_for_selector(".graphiql-execute-button", timeout=30_000)
    page.click(".graphiql-execute-button")
    # The subscription is stored once the page's socket is acknowledged: wait for it to
    # exist in the table rather than for a time.
    table = stack.client("dynamodb")
    assert eventually(
        lambda: any(
            "subscriber" in item
            for item in table.scan(TableName="monolambda-local-ConnectionsTable")["Items"]
        ),
        30,
    )
    submitted = gql(
        stack,
        "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
        i={"model": "colours", "images": [IMAGE]},
    )
    job_id = submitted["data"]["submitJob"]["job"]["id"]
    result = page.locator(".graphiql-response")
    result.get_by_text('"SUCCEEDED"').wait_for(timeout=30_000)
    assert job_id in result.inner_text()
    assert sockets == [stack.api.replace("http://", "ws://") + "/graphql"]
    page.close()


def test_graphiql_opens_on_this_apis_example_acting_as_the_dev_user(
    browser: object, stack: RunningStack
) -> None:
    """No query in the URL: the first tab is the example, and its first operation runs with
    the token the Headers tab shows."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{stack.api}/graphql", wait_until="networkidle")
    page.wait_for_selector(".graphiql-execute-button", timeout=30_000)
    editor = page.locator(".graphiql-query-editor")
    editor.get_by_text("query WhoAndWhat").wait_for(timeout=30_000)
    page.get_by_role("button", name="Headers").click()
    headers = page.locator(".graphiql-editor-tool")
    headers.get_by_text("Bearer", exact=False).first.wait_for(timeout=30_000)
    page.click(".graphiql-execute-button")  # several operations: it asks which
    page.get_by_role("menuitem", name="WhoAndWhat").click()
    result = page.locator(".graphiql-response")
    result.get_by_text('"OK"').wait_for(timeout=30_000)
    assert '"admins"' in result.inner_text()  # the dev user's group
    page.close()


def test_the_first_tabs_instructions_work_as_written(browser: object, stack: RunningStack) -> None:
    """Issue 27: "Run SubmitJob, put the job id it answers in the Variables tab, then run
    WatchJob", followed in the page: the subscription shows the job to its end."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{stack.api}/graphql", wait_until="networkidle")
    page.locator(".graphiql-execute-button[aria-haspopup]").click()
    page.get_by_role("menuitem", name="SubmitJob").click()
    response = page.locator(".graphiql-response")
    response.get_by_text('"QUEUED"').wait_for(timeout=30_000)
    found = re.search(r'"id": "([0-9a-f-]{36})"', response.inner_text())
    assert found, response.inner_text()
    job_id = found[1]
    page.get_by_role("button", name="Variables").click()
    variables = page.locator(".graphiql-editor-tool .graphiql-editor").first
    variables.click()
    page.keyboard.type(json.dumps({"id": job_id}))
    page.locator(".graphiql-execute-button[aria-haspopup]").click()
    page.get_by_role("menuitem", name="WatchJob").click()
    response.get_by_text('"SUCCEEDED"').wait_for(timeout=30_000)
    assert job_id in response.inner_text()
    page.close()
