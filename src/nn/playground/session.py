"""One page's training, shared between its stream (which trains and sends frames) and its
requests (play, pause, a new setting, a frame drawn), and the table of every page's session.

Pacing, so that the page watches without falling behind
-------------------------------------------------------
The stream's thread alternates training and sending. Training runs at the page's speed (steps
per second, or as many as fit) in slices of at most :data:`SLICE` seconds. A frame goes out at
most :data:`FPS` times a second, and only while at most :data:`IN_FLIGHT` - 1 frames wait to
be drawn (the page says which it drew, :meth:`Session.acknowledge`): a page that draws slowly
gets fewer frames, each covering more steps (``steps_per_update`` grows), and never a queue of
stale ones. (Two in flight, not one, so that the next frame is computed and sent while the
page draws the last.) If no acknowledgement comes for :data:`STALL` seconds (a hidden tab
draws nothing), a frame goes out anyway.
"""

from __future__ import annotations

import copy
import math
import secrets
import threading
import time
from typing import Any

from nn.playground.engine import Trainer
from nn.playground.frame import frame, setup
from nn.playground.settings import Settings, SettingsError

__all__ = ["FPS", "IN_FLIGHT", "PING", "SLICE", "STALL", "Session", "Sessions", "TooManySessions"]


class TooManySessions(Exception):
    """More than :data:`MAX_SESSIONS` pages at once; the message says what to do."""


FPS = 60
SLICE = 0.8 / FPS
STALL = 1.0
IN_FLIGHT = 2
#: With nothing to send for this long, the stream sends a comment line: writing to a closed
#: tab fails, which is how a closed tab stops its training even while paused.
PING = 1.0
#: A session whose page never opened its stream is dropped after this many seconds.
ORPHAN = 60.0
#: Sessions open at once, at most: each holds its data and network in memory.
MAX_SESSIONS = 64
#: Settings whose change needs new data (the others keep the points).
DATA_KEYS = ("problem", "dataset", "noise", "ratio", "features", "seed")


