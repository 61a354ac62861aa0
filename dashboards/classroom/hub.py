"""The classroom server's hub: one :class:`~sim.classroom.Classroom` per server process, shared
by every browser tab, and per game what all its pages show.

Solara keeps state per tab (docs/architecture.md, "Web pages"): games are shared
here, in plain Python objects, never in module-level reactive values; nothing is built at
import (the classroom opens on first use).

How a change reaches 40 pages quickly (docs/classroom/README.md, "How big a class"):

* the game resolves once, on the hub's worker threads (never a page's);
* what the pages show is computed once per change and shared: a :class:`Frame` (the game's
  :class:`~sim.classroom.View`, one database read) and each chart as the play page's
  ECharts option as JSON text (the browser draws it; the server sends a few kB of data,
  never an image, and the renderer compares one string, not every number),
  built once per step of the game whichever page asks first;
* the resolving thread only *asks* each page to redraw: the redraw runs in the thread that
  serves that page's websocket (between its own messages, so a redraw never races the page's
  own clicks), or, when that thread is gone, on a small pool under the page's kernel lock;
  a page with a redraw already queued is not asked twice;
* pages unsubscribe in their effect cleanup and, in case that never runs, when their kernel
  closes: a closed tab leaves nothing behind in the hub.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import count
from typing import Any

from dashboards.echarts import chart_option
from sim import MoveCall, MoveError
from sim.classroom import Classroom, ClassroomError, View
from sim.play.session import OBSERVE, Game

DB_ENV = "CHOKEPOINT_CLASSROOM_DB"
QUIET_POLL = 0.05  # seconds between looks at whether the pages have redrawn
REDELIVER_AFTER = 2.0  # seconds: a redraw queued on a loop that never ran it goes to the pool


LOG = logging.getLogger(__name__)

class ClassroomGame(Game):
    """A classroom game as a play session (:class:`~sim.play.session.Game`) seen by ``role``,
    so that the play page's move forms and charts work on it unchanged: it reads the game's
    live models (:meth:`~sim.classroom.replay.LiveGame.models`) under the game's lock, and its
    moves go to the classroom service (for ``seat``)."""

    def __init__(self, hub: Hub, game_id: int, role: str = OBSERVE, seat: str | None = None):
        live = hub.room.live(game_id)
        super().__init__(live.scenario, role, live.seed,
                         live=live.models(role, hub.room.game_lock(game_id)))
        self.hub, self.game_id, self.seat = hub, game_id, seat

    def wait_quiet(self, cancel: threading.Event) -> None:
        """Wait (until ``cancel``) for every page the hub asked to redraw to have redrawn: a
        move's cost, measured meanwhile, took CPU from a class's 40 redraws after a turn."""
        while self.hub.redrawing() and not cancel.wait(QUIET_POLL):
            pass

    def submit(self, move: str, target: str | None, params: dict[str, Any]) -> MoveCall:
        """Record the move for the seat's team (refused moves raise, as on the play page)."""
        if self.seat is None:
            raise PermissionError("read-only view")
        try:
            self.hub.room.submit(self.seat, move, target, **params)
        except ClassroomError as exc:  # not started, locked in, seat freed: said on the form
            raise MoveError(str(exc)) from None
        return MoveCall(self.role, move, target, dict(params))


@dataclass(frozen=True)
class Frame:
    """What every page of a game shows at one version of the game, computed once and shared
    by all its pages (a team's page adds only its own pending moves)."""

    version: int
    view: View


class _Page:
    """One subscribed page: its callback, its kernel context, and the event loop of the thread
    that serves its websocket (where its redraws run)."""

    __slots__ = ("callback", "context", "loop", "queued_at", "kind", "drawing")

    def __init__(self, callback: Callable[[], None], context: Any,
                 loop: asyncio.AbstractEventLoop | None, kind: str):
        self.callback, self.context, self.loop, self.kind = callback, context, loop, kind
        self.queued_at = 0.0  # when a redraw was asked for and has not started yet (0: none)
        self.drawing = False  # a redraw is under way


