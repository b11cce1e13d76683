"""Take the README's screenshots of ``nn playground`` with headless Chromium (Playwright).

    python tools/playground_screenshots.py            # writes docs/images/playground*.png

Needs Debian's chromium (/usr/bin/chromium) and ``pip install playwright``; never run
``playwright install``, which downloads a browser of its own.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

from nn.playground.server import make_server

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
FAST = "?dataset=spiral&hidden=8,8,5&features=x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2&noise=10&speed=max"
SEED = "?activation=sigmoid&init=normal&loss=squared_error&hidden=6,6,6,6,6&lr=1.0&speed=max"


def train(page, url: str, steps: int) -> None:
    """Open ``url``, play until ``steps`` steps, pause."""
    page.goto(url)
    page.wait_for_function("window.nnPlayground.frame !== null")
    page.click("#play")
    page.wait_for_function(f"window.nnPlayground.frame.step >= {steps}", timeout=120_000)
    page.click("#play")
    page.wait_for_function("window.nnPlayground.frame.playing === false")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    server = make_server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1180, "height": 1400})
        train(page, server.url + FAST, 6000)
        page.screenshot(path=IMAGES / "playground.png", clip=_box(page, "header", "main"))
        train(page, server.url + SEED, 3000)
        page.click("#doctor")
        page.wait_for_selector("#findings .finding")
        box = _box(page, "#why", "#why")
        page.screenshot(path=IMAGES / "playground-seed.png", clip=box, full_page=True)
        browser.close()
    server.stop()
    print(f"wrote {IMAGES / 'playground.png'} and {IMAGES / 'playground-seed.png'}")


def _box(page, first: str, last: str) -> dict[str, float]:
    """The rectangle from the top of ``first`` to the bottom of ``last``, full width."""
    top = page.locator(first).bounding_box()
    bottom = page.locator(last).bounding_box()
    width = page.viewport_size["width"]
    height = bottom["y"] + bottom["height"] - top["y"]
    return {"x": 0, "y": top["y"], "width": width, "height": height}


if __name__ == "__main__":
    main()
