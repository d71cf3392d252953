"""Issue 27: the web client tells the truth about what it was given and what happened, in
headless Chromium against the local stack (and through Vite's dev server):

- a chosen file is shown, with its labels beside it; a file that is not an image is named
  in a sentence, and the previous result does not linger;
- a job that finished with some images failed says "1 of 2 images failed", and each result
  names its file, not the API's index;
- the job list is paged by cursor (20, then "Show more jobs") and filtered by status;
- all of it by keyboard and at 390x844 without a serious or critical axe finding;
- `npm run dev` (Vite, hot reload) in front of the stack signs in and predicts.

Every wait is for something on the page or in the stack, never for a time."""

from __future__ import annotations

import base64
import os
import shutil
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.test_web_client import DESKTOP, PHONE, SEVEN, WAIT_MS, App, subscribed
from tests.support.processes import ROOT, start, stop
from tests.support.stack import RunningStack, gql
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

IMAGE = base64.b64encode(SEVEN.read_bytes()).decode()


@pytest.fixture
def app(browser: Any, stack: RunningStack) -> Iterator[App]:
    opened = App(browser, stack, DESKTOP)
    yield opened
    opened.close()


def test_a_chosen_file_is_shown_beside_its_labels(app: App) -> None:
    app.open()
    app.sign_in()
    app.page.get_by_label("Image to classify").set_input_files(str(SEVEN))
    preview = app.page.get_by_role("img", name="The image you chose: seven.png")
    preview.wait_for(timeout=WAIT_MS)
    assert app.labels()[0] == "7"
    assert app.page.locator(".result figcaption").inner_text() == "seven.png"
    # Not an image: named in a sentence; the last result goes with its picture.
    app.page.get_by_label("Image to classify").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"seven"}
    )
    alert = app.page.get_by_role("alert")
    alert.get_by_text(
        "“notes.txt” is not an image: choose PNG, JPEG, WebP or GIF files."
    ).wait_for()
    assert app.page.locator(".result").count() == 0
    assert app.serious_violations() == []


def test_a_job_with_a_failed_image_says_so_and_names_the_file(
    app: App, stack: RunningStack
) -> None:
    app.open()
    app.sign_in()
    assert eventually(lambda: subscribed(stack), 30)
    app.page.get_by_label("Images for a batch job").set_input_files(
        [
            {"name": "seven.png", "mimeType": "image/png", "buffer": SEVEN.read_bytes()},
            {"name": "scan-2.png", "mimeType": "image/png", "buffer": b"not a PNG at all"},
        ]
    )
    app.page.get_by_text("Job submitted for 2 images.").wait_for(timeout=WAIT_MS)
    row = app.page.locator(".job").first
    row.locator(".badge", has_text="SUCCEEDED").wait_for(timeout=WAIT_MS)
    row.get_by_text("1 of 2 images failed.").wait_for(timeout=WAIT_MS)
    row.get_by_role("button", name="Show results").click()
    results = row.locator(".results li")
    results.nth(1).wait_for(timeout=WAIT_MS)
    assert results.nth(0).inner_text().startswith("seven.png: 7 (")
    assert results.nth(1).inner_text().startswith("scan-2.png: the image is not")
    assert "images[" not in results.nth(1).inner_text()  # the file's name, not the API's field
    assert app.serious_violations() == []


def test_the_job_list_pages_by_cursor_and_filters_by_status(
    browser: Any, stack: RunningStack
) -> None:
    """At a phone's size, by keyboard: 25 or more jobs, 20 shown, then the rest on request;
    only the cancelled ones when asked."""
    submit = "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }"
    cancel = "mutation($id: ID!) { cancelJob(id: $id) { status } }"
    for _ in range(24):
        gql(stack, submit, i={"images": [IMAGE], "model": "digits"})
    total = 24
    # A job of one image may finish before its cancel arrives (a finished job is answered as
    # it is): submit and cancel until one cancel lands, counting what was submitted.
    for _ in range(15):
        job_id = gql(stack, submit, i={"images": [IMAGE], "model": "digits"})["data"]
        job_id = job_id["submitJob"]["job"]["id"]
        total += 1
        if gql(stack, cancel, id=job_id)["data"]["cancelJob"]["status"] == "CANCELLED":
            break
    else:
        pytest.fail("every job finished before its cancel arrived")
    app = App(browser, stack, PHONE)
    try:
        app.open()
        app.sign_in("dev")  # the stack's token is the dev user's: its jobs
        jobs = app.page.locator(".job")
        app.page.get_by_role("button", name="Show more jobs").wait_for(timeout=WAIT_MS)
        assert jobs.count() == 20
        more = app.page.get_by_role("button", name="Show more jobs")
        more.focus()
        app.page.keyboard.press("Enter")
        app.page.wait_for_function(
            "total => document.querySelectorAll('.job').length === total", arg=total
        )
        assert more.count() == 0
        app.page.get_by_label("Show").select_option("CANCELLED")
        app.page.wait_for_function(
            "() => document.querySelectorAll('.job').length >= 1 && [...document"
            ".querySelectorAll('.job .badge')].every(b => b.textContent === 'CANCELLED')"
        )
        assert app.page.locator(f'.job[data-job-id="{job_id}"]').count() == 1
        assert app.serious_violations() == []
    finally:
        app.close()


@pytest.fixture
def vite(stack: RunningStack) -> Iterator[str]:
    """`npm run dev` in web/, in front of the stack, as `make web-dev` runs it."""
    port = "5191"
    process, _ = start(
        ["run", "dev", "--", "--clearScreen", "false"],
        program=shutil.which("npm") or "npm",
        cwd=ROOT / "web",
        ready="Local:",
        env={"MONOLAMBDA_STACK": stack.api, "WEB_DEV_PORT": port},
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # npm and the Vite it started
        stop(process)


def test_the_dev_server_signs_in_and_predicts(browser: Any, stack: RunningStack, vite: str) -> None:
    app = App(browser, stack, DESKTOP)
    try:
        app.page.goto(f"{vite}/")
        app.page.get_by_label("User name").wait_for(timeout=WAIT_MS)
        app.sign_in()
        app.draw_seven()
        app.page.get_by_role("button", name="Predict drawing").click()
        assert app.labels()[0] == "7"
        app.page.get_by_text("No jobs yet").wait_for(timeout=WAIT_MS)  # the list, over the proxy
    finally:
        app.close()