class Session:
    """The training of one page. Every method may be called from any thread."""

    def __init__(self, settings: Settings, ident: str) -> None:
        self.id = ident
        self.lock = threading.Lock()
        self.wake = threading.Event()  # set whenever the stream should look again
        self.trainer = Trainer(settings)
        self.playing = self.closed = self.streaming = False
        self.run = 1  # counts resets and new setups: the page clears its curves on a new one
        self.sent = self.drawn = self.steps_since = 0
        self.dirty = self.new_setup = True
        self.credit, self.last_tick, self.sec_per_step = 0.0, 0.0, 1e-4
        self.created = time.monotonic()
        self.fps = FPS  # frames a second at most (a benchmark lifts it)

    # ------------------------------------------------------------------ from requests
    def control(self, action: str) -> dict[str, Any]:
        """``play``, ``pause``, ``step`` (one mini-batch) or ``reset``; returns the state."""
        with self.lock:
            t = self.trainer
            if action == "play":
                if t.diverged:
                    raise SettingsError(f"{t.diverged} (Play needs a reset first.)")
                self.playing, self.credit, self.last_tick = True, 1.0, time.monotonic()
            elif action == "pause":
                self.playing = False
            elif action == "step":
                self.playing = False
                self.steps_since += t.train(1)
            elif action == "reset":
                self.playing = False
                t.reset()
                self.run += 1
            else:
                raise SettingsError(f"action must be play, pause, step or reset; got {action!r}")
            self.dirty = True
            state = {"playing": self.playing, "step": t.step, "diverged": t.diverged}
        self.wake.set()
        return state

    def apply(self, settings: Settings) -> bool:
        """Take new settings; returns True if the network was built again (and paused)."""
        with self.lock:
            old = self.trainer.settings
            rebuilt = not old.differs_only_in_live(settings)
            if rebuilt:
                same_data = all(getattr(old, k) == getattr(settings, k) for k in DATA_KEYS)
                self.trainer = Trainer(settings, self.trainer.data if same_data else None)
                self.playing, self.new_setup = False, True
                self.run += 1
            else:
                self.trainer.retune(settings)
            self.dirty = True
        self.wake.set()
        return rebuilt

    def acknowledge(self, number: int) -> None:
        """The page has drawn frame ``number``."""
        with self.lock:
            self.drawn = max(self.drawn, number)
        self.wake.set()

    def snapshot(self) -> Trainer:
        """A copy of the trainer the doctor can train on while this one goes on."""
        with self.lock:
            snap = copy.copy(self.trainer)
            snap.network = self.trainer.network.copy()
            snap.optimizer = copy.deepcopy(self.trainer.optimizer)
        return snap

    def close(self) -> None:
        """Stop for good (the tab closed, or the server stops)."""
        with self.lock:
            self.closed, self.playing = True, False
        self.wake.set()

    # ------------------------------------------------------------------ from the stream
    def advance(self, frame_at: float = math.inf) -> None:
        """Take the training steps due now, for at most :data:`SLICE` seconds.

        Returns early once a frame with news may go out: some steps were taken, the last
        frame was drawn, and the monotonic clock has reached ``frame_at``.
        """
        end = time.perf_counter() + SLICE
        while time.perf_counter() < end:
            with self.lock:
                if not self.playing or self.closed or self.trainer.diverged:
                    return
                if self.dirty and self.may_send() and time.monotonic() >= frame_at:
                    return
                due = self.steps_due()
                if due < 1:
                    return
                n = max(1, min(due, int(0.002 / self.sec_per_step)))  # chunks of about 2 ms
                start = time.perf_counter()
                done = self.trainer.train(n)
                spent = time.perf_counter() - start
                self.sec_per_step = 0.8 * self.sec_per_step + 0.2 * spent / max(done, 1)
                self.credit -= done
                self.steps_since += done
                self.dirty = self.dirty or done > 0
                if self.trainer.diverged:
                    self.playing = False
            time.sleep(0)  # let the request threads (an acknowledgement, a pause) have a turn

    def may_send(self) -> bool:
        """Whether few enough frames wait to be drawn for another to go (lock held)."""
        return self.sent - self.drawn < IN_FLIGHT

    def steps_due(self) -> int:
        """Steps owed at the page's speed (with the lock held); "max" owes without end."""
        speed = self.trainer.settings.speed
        if speed == "max":
            self.credit = float(1 << 30)
        else:
            now = time.monotonic()
            cap = int(speed) * SLICE * 2 + 1  # a slow turn does not pile up a burst
            self.credit = min(self.credit + (now - self.last_tick) * int(speed), cap)
            self.last_tick = now
        return int(self.credit)

    def messages(self, since_frame: float) -> list[tuple[str, dict[str, Any]]]:
        """The events due now: a new setup, and a frame if one may go out.

        ``since_frame`` is the time since the stream sent its last frame.
        """
        out: list[tuple[str, dict[str, Any]]] = []
        with self.lock:
            if self.new_setup:
                out.append(("setup", setup(self.trainer)))
                self.new_setup = False
            acknowledged = self.may_send() or since_frame >= STALL
            if self.dirty and since_frame >= 1 / self.fps and acknowledged:
                self.sent += 1
                body = frame(self.trainer, self.sent, self.steps_since, self.playing)
                body["run"] = self.run
                out.append(("frame", body))
                self.dirty, self.steps_since = False, 0
        return out

    def pause_for(self, since_frame: float) -> float:
        """How long the stream may sleep before there is work (a request wakes it sooner)."""
        with self.lock:
            if self.playing:
                speed = self.trainer.settings.speed
                step_due = 0.0 if speed == "max" else max(0.0, (1 - self.credit) / int(speed))
                return min(step_due, max(0.0, 1 / self.fps - since_frame), PING)
            if self.dirty:
                return max(0.0, min(1 / self.fps - since_frame, STALL - since_frame), 0.002)
            return PING


class Sessions:
    """Every page's session, by id."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_id: dict[str, Session] = {}

    def create(self, settings: Settings) -> Session:
        """A new session (and the orphans, never streamed, dropped).

        Raises
        ------
        TooManySessions
            If :data:`MAX_SESSIONS` are open.
        """
        session = Session(settings, secrets.token_hex(8))
        now = time.monotonic()
        with self.lock:
            for ident, old in list(self.by_id.items()):
                if not old.streaming and now - old.created > ORPHAN:
                    del self.by_id[ident]
            if len(self.by_id) >= MAX_SESSIONS:
                raise TooManySessions(
                    f"{MAX_SESSIONS} playground pages are open already; close some tabs"
                )
            self.by_id[session.id] = session
        return session

    def get(self, ident: str) -> Session | None:
        with self.lock:
            return self.by_id.get(ident)

    def remove(self, session: Session) -> None:
        """Close ``session`` and forget it."""
        session.close()
        with self.lock:
            self.by_id.pop(session.id, None)

    def close_all(self) -> None:
        with self.lock:
            sessions, self.by_id = list(self.by_id.values()), {}
        for session in sessions:
            session.close()