class Hub:
    """Everything the classroom's pages share (one per server process)."""

    def __init__(self, url: str | None = None):
        self.room = Classroom(url or os.environ.get(DB_ENV))
        self.room.start_timers()
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="classroom-turns")
        self.redraws = ThreadPoolExecutor(max_workers=4, thread_name_prefix="classroom-redraw")
        self._lock = threading.Lock()
        self._charts: dict[tuple[int, str], tuple[tuple, str, int]] = {}
        self._frames: dict[int, Frame] = {}
        self._frame_locks: dict[int, threading.Lock] = {}
        self._chart_locks: dict[tuple[int, str], threading.Lock] = {}
        self._versions: Counter[int] = Counter()
        self._pages: dict[int, dict[int, _Page]] = {}
        self._room_listeners: dict[int, Callable[[], None]] = {}
        self._ids = count(1)
        self.connected: Counter[tuple[int, str]] = Counter()

    def warm(self, games: int = 10) -> int:
        """Replay the newest running games (their models and no-policy baselines) before the
        server serves: after a restart, the pages that reload at once find them ready
        (docs/classroom/README.md, "Restarting the server"). Returns how many it loaded."""
        loaded = 0
        for ref in self.room.games()[:games]:
            view = self.room.view(ref.id)  # replays the game's log
            if not view.finished:
                self.room.live(ref.id).baseline()
                loaded += 1
        return loaded

    def run(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run a game action off the page's thread (a lock may resolve the turn). An action
        that fails is logged with its traceback, never dropped in silence."""
        future = self.pool.submit(fn, *args)
        name = getattr(fn, "__qualname__", repr(fn))
        future.add_done_callback(lambda done: _report(done, name, args))
        return future

    # -- what pages show -------------------------------------------------------------------
    def frame(self, game_id: int) -> Frame:
        """The game's current :class:`Frame` (computed by the first page that asks after a
        change; the others get the same object)."""
        with self._lock:
            lock = self._frame_locks.setdefault(game_id, threading.Lock())
        with lock:
            version = self._versions[game_id]
            frame = self._frames.get(game_id)
            if frame is None or frame.version != version:
                frame = Frame(version, self.room.view(game_id))
                self._frames[game_id] = frame
            return frame

    def chart(self, game_id: int, key: str) -> tuple[str, int]:
        """Chart ``key`` of the game as the play page's ECharts option in JSON text (the
        browser draws it) and the steps it shows: built once per state of the game (step,
        moves shown, model rebuilt by undo), the same text for every page that shows it."""
        live = self.room.live(game_id)
        with self.room.game_lock(game_id):
            state = (id(live.model), live.step, len(live.model.log))
        cached = self._charts.get((game_id, key))
        if cached is not None and cached[0] == state:
            return cached[1], cached[2]
        with self._lock:
            lock = self._chart_locks.setdefault((game_id, key), threading.Lock())
        with lock:  # one build per chart and state; the other pages wait and reuse it
            cached = self._charts.get((game_id, key))
            if cached is not None and cached[0] == state:
                return cached[1], cached[2]
            option, n = chart_option(ClassroomGame(self, game_id), key, overlay=True)
            text = json.dumps(option, separators=(",", ":"), allow_nan=False)
            self._charts[(game_id, key)] = (state, text, n)
            return text, n

    # -- pages -----------------------------------------------------------------------------
    def subscribe(self, game_id: int, on_change: Callable[[], None],
                  kind: str = "") -> Callable[[], None]:
        """``on_change`` after every change of the game, inside the calling page's kernel
        context and, when possible, in the thread that serves the page's websocket; ``kind``
        ("teacher", a role, "projector"...) lets :meth:`changed` reach only some pages.

        Returns:
            The unsubscriber (also called when the page's kernel closes).
        """
        from solara.server import kernel_context

        context = kernel_context.get_current_context()
        page = _Page(on_change, context, _running_loop(), kind)
        key = next(self._ids)
        with self._lock:
            pages = self._pages.setdefault(game_id, {})
            pages[key] = page
            if game_id not in self._room_listeners:
                self._room_listeners[game_id] = self.room.subscribe(
                    game_id, lambda: self.changed(game_id))

        def unsubscribe() -> None:
            with self._lock:
                pages = self._pages.get(game_id, {})
                if pages.pop(key, None) is not None and not pages:
                    # the game's last page: drop what was built for it (its charts are
                    # rebuilt if a page opens it again)
                    del self._pages[game_id]
                    self._room_listeners.pop(game_id)()
                    self._frames.pop(game_id, None)
                    for k in [k for k in self._charts if k[0] == game_id]:
                        del self._charts[k]
        context.on_close(unsubscribe)
        unsubscribe.page = page  # type: ignore[attr-defined]  # use_game_tick updates its loop
        return unsubscribe

    def redrawing(self) -> int:
        """How many pages have a redraw asked for (in the last :data:`REDELIVER_AFTER`
        seconds: an older one is asked again at the next change) or under way."""
        now = time.monotonic()
        with self._lock:
            pages = [p for ps in self._pages.values() for p in ps.values()]
        return sum(p.drawing or (p.queued_at > 0 and now - p.queued_at < REDELIVER_AFTER)
                   for p in pages)

    def pages(self, game_id: int | None = None) -> int:
        """How many pages are subscribed (to one game, or to any)."""
        with self._lock:
            if game_id is not None:
                return len(self._pages.get(game_id, {}))
            return sum(len(p) for p in self._pages.values())

    def changed(self, game_id: int, only: str | None = None) -> None:
        """The game changed: a new version, and every page of it is asked to redraw (only the
        pages of kind ``only``, without a new version, when what changed is not the game,
        e.g. who is connected, which the teacher's seat map shows)."""
        with self._lock:
            if only is None:
                self._versions[game_id] += 1
            pages = [p for p in self._pages.get(game_id, {}).values()
                     if only is None or p.kind == only]
        if only is None and pages:
            # what the pages will show, once, here, before any of them asks
            self.frame(game_id)
            for key in sorted({k for g, k in self._charts if g == game_id}):
                self.chart(game_id, key)
        now = time.monotonic()
        for page in pages:
            if page.queued_at and now - page.queued_at < REDELIVER_AFTER:
                continue  # a redraw is queued: it will read the newest frame
            page.queued_at = now
            loop = page.loop
            if loop is not None and not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(self._deliver, page, True)
                    continue
                except RuntimeError:  # closed meanwhile
                    pass
            self.redraws.submit(self._deliver, page, False)

    def _deliver(self, page: _Page, own_thread: bool) -> None:
        page.drawing, page.queued_at = True, 0.0
        try:
            context = page.context
            if context.closed_event.is_set():
                return
            with context.lock:  # the page's own messages are handled under this lock too
                if context.closed_event.is_set():
                    return
                with context:
                    page.callback()
        finally:
            page.drawing = False
        if own_thread:
            page.loop = _running_loop() or page.loop



def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread: in Solara's server each websocket is served by
    a thread of its own running an event loop, and renders for its page run there."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


_HUB: Hub | None = None
_HUB_LOCK = threading.Lock()


def hub() -> Hub:
    """The server's hub, created on first use (never at import)."""
    global _HUB
    with _HUB_LOCK:
        if _HUB is None:
            _HUB = Hub()
        return _HUB


def _report(done: Future, name: str, args: tuple[Any, ...]) -> None:
    """Log the error of a failed game action (:meth:`Hub.run`)."""
    error = done.exception()
    if error is not None:
        LOG.error("classroom action %s%r failed", name, args, exc_info=error)
