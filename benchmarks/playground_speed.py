"""How many updates a second the playground delivers for a 2-8-8-1 network on 500 points.

One *update* is what the page draws: training step(s), then every neuron's picture on the
50x50 grid (one forward pass of 2,500 points), the training and test losses over the 500
points, each layer's speed of learning ||dC/db|| (a forward and backward pass over the
training points), its saturated and dead shares, and the JSON of it all. The page needs 30
a second; three figures:

1. the engine alone: updates of one training step each, back to back, in this process;
2. the server without its cap: frames over HTTP to a client that acknowledges each at once
   (as the page does after drawing), with the frame-rate cap lifted;
3. the server as the page uses it: capped at 30 frames a second, training as fast as it
   goes (speed "max"), so the steps per update show what the cap leaves to training;
4. with ``--browser``: the page itself in headless Chromium (/usr/bin/chromium through
   Playwright), counting the updates it draws, at the default speed (100 steps a second)
   and as fast as training goes.

    python benchmarks/playground_speed.py               # 3 seconds per figure
    python benchmarks/playground_speed.py --seconds 10 --browser
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

from nn.playground import session as pacing
from nn.playground.engine import Trainer
from nn.playground.frame import frame
from nn.playground.server import make_server
from nn.playground.settings import parse

SETUP = {"hidden": "8,8", "dataset": "spiral"}  # 2 inputs (x1, x2), 8, 8, 1 output


def engine(seconds: float) -> tuple[float, float]:
    """Updates a second, and the median milliseconds of one, with one step per update."""
    trainer = Trainer(parse(SETUP))
    times = []
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        trainer.train(1)
        json.dumps(frame(trainer, n, 1, True), allow_nan=False)
        times.append(time.perf_counter() - t0)
        n += 1
    return n / sum(times), 1000 * statistics.median(times)


def over_http(seconds: float, speed: str, fps: float = pacing.FPS) -> tuple[float, float, float]:
    """Frames a second, training steps a second and median steps per update, over HTTP."""
    import http.client

    server = make_server()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    host, port = server.server_address[:2]
    try:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        body = json.dumps({"settings": {**SETUP, "speed": speed}})
        conn.request("POST", "/api/session", body, {"Content-Type": "application/json"})
        ident = json.loads(conn.getresponse().read())["id"]
        server.sessions.get(ident).fps = fps
        stream = http.client.HTTPConnection(host, port, timeout=30)
        stream.request("GET", f"/api/session/{ident}/stream")
        events = stream.getresponse()

        def post(path: str, payload: dict) -> None:
            conn.request("POST", path, json.dumps(payload), {"Content-Type": "application/json"})
            conn.getresponse().read()

        post(f"/api/session/{ident}/control", {"action": "play"})
        frames, per_update, first, last = 0, [], None, None
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            line = events.fp.readline()
            if not line.startswith(b"data: ") or b'"frame"' not in line[:20]:
                continue
            data = json.loads(line[6:])
            post(f"/api/session/{ident}/drawn", {"frame": data["frame"]})
            if data["step"] == 0:
                continue
            now = time.monotonic()
            first = first or (now, data["step"])
            last = (now, data["step"])
            frames += 1
            per_update.append(data["steps_per_update"])
        elapsed = last[0] - first[0]
        stream.close()
        return (frames - 1) / elapsed, (last[1] - first[1]) / elapsed, statistics.median(per_update)
    finally:
        server.stop()
        thread.join()


def in_browser(seconds: float, chromium: str, speed: str = "max") -> tuple[float, float]:
    """Updates the page draws a second in headless Chromium, and their median steps."""
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    args += ["--disable-component-update", "--disable-sync", "--no-first-run"]
    server = make_server()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    query = "&".join(f"{k}={v}" for k, v in SETUP.items())
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=args)
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(f"{server.url}?{query}&speed={speed}")
            page.wait_for_function("window.nnPlayground.frame !== null")
            page.click("#play")
            page.wait_for_function("window.nnPlayground.frame.step > 0")
            count = "window.nnPlayground.drawCount"
            n0, t0 = page.evaluate(count), time.monotonic()
            steps = []
            while time.monotonic() < t0 + seconds:
                steps.append(page.evaluate("window.nnPlayground.frame.steps_per_update"))
                time.sleep(0.1)
            n1, t1 = page.evaluate(count), time.monotonic()
            browser.close()
    finally:
        server.stop()
        thread.join()
    return (n1 - n0) / (t1 - t0), statistics.median(steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per figure (default 3)")
    parser.add_argument(
        "--browser", action="store_true", help="also measure the page in headless Chromium"
    )
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the browser to drive")
    args = parser.parse_args()
    if args.seconds <= 0:
        parser.error("--seconds must be positive")

    rate, ms = engine(args.seconds)
    print(f"2-8-8-1 network, 500 points, 50x50 grid ({SETUP['dataset']}, batch 10)")
    print(f"1. engine, one step per update:    {rate:7.0f} updates/s ({ms:.2f} ms each)")
    cap = pacing.FPS
    fps, steps, _ = over_http(args.seconds, "1000", fps=10_000)  # as fast as they are drawn
    print(f"2. server over HTTP, no cap:       {fps:7.0f} updates/s ({steps:.0f} steps/s)")
    fps, steps, per = over_http(args.seconds, "max")
    print(
        f"3. server as the page runs it:     {fps:7.0f} updates/s (cap {cap}), "
        f"{steps:.0f} steps/s, {per:.0f} steps per update"
    )
    if args.browser:
        for speed in ("100", "max"):
            drawn, per = in_browser(args.seconds, args.chromium, speed)
            print(
                f"4. the page in headless Chromium, speed {speed}: {drawn:.0f} updates drawn/s, "
                f"{per:.0f} steps each"
            )


if __name__ == "__main__":
    main()
