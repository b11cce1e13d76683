"""The playground's web server: the standard library's ``http.server``, JSON and Server-Sent
Events, bound to 127.0.0.1 unless told otherwise.

Routes (every answer to ``/api/...`` is JSON; a bad request gets status 400 and
``{"error": "<what was wrong and what is allowed>"}``, never a traceback):

=======  =================================  ===============================================
GET      ``/``, ``/app.js``, ...            the page: files shipped in ``nn/playground/static``
POST     ``/api/session``                   ``{"settings": {...}}`` -> a new session's ``id``
GET      ``/api/session/ID/stream``         Server-Sent Events: ``setup``, then ``frame``\\ s
POST     ``/api/session/ID/control``        ``{"action": "play" | "pause" | "step" | "reset"}``
POST     ``/api/session/ID/settings``       ``{"settings": {...}}``: live, or built again
POST     ``/api/session/ID/drawn``          ``{"frame": n}``: the page drew frame n
POST     ``/api/session/ID/doctor``         the doctor's findings for the current network
POST     ``/api/session/ID/close``          the tab is closing
GET      ``/api/code?SETTINGS&epochs=N``    "show as Python": the nn code of a setup
GET      ``/api/thumbnails``                a few points of every data set, for the buttons
=======  =================================  ===============================================

Each session trains in its stream's thread (:mod:`nn.playground.session`), so two tabs train
independently, and a closed tab (its stream's connection gone) stops its training.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import select
import socket
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from nn.playground.code import python_code
from nn.playground.doctor import ask_the_doctor
from nn.playground.session import PING, Session, Sessions, TooManySessions
from nn.playground.settings import SettingsError, parse
from nn.playground.thumbnails import thumbnails

__all__ = ["PlaygroundServer", "host_allowed", "make_server"]

STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/draw.js": ("draw.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
MAX_BODY = 64 * 1024


class BadRequest(Exception):
    """A request the page (or a hand-written one) got wrong; the message is shown to it."""

    def __init__(self, message: str, status: int = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(message)
        self.status = status


class PlaygroundServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` with the sessions of its pages."""

    daemon_threads = True  # a stream still open never keeps the process alive
    block_on_close = False

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, Handler)
        self.sessions = Sessions()
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def stop(self) -> None:
        """End every stream and stop serving (from another thread than ``serve_forever``)."""
        self.stopping.set()
        self.sessions.close_all()
        self.shutdown()
        self.server_close()


def make_server(host: str = "127.0.0.1", port: int = 0) -> PlaygroundServer:
    """A playground server bound to ``host:port`` (port 0: a free one); not yet serving."""
    return PlaygroundServer((host, port))


