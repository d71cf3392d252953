"""The browser client (web/, served by the local stack at /) in headless Chromium, each flow
end to end against the local stack: sign in, draw a digit and predict, drop an image, a
broken image explained, a batch of uploads as one job watched live to SUCCEEDED and its
results, a queued job cancelled; every page scanned with axe-core, at 1280x900 and 390x844.

Screenshots and the figures (page load to interactive, a drawing to its labels, a job to
its SUCCEEDED row) go to build/web-report/. Every wait is for something on the page or in
the stack, never for a time."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.in_process import Function
from tests.support.processes import ROOT
from tests.support.stack import RunningStack
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

REPORT_DIR = ROOT / "build" / "web-report"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SEVEN = ROOT / "samples" / "seven.png"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 60_000
FIGURES: dict[str, Any] = {}


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    yield
    (REPORT_DIR / "report.json").write_text(json.dumps(FIGURES, indent=2) + "\n")


class App:
    """The page in a fresh browser context, allowed to reach 127.0.0.1 only."""

    def __init__(self, browser: Any, stack: RunningStack, viewport: dict[str, int]) -> None:
        # axe-core is injected as a script, which the page's CSP (script-src 'self') forbids.
        self.context = browser.new_context(
            viewport=viewport, bypass_csp=True, has_touch=viewport == PHONE
        )
        self.page = self.context.new_page()
        self.stack = stack
        self.outside: list[str] = []
        self.operations: list[str] = []
        self.page.route("**/*", self._only_local)
        self.page.on("request", self._count)

    def _only_local(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def _count(self, request: Any) -> None:
        if request.url.startswith(f"{self.stack.api}/graphql") and request.method == "POST":
            self.operations.append(json.loads(request.post_data or "{}").get("operationName", ""))

    def open(self) -> float:
        """The page, until its sign-in form takes input: milliseconds from navigation."""
        self.page.goto(f"{self.stack.api}/")
        self.page.get_by_label("User name").wait_for(timeout=WAIT_MS)
        interactive: float = self.page.evaluate("performance.now()")
        return interactive

    def sign_in(self, user: str = "alice") -> None:
        """By keyboard: the field, the name, Enter."""
        field = self.page.get_by_label("User name")
        field.focus()
        field.press("Control+A")
        self.page.keyboard.type(user)
        self.page.keyboard.press("Enter")
        self.page.get_by_role("heading", name="Predict").wait_for(timeout=WAIT_MS)
        self.page.get_by_text(f"Signed in as {user}").wait_for(timeout=WAIT_MS)

    def draw_seven(self) -> None:
        box = self.page.locator("canvas").bounding_box()
        x, y, w, h = box["x"], box["y"], box["width"], box["height"]
        mouse = self.page.mouse
        mouse.move(x + w * 0.35, y + h * 0.2)
        mouse.down()
        mouse.move(x + w * 0.65, y + h * 0.2, steps=8)
        mouse.move(x + w * 0.45, y + h * 0.85, steps=12)
        mouse.up()

    def labels(self) -> list[str]:
        self.page.locator(".labels li").first.wait_for(timeout=WAIT_MS)
        return [t.strip() for t in self.page.locator(".labels .label").all_inner_texts()]

    def serious_violations(self) -> list[str]:
        self.page.add_script_tag(path=str(AXE))
        found = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"
        )
        return [
            f"{v['id']} ({v['impact']}, {v['nodes']})"
            for v in found
            if v["impact"] in ("serious", "critical")
        ]

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(REPORT_DIR / f"{name}.png"), full_page=True)

    def close(self) -> None:
        assert self.outside == [], f"the page asked for files beyond the stack: {self.outside}"
        self.context.close()


@pytest.fixture
def app(browser: Any, stack: RunningStack) -> Iterator[App]:
    opened = App(browser, stack, DESKTOP)
    yield opened
    opened.close()


def subscribed(stack: RunningStack) -> bool:
    """The page's jobsUpdated is stored: a job submitted from now on reaches it."""
    items = stack.client("dynamodb").scan(TableName="monolambda-local-ConnectionsTable")["Items"]
    return any("subscriber" in item for item in items)


def test_sign_in_draw_a_digit_and_predict(app: App) -> None:
    FIGURES["page_load_to_interactive_ms"] = round(app.open(), 1)
    assert app.serious_violations() == []
    app.screenshot("sign-in-1280")
    app.sign_in()
    app.draw_seven()
    started = time.perf_counter()
    app.page.get_by_role("button", name="Predict drawing").click()
    labels = app.labels()
    FIGURES["drawing_to_labels_ms"] = round((time.perf_counter() - started) * 1000, 1)
    assert labels[0] == "7"
    assert len(labels) == 3
    assert "inference" in app.page.locator(".timings").inner_text()
    assert app.serious_violations() == []
    app.screenshot("predicted-1280")


