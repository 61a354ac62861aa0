"""The classroom server's hub: one :class:`~sim.classroom.Classroom` per server process, shared
by every browser tab, and per game the charts and the no-policy baseline.

Solara keeps state per tab (PITFALLS.md, "Many sessions in one Solara server"): games are shared
here, in plain Python objects, never in module-level reactive values; nothing is built at
import (the classroom opens on first use). Pages subscribe with a callback that runs in their
own kernel context; page actions that may resolve a turn run on the hub's worker threads, not
on the page's.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from dashboards.charts import ChartBook
from dashboards.game import OBSERVE, Game
from sim import MoveCall, TradeModel
from sim.classroom import Classroom

DB_ENV = "CHOKEPOINT_CLASSROOM_DB"


class ClassroomGame(Game):
    """A classroom game seen as the play page's :class:`Game`, so that the play page's move
    forms and charts work on it unchanged: moves go to the classroom service (for ``seat``),
    the model is the game's live model, the baseline is stepped alongside by the hub."""

    def __init__(self, hub: Hub, game_id: int, role: str = OBSERVE, seat: str | None = None):
        live = hub.room.live(game_id)
        self.hub, self.game_id, self.seat = hub, game_id, seat
        self.scenario, self.role, self.seed = live.scenario, role, live.seed
        self.model = live.model
        self.baseline = hub.baseline(game_id)
        self.lock = hub.room.game_lock(game_id)
        self.queued: list[MoveCall] = []
        self._effects: dict = {}
        self._gaps: dict = {}

    def submit(self, move: str, target: str | None, params: dict[str, Any]) -> MoveCall:
        """Record the move for the seat's team (refused moves raise, as on the play page)."""
        if self.seat is None:
            raise PermissionError("read-only view")
        self.hub.room.submit(self.seat, move, target, **params)
        return MoveCall(self.role, move, target, dict(params))


class Hub:
    """Everything the classroom's pages share (one per server process)."""

    def __init__(self, url: str | None = None):
        self.room = Classroom(url or os.environ.get(DB_ENV))
        self.room.start_timers()
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="classroom-turns")
        self._lock = threading.Lock()
        self._books: dict[int, tuple[ChartBook, threading.Lock]] = {}
        self._baselines: dict[int, TradeModel] = {}
        self.connected: Counter[tuple[int, str]] = Counter()

    def run(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run a game action off the page's thread (a lock may resolve the turn)."""
        return self.pool.submit(fn, *args)

    def baseline(self, game_id: int) -> TradeModel:
        """The no-policy model of the game, stepped as far as the game (rebuilt after undo)."""
        live = self.room.live(game_id)
        with self._lock:
            base = self._baselines.get(game_id)
            if base is None or base.step_index > live.step:
                base = TradeModel(scenario=live.scenario.without_policy(), rng=live.seed)
                self._baselines[game_id] = base
            while base.step_index < live.step:
                base.step()
            return base

    def png(self, game_id: int, key: str) -> tuple[bytes, int]:
        """A chart of the game (drawn once per step for every page that shows it)."""
        with self._lock:
            entry = self._books.get(game_id)
        game = ClassroomGame(self, game_id)
        if entry is None or entry[0].game.model is not game.model:  # new, or rebuilt by undo
            entry = (ChartBook(game), threading.Lock())
            with self._lock:
                self._books[game_id] = entry
        book, lock = entry
        book.game = game
        with lock:
            return book.png(key, overlay=True)

    def subscribe(self, game_id: int, on_change: Callable[[], None]) -> Callable[[], None]:
        """``on_change`` after every change of the game (and every second while a timer runs),
        inside the calling page's kernel context."""
        from solara.server import kernel_context

        context = kernel_context.get_current_context()

        def call() -> None:
            with context:
                on_change()
        return self.room.subscribe(game_id, call)


_HUB: Hub | None = None
_HUB_LOCK = threading.Lock()


def hub() -> Hub:
    """The server's hub, created on first use (never at import)."""
    global _HUB
    with _HUB_LOCK:
        if _HUB is None:
            _HUB = Hub()
            threading.Thread(target=_second_ticks, args=(_HUB,), daemon=True).start()
        return _HUB


def _second_ticks(h: Hub) -> None:
    """Wake the pages of timed games every second so their countdown moves."""
    stop = threading.Event()
    while not stop.wait(1.0):
        for ref in h.room.games()[:50]:
            try:
                view = h.room.view(ref.id)
            except Exception:  # noqa: BLE001
                continue
            if view.deadline is not None and h.room.listeners(ref.id):
                h.room._notify(ref.id)