class Handler(BaseHTTPRequestHandler):
    """One request. Errors the client made become 400 with a message; nothing leaks."""

    server: PlaygroundServer
    protocol_version = "HTTP/1.1"  # keep-alive: the page's acknowledgements reuse connections
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for the
    # client's delayed ACK (40 ms on Linux), which would cap the page at ~20 updates a second.
    disable_nagle_algorithm = True
    server_version = "nn-playground"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        pass  # the terminal shows the address and errors, not every request

    # ------------------------------------------------------------------ plumbing
    def send_json(self, body: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        data = json.dumps(body, allow_nan=False).encode("utf-8")
        self.send_bytes(data, "application/json", status)

    def send_bytes(self, data: bytes, kind: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)

    def read_json(self) -> dict[str, Any]:
        """The request's JSON object; BadRequest for anything else."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BadRequest(f"the request body is {length} bytes; at most {MAX_BODY} are read")
        kind = self.headers.get("Content-Type", "").split(";")[0].strip()
        if kind != "application/json":
            # also what keeps other web sites out: their forms cannot send this type
            raise BadRequest("send the request body as JSON (Content-Type: application/json)")
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object")
        return body

    def check_host(self) -> None:
        """Refuse requests addressed to another host name (a DNS rebinding attack's)."""
        bound = self.server.server_address[0]
        if not host_allowed(self.headers.get("Host") or "", bound):
            host = self.headers.get("Host")
            raise BadRequest(
                f"this server answers requests for {bound}, not {host!r}", HTTPStatus.FORBIDDEN
            )

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.handle_safely(self.route_get)

    def do_POST(self) -> None:  # noqa: N802
        self.handle_safely(self.route_post)

    def handle_safely(self, route: Any) -> None:
        try:
            self.check_host()
            route(urlsplit(self.path))
        except BadRequest as err:
            self.send_json({"error": str(err)}, err.status)
        except SettingsError as err:
            self.send_json({"error": str(err)}, HTTPStatus.BAD_REQUEST)
        except TooManySessions as err:
            self.send_json({"error": str(err)}, HTTPStatus.SERVICE_UNAVAILABLE)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as err:  # a bug of ours: said in one line, the traceback to the terminal
            traceback.print_exc()
            self.send_json({"error": f"internal error ({type(err).__name__}: {err})"}, 500)

    def session(self, ident: str) -> Session:
        session = self.server.sessions.get(ident)
        if session is None:
            raise BadRequest(
                "no such session (the server restarted, or the tab was closed); reload the page",
                HTTPStatus.NOT_FOUND,
            )
        return session

    # ------------------------------------------------------------------ routes
    def route_get(self, url: Any) -> None:
        if url.path in STATIC:
            name, kind = STATIC[url.path]
            data = resources.files("nn.playground").joinpath("static", name).read_bytes()
            return self.send_bytes(data, kind)
        if url.path == "/api/code":
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            epochs = query.pop("epochs", "100")
            if not epochs.isdigit() or not 1 <= int(epochs) <= 100_000:
                raise BadRequest(f"epochs must be a whole number from 1 to 100000; got {epochs!r}")
            code = python_code(parse(query), int(epochs))
            return self.send_bytes(code.encode("utf-8"), "text/x-python; charset=utf-8")
        if url.path == "/api/thumbnails":
            return self.send_json(thumbnails())
        parts = url.path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["api", "session"] and parts[3] == "stream":
            return self.stream(self.session(parts[2]))
        raise BadRequest(f"nothing at {url.path}", HTTPStatus.NOT_FOUND)

    def route_post(self, url: Any) -> None:
        body = self.read_json()
        parts = url.path.strip("/").split("/")
        if parts == ["api", "session"]:
            session = self.server.sessions.create(parse(settings_of(body)))
            return self.send_json({"id": session.id}, HTTPStatus.CREATED)
        if len(parts) != 4 or parts[:2] != ["api", "session"]:
            raise BadRequest(f"nothing at {url.path}", HTTPStatus.NOT_FOUND)
        session, action = self.session(parts[2]), parts[3]
        if action == "control":
            return self.send_json(session.control(str(body.get("action"))))
        if action == "settings":
            settings = parse(settings_of(body), base=session.trainer.settings)
            return self.send_json({"rebuilt": session.apply(settings)})
        if action == "drawn":
            number = body.get("frame")
            if isinstance(number, bool) or not isinstance(number, int):
                raise BadRequest(f"frame must be a whole number; got {number!r}")
            session.acknowledge(number)
            return self.send_json({})
        if action == "doctor":
            return self.send_json(ask_the_doctor(session.snapshot()))
        if action == "close":
            self.server.sessions.remove(session)
            return self.send_json({})
        raise BadRequest(f"nothing at {url.path}", HTTPStatus.NOT_FOUND)

    # ------------------------------------------------------------------ the stream
    def stream(self, session: Session) -> None:
        """Train and send events until the tab closes, the session ends or the server stops."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        session.streaming = True
        try:
            self.pump(session)
        except OSError:  # the tab went away mid-write
            pass
        except Exception as err:  # a bug of ours: the page says so instead of waiting forever
            traceback.print_exc()
            message = json.dumps({"error": f"internal error ({type(err).__name__}: {err})"})
            with contextlib.suppress(OSError):
                self.wfile.write(f"event: fault\ndata: {message}\n\n".encode())
        finally:
            self.server.sessions.remove(session)

    def pump(self, session: Session) -> None:
        last_frame = last_write = 0.0
        while not (session.closed or self.server.stopping.is_set() or self.peer_gone()):
            session.advance(frame_at=last_frame + 1 / session.fps)
            now = time.monotonic()
            for event, body in session.messages(now - last_frame):
                data = json.dumps(body, allow_nan=False, separators=(",", ":"))
                self.wfile.write(f"event: {event}\ndata: {data}\n\n".encode())
                last_write = now
                last_frame = now if event == "frame" else last_frame
            if now - last_write >= PING:
                self.wfile.write(b": ping\n\n")
                last_write = now
            self.wfile.flush()
            wait = session.pause_for(time.monotonic() - last_frame)
            if wait > 0 and session.wake.wait(wait):
                session.wake.clear()

    def peer_gone(self) -> bool:
        """Whether the page closed its end (the socket reads as end-of-file)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


def host_allowed(header: str, bound: str) -> bool:
    """Whether a request's ``Host`` header names this server.

    A web page elsewhere can make the browser send requests here under its own domain name
    (DNS rebinding); only this machine's names, the bound address and, when bound to every
    interface, IP addresses typed as such are answered.
    """
    host = header.rsplit(":", 1)[0] if not header.endswith("]") else header
    host = host.strip("[]")
    if host in ("127.0.0.1", "localhost", "::1", bound):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return bound in ("0.0.0.0", "::", "")


def settings_of(body: dict[str, Any]) -> dict[str, Any]:
    settings = body.get("settings", {})
    if not isinstance(settings, dict):
        raise BadRequest("settings must be a JSON object of names to values")
    return settings
