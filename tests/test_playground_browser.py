"""The playground's page in a real browser: Debian's Chromium, headless, driven by Playwright.

Never ``playwright install``: it downloads a browser of its own. These tests use the system's
/usr/bin/chromium (``apt-get install chromium``; .ci/run does it) and skip, saying why, where
it or Playwright is missing.
"""

from __future__ import annotations

import os
import re

import pytest
from playground_helpers import running_server, wait_until

CHROMIUM = os.environ.get("NN_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000  # generous: a busy 2-core machine once took over 20 s for a step

if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install chromium); the browser tests need it",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
)


@pytest.fixture(scope="module")
def server():
    with running_server() as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.base = server.url  # type: ignore[attr-defined]
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def open_page(page, query=""):
    page.goto(page.base + query)
    page.wait_for_function("window.nnPlayground.frame !== null")


def step(page) -> int:
    return page.evaluate("window.nnPlayground.frame.step")


def output_picture(page) -> str:
    return page.evaluate("document.getElementById('output').toDataURL()")


def test_pick_a_data_set_press_play_and_watch_the_loss_fall(page):
    open_page(page, "?speed=1000&hidden=6,6")
    page.click("#dataset-xor")
    page.wait_for_function("window.nnPlayground.setup.dataset === 'Exclusive or'")
    page.wait_for_function("window.nnPlayground.frame.run === 2")  # the new setup's first frame
    assert "dataset=xor" in page.url
    before_loss = float(page.text_content("#train-loss"))
    before_picture = output_picture(page)
    page.click("#play")
    page.wait_for_function("window.nnPlayground.frame.step >= 1500")
    assert page.get_attribute("#play", "aria-label") == "Pause"
    after_loss = float(page.text_content("#train-loss"))
    assert after_loss < 0.5 * before_loss
    assert output_picture(page) != before_picture
    assert int(page.text_content("#step-count").replace(",", "")) >= 1500
    page.click("#play")  # pause
    page.wait_for_function("window.nnPlayground.frame.playing === false")
    paused = step(page)
    page.click("#step")
    page.wait_for_function(f"window.nnPlayground.frame.step === {paused + 1}")


def test_a_setup_comes_from_the_url_and_controls_write_it_back(page):
    open_page(page, "?dataset=spiral&hidden=8,8,8&activation=relu&init=he_normal&lr=0.03")
    assert page.evaluate("window.nnPlayground.setup.layers") == [2, 8, 8, 8, 1]
    assert page.input_value("#activation") == "relu"
    assert page.input_value("#init") == "he_normal"
    assert page.text_content("#layer-count") == "3"
    assert page.is_visible("#dataset-spiral.selected")
    page.select_option("#activation", "sigmoid")
    page.wait_for_function("window.nnPlayground.setup.settings.activation === 'sigmoid'")
    assert "activation=sigmoid" in page.url
    page.click("#remove-layer")
    page.wait_for_function("window.nnPlayground.setup.layers.length === 4")
    page.click("#add-neuron-1")  # 8 is the most: nothing changes but nothing breaks
    page.click("#remove-neuron-2")
    page.wait_for_function("window.nnPlayground.setup.layers[2] === 7")
    assert re.search(r"hidden=8%2C7|hidden=8,7", page.url)
    page.select_option("#lr", "0.3")  # a live setting: same network, new URL
    page.wait_for_function("location.search.includes('lr=0.3')")
    assert page.evaluate("window.nnPlayground.setup.layers") == [2, 8, 7, 1]


def test_a_bad_url_gets_a_message_and_a_400(page):
    statuses = []
    page.on("response", lambda r: statuses.append((r.url, r.status)))
    page.goto(page.base + "?dataset=nope&lr=banana")
    page.wait_for_selector("#error:not([hidden])")
    message = page.text_content("#error-text")
    assert "dataset must be one of" in message and "'banana'" in message
    assert page.is_visible("#error-defaults")
    assert any(url.endswith("/api/session") and status == 400 for url, status in statuses)
    assert page.evaluate("window.nnPlayground.id") is None  # nothing trains
    with page.expect_navigation():
        page.click("#error-defaults")
    page.wait_for_function("window.nnPlayground.frame !== null")
    assert page.is_hidden("#error")


def test_divergence_is_said_on_the_page(page):
    open_page(page, "?problem=regression&dataset=plane&loss=squared_error&lr=100&speed=max")
    page.click("#play")
    page.wait_for_selector("#diverged:not([hidden])")
    assert "diverged" in page.text_content("#diverged")
    page.wait_for_function("window.nnPlayground.frame.playing === false")
    page.click("#play")
    page.wait_for_selector("#error:not([hidden])")
    assert "reset" in page.text_content("#error-text")
    page.click("#reset")
    page.wait_for_function("window.nnPlayground.frame.diverged === null")


def test_two_tabs_train_independently_and_a_closed_tab_stops(page, server):
    open_page(page, "?speed=max")
    other = page.context.new_page()
    other.goto(page.base + "?speed=max&dataset=gauss")
    other.wait_for_function("window.nnPlayground.frame !== null")
    wait_until(lambda: len(server.sessions.by_id) == 2, "one session per open tab")
    page.click("#play")
    page.wait_for_function("window.nnPlayground.frame.step > 200")
    assert other.evaluate("window.nnPlayground.frame.step") == 0
    trained = server.sessions.get(page.evaluate("window.nnPlayground.id"))
    page.close()
    wait_until(lambda: trained.closed, "the closed tab's session stopped")
    assert server.sessions.get(other.evaluate("window.nnPlayground.id")) is not None
    assert server.sessions.get(trained.id) is None


def test_the_seeds_questions_the_doctor_and_the_python_code(page):
    open_page(page, "?activation=sigmoid&init=normal&loss=squared_error&speed=max")
    speeds = page.evaluate("window.nnPlayground.frame.speed")
    assert len(speeds) == 3 and all(s > 0 for s in speeds)
    assert page.evaluate("window.nnPlayground.frame.saturated.every(v => v !== null)")
    page.click("#doctor")
    page.wait_for_selector("#findings .finding")
    assert "learned nothing" in page.text_content("#findings")
    page.click("#show-python")
    page.wait_for_selector("#code:not([hidden])")
    code = page.text_content("#code")
    assert '"sigmoid"' in code and 'init="normal"' in code and "nn.mlp([2, 4, 2, 1]" in code
    compile(code, "<page>", "exec")
