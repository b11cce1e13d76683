"""``serve``: run the playground until Ctrl-C (the module is not called serve.py: that name
is the function, re-exported by the package)."""

from __future__ import annotations

import os
import sys
import threading
import webbrowser
from typing import TextIO

from nn.playground.server import make_server

__all__ = ["serve"]


def has_display() -> bool:
    """Whether a graphical browser can open here: not on a Linux console or over plain SSH,
    where ``webbrowser`` would start a text-mode browser in the terminal the server uses."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    open_browser: bool = True,
    out: TextIO | None = None,
) -> int:
    """Serve the playground on ``host:port`` until Ctrl-C; returns the exit status 0.

    Parameters
    ----------
    host : str, default "127.0.0.1"
        The address to listen on. Anything else than this machine's loopback lets other
        machines train networks on this one: the server has no password.
    port : int, default 0
        0 picks a free port.
    open_browser : bool, default True
        Open the page in the default browser, when there is a graphical one.
    out : text stream, default sys.stdout
        Where the address is printed.

    Raises
    ------
    OSError
        If the address cannot be bound (the port is taken, the host is not this machine's).
    """
    out = out if out is not None else sys.stdout
    server = make_server(host, port)
    print(f"nn playground: {server.url}  (Ctrl-C to stop)", file=out, flush=True)
    if open_browser and has_display():
        # in a thread: finding a browser can take a while
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("\nnn playground: stopped", file=out, flush=True)
    finally:
        server.stopping.set()
        server.sessions.close_all()
        server.server_close()
    return 0
