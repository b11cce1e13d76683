"""Helpers of the playground's tests: a server in a thread, JSON requests, an event stream."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from nn.playground.server import PlaygroundServer, make_server

TIMEOUT = 20.0  # seconds a test waits for something that should happen at once


@contextlib.contextmanager
def running_server() -> Iterator[PlaygroundServer]:
    """A playground server on a free port of 127.0.0.1, serving in a thread."""
    server = make_server()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(TIMEOUT)


class Client:
    """JSON requests to one server; returns ``(status, body)``."""

    def __init__(self, server: PlaygroundServer | None = None, url: str = "") -> None:
        """The client of ``server``, or of the server at ``url`` (``http://host:port/``)."""
        if server is not None:
            self.host, self.port = server.server_address[:2]
        else:
            host, port = url.split("/")[2].rsplit(":", 1)
            self.host, self.port = host, int(port)

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body))
        sent = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=data, headers={**sent, **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        kind = response.getheader("Content-Type", "")
        return response.status, json.loads(raw) if kind.startswith("application/json") else raw

    def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return self.request("POST", path, {} if body is None else body, **kw)

    def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return self.request("GET", path, **kw)

    def new_session(self, **settings: str) -> str:
        status, body = self.post("/api/session", {"settings": settings})
        assert status == 201, body
        return body["id"]

    def control(self, ident: str, action: str) -> tuple[int, Any]:
        return self.post(f"/api/session/{ident}/control", {"action": action})


class EventStream:
    """A session's Server-Sent Events, read one at a time (acknowledging frames if asked)."""

    def __init__(self, client: Client, ident: str, *, acknowledge: bool = True) -> None:
        self.client, self.ident, self.acknowledge = client, ident, acknowledge
        self.conn = http.client.HTTPConnection(client.host, client.port, timeout=TIMEOUT)
        self.conn.request("GET", f"/api/session/{ident}/stream")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type") == "text/event-stream"

    def next(self) -> tuple[str, dict[str, Any]]:
        """The next event (comments skipped)."""
        event, data = None, None
        while True:
            line = self.response.fp.readline().decode()
            if not line:
                raise EOFError("the stream ended")
            line = line.rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and event is not None:
                if event == "frame" and self.acknowledge:
                    self.client.post(f"/api/session/{self.ident}/drawn", {"frame": data["frame"]})
                return event, data

    def frame_where(self, ok: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first frame for which ``ok`` holds."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            event, data = self.next()
            if event == "frame" and ok(data):
                return data
        raise AssertionError("no such frame came")

    def close(self) -> None:
        self.response.close()
        self.conn.close()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds (a failure names ``what``, never a duration)."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)