def test_a_dropped_image_is_predicted_and_a_broken_one_explained(app: App) -> None:
    app.open()
    app.sign_in()
    # A drop, as a browser makes it: a DataTransfer holding the file.
    png = base64.b64encode(SEVEN.read_bytes()).decode()
    transfer = app.page.evaluate_handle(
        """(png) => {
            const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "seven.png", {type: "image/png"}));
            return transfer;
        }""",
        png,
    )
    app.page.locator(".drop-zone").first.dispatch_event("drop", {"dataTransfer": transfer})
    assert app.labels()[0] == "7"
    # Not an image, by the file input (the keyboard's way): a sentence and the request id.
    app.page.get_by_label("Image to classify").set_input_files(
        {"name": "broken.png", "mimeType": "image/png", "buffer": b"not an image"}
    )
    problem = app.page.get_by_role("alert")
    problem.wait_for(timeout=WAIT_MS)
    text = problem.inner_text()
    assert text.startswith("The image is not a PNG, JPEG, WebP or GIF image.")
    assert "Request id:" in text
    assert "{" not in text  # a sentence, not JSON
    app.screenshot("broken-image-1280")


def test_a_batch_of_uploads_is_a_job_watched_live_to_its_results(
    app: App, stack: RunningStack
) -> None:
    app.open()
    app.sign_in()
    app.page.get_by_text("No jobs yet").wait_for(timeout=WAIT_MS)
    assert eventually(lambda: subscribed(stack), 30)
    files = [SEVEN, SEVEN, SEVEN]
    started = time.perf_counter()
    app.page.get_by_label("Images for a batch job").set_input_files([str(f) for f in files])
    app.page.get_by_text("Job submitted for 3 images.").wait_for(timeout=WAIT_MS)
    row = app.page.locator(".job").first
    row.locator(".badge", has_text="SUCCEEDED").wait_for(timeout=WAIT_MS)
    FIGURES["job_submitted_to_succeeded_row_ms"] = round((time.perf_counter() - started) * 1000)
    assert row.locator("progress").get_attribute("value") == "3"
    # Live: the list was asked for once; every change after that was pushed.
    assert app.operations.count("Jobs") == 1
    row.get_by_role("button", name="Show results").click()
    results = row.locator(".results li")
    results.first.wait_for(timeout=WAIT_MS)
    # Each result named by its file (issue 27), not the API's index.
    assert [r.startswith("seven.png: 7 (") for r in results.all_inner_texts()] == [True] * 3
    assert app.serious_violations() == []
    app.screenshot("job-succeeded-1280")


def test_a_queued_job_is_cancelled(browser: Any, function: Function) -> None:
    # The idle stack runs no worker: the job stays QUEUED until the page cancels it. Its
    # stream runs here, so the page's subscription sees the change.
    function.start(worker=False)
    app = App(browser, function.stack, DESKTOP)
    try:
        app.open()
        app.sign_in("bob")
        app.page.get_by_label("Images for a batch job").set_input_files([str(SEVEN)])
        row = app.page.locator(".job").first
        row.locator(".badge", has_text="QUEUED").wait_for(timeout=WAIT_MS)
        row.get_by_role("button", name="Cancel job").click()
        row.locator(".badge", has_text="CANCELLED").wait_for(timeout=WAIT_MS)
        assert row.get_by_role("button", name="Cancel job").count() == 0
    finally:
        app.close()


def test_a_phone_sized_screen_shows_everything_without_scrolling_sideways(
    browser: Any, stack: RunningStack
) -> None:
    app = App(browser, stack, PHONE)
    try:
        app.open()
        assert app.serious_violations() == []
        app.sign_in()
        app.draw_seven()
        app.page.get_by_role("button", name="Predict drawing").click()
        assert app.labels()[0] == "7"
        width = app.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        for name in ("Predict", "Batch job", "Your jobs"):
            assert app.page.get_by_role("heading", name=name).is_visible()
        assert app.serious_violations() == []
        app.screenshot("predicted-390")
    finally:
        app.close()


def test_every_control_is_reached_by_keyboard(app: App) -> None:
    app.open()
    app.sign_in()
    app.draw_seven()  # enables "Predict drawing"
    reached = set()
    for _ in range(20):
        app.page.keyboard.press("Tab")
        reached.add(
            app.page.evaluate(
                "(() => { const e = document.activeElement;"
                " return e.labels?.[0]?.innerText || e.innerText || e.id; })()"
            ).strip()
        )
    for control in (
        "Model",
        "Image to classify",
        "Predict drawing",
        "Clear",
        "Images for a batch job",
        "Sign out",
    ):
        assert control in reached, reached
