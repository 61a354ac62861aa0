"""A game's debrief as one ZIP: the scenario, every move, the series, charts and an HTML page.

- ``scenario.yaml``: the text the game was created from;
- ``moves.csv``: every move that took effect: turn, step, actor, move, target, parameters,
  made_by (human, teacher, bot, scenario);
- ``log.csv``: everything the game's log holds, timestamped: every start, submit, withdraw,
  lock, resolution and undo, with the team, seat and nickname, each move's status (made,
  refused when the turn resolved, withdrawn, undone, or pending);
- ``seats.csv``: per seat its team, nickname, when it joined, whether it was freed, and how
  many moves, withdrawals and lock-ins it made;
- ``scores.csv``: every role's final score, its unit, and who played it;
- ``series.csv``: step, date, entity, metric, value (the columns of ``chokepoint run``);
- ``charts/KEY.png``: every chart of the registry (:data:`sim.play.charts.CHARTS`), played
  (solid), nobody moved (dashed), no-policy (dotted), a vertical line at every move;
- ``debrief.html``: self-contained (charts inlined): decisions per turn and final scores.

In ``debrief.html`` every text of the scenario's (names, moves, news) is escaped, never read as
Markdown or HTML, so a hostile scenario's text shows as written and runs nothing
(docs/security.md). Every text cell that a spreadsheet would read as a formula (``= + - @``,
tab, carriage return) is prefixed with an apostrophe (OWASP, "CSV injection").
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.classroom.replay import LiveGame
from sim.classroom.views import scores
from sim.engine.model import TradeModel
from sim.engine.output import atomic_write, csv_bytes
from sim.play.charts import CHARTS, COLORS, values

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MOVE_COLUMNS = ("turn", "step", "actor", "move", "target", "parameters", "made_by")
LOG_COLUMNS = ("seq", "time_utc", "kind", "turn", "team", "seat", "nickname", "move", "target",
               "parameters", "made_by", "status")
SEAT_COLUMNS = ("seat", "team", "nickname", "joined_utc", "freed", "moves", "withdrawals",
                "lock_ins")
SCORE_COLUMNS = ("role", "score", "unit", "played_by")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def moves_rows(live: LiveGame) -> list[tuple[Any, ...]]:
    """Every move of the game, by step: (turn, step, actor, move, target, parameters as JSON,
    made_by). Teams' moves (``human``, ``teacher``, or ``bot`` for a team its strategy played)
    are those of resolved turns; moves of roles nobody plays (``bot``) and of the scenario's
    timeline (``scenario``) are those the engine made."""
    t = live.scenario.turn_steps
    refused = refused_seqs(live)
    rows = [(k + 1, k * t, m.role, m.move, m.target or "", json.dumps(m.params, sort_keys=True),
             m.made_by) for k, moves in enumerate(live.turns) for m in moves
            if m.seq not in refused]
    for e in live.model.log:
        if e.call.source == "player":
            continue
        made_by = "scenario" if e.call.source == "event" else "bot"
        rows.append((e.step // t + 1, e.step, e.call.actor, e.call.move, e.call.target or "",
                     json.dumps(e.call.params, sort_keys=True, default=str), made_by))
    return sorted(rows, key=lambda r: r[1])


def refused_seqs(live: LiveGame) -> set[int]:
    """Log sequence numbers of the teams' moves the engine refused when their turn resolved
    (e.g. a second move the first one made impossible): recorded, never made."""
    t = live.scenario.turn_steps
    out: set[int] = set()
    for k, moves in enumerate(live.turns):
        made = [e.call for e in live.model.log if e.call.source == "player" and e.step == k * t]
        for m in moves:
            if m.call() in made:
                made.remove(m.call())
            else:
                out.add(m.seq)
    return out


def statuses(live: LiveGame, log_rows: Iterable[Any]) -> dict[int, str]:
    """Each move row's status (by ``seq``): made, refused, withdrawn, undone or pending; the
    log folded as :func:`sim.classroom.replay.fold` folds it."""
    status: dict[int, str] = {}
    pending: list[Any] = []
    turns: list[list[Any]] = []
    for r in log_rows:
        if r.kind == "move":
            pending.append(r)
        elif r.kind == "withdraw":
            for m in pending:
                if m.role == r.role:
                    status[m.seq] = "withdrawn"
            pending = [m for m in pending if m.role != r.role]
        elif r.kind == "resolve":
            turns.append(pending)
            pending = []
        elif r.kind == "undo":
            for m in (turns.pop() if turns else []) + pending:
                status[m.seq] = "undone"
            pending = []
    refused = refused_seqs(live)
    for m in (m for turn in turns for m in turn):
        status[m.seq] = "refused" if m.seq in refused else "made"
    for m in pending:
        status[m.seq] = "pending"
    return status


def _utc(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="milliseconds")


def table_csv(columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """CSV text of ``rows`` under ``columns``, every cell made safe (:func:`safe_cell`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([safe_cell(c) for c in row])
    return buf.getvalue().encode()


def moves_csv(live: LiveGame) -> bytes:
    return table_csv(MOVE_COLUMNS, moves_rows(live))


def log_csv(live: LiveGame, log_rows: list[Any], seat_rows: list[Any]) -> bytes:
    """Every row of the game's log, timestamped, with its seat's nickname and, for a move,
    its status (:func:`statuses`)."""
    names = {s.id: s.nickname for s in seat_rows}
    status = statuses(live, log_rows)
    return table_csv(LOG_COLUMNS, (
        (r.seq, _utc(r.at), r.kind, r.turn, r.role or "", r.seat_id or "",
         names.get(r.seat_id, ""), r.move or "", r.target or "",
         r.params if r.kind == "move" else "", r.made_by if r.kind == "move" else "",
         status.get(r.seq, "")) for r in log_rows))


def seats_csv(log_rows: list[Any], seat_rows: list[Any]) -> bytes:
    """Per seat: team, nickname, when it joined, freed, and what it did."""
    did = Counter((r.seat_id, r.kind) for r in log_rows if r.seat_id is not None)
    return table_csv(SEAT_COLUMNS, (
        (s.id, s.role, s.nickname, _utc(s.created_at), bool(s.freed), did[(s.id, "move")],
         did[(s.id, "withdraw")], did[(s.id, "lock")]) for s in seat_rows))


def scores_csv(live: LiveGame) -> bytes:
    """Every role's final score (:func:`sim.classroom.views.scores`), its unit, and who
    played it (students or its strategy)."""
    return table_csv(SCORE_COLUMNS, (
        (role, round(value, 4),  # a number: safe_cell leaves it as is (a "-" string is not)
         "points" if role in live.scenario.countries else "% of do-nothing profit",
         "students" if role in live.humans else "bot")
        for role, value in sorted(scores(live).items(), key=lambda kv: -kv[1])))


def series_csv(model: TradeModel) -> bytes:
    """The played series as ``chokepoint run --out F.csv`` writes it (text cells made safe)."""
    return csv_bytes(model, label=safe_cell)  # dates and numbers are safe as they are


def chart_pngs(live: LiveGame, upto: int | None = None,
               keys: Iterable[str] | None = None,
               limits: dict[str, tuple[float, float, float, float]] | None = None
               ) -> dict[str, bytes]:
    """Charts of the registry (:data:`sim.play.charts.CHARTS`; all of them unless ``keys``)
    as PNG bytes (matplotlib's Agg backend, no display), named ``KEY.png``: per series of the
    chart the played line (solid), "nobody moved" (dashed) and the no-policy baseline
    (dotted), in the registry's palette, and a vertical line at every move.

    Args:
        upto: a turn (the debrief's scrubber): the played lines and the moves stop at the end
            of that turn, marked by a solid line; the "nobody moved" and no-policy lines stay
            whole for comparison, and the x axis keeps the whole game.
        limits: per chart key, the axes' (x0, x1, y0, y1) (charts of several games drawn on
            the same scales); without, each chart fits its own lines.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    session = live.session()
    n = live.model.recorder.steps
    shown = n if upto is None else max(0, min(n, upto * live.scenario.turn_steps))
    out: dict[str, bytes] = {}
    for key in CHARTS if keys is None else keys:
        spec = CHARTS[key]
        series = spec.series(session)
        played, idle, base = (values(model, series, n) for model in
                              (live.model, live.idle, session.baseline))
        fig = Figure(figsize=(7, 3.4), dpi=90)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        x = np.arange(n)
        for k, s in enumerate(series):
            c = COLORS[k % len(COLORS)]
            ax.plot(x[:shown], played[k, :shown], color=c, label=s.label, lw=1.8)
            ax.plot(x, idle[k], color=c, ls="--", lw=1)
            ax.plot(x, base[k], color=c, ls=":", lw=1)
        for step in sorted({e.step for e in live.model.log if e.step < shown or upto is None}):
            ax.axvline(step, color="#555", ls=(0, (4, 2)), lw=0.8)
        if upto is not None:
            ax.axvline(max(shown - 1, 0), color="#000", lw=1.6)
            ax.annotate(f"end of turn {upto}", (max(shown - 1, 0), 1), xytext=(3, -10),
                        xycoords=("data", "axes fraction"), textcoords="offset points",
                        fontsize=7)
        ax.set_xlim(0, max(n - 1, 1))
        if limits and key in limits:
            x0, x1, y0, y1 = limits[key]
            ax.set_xlim(x0, x1)
            ax.set_ylim(y0, y1)
        ax.set_title(f"{spec.title} — solid: played, dashed: nobody moved, dotted: no policy",
                     fontsize=8.5)
        ax.set_xlabel(live.scenario.calendar.step, fontsize=8)
        ax.set_ylabel(spec.ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, color="#ddd", lw=0.6)
        if series:
            ax.legend(fontsize=7, ncol=3, loc="best")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        out[f"{key}.png"] = buf.getvalue()
    return out


def debrief_html(live: LiveGame, name: str, code: str, final: dict[str, float],
                 charts: dict[str, bytes]) -> str:
    """A self-contained page: charts inlined, decisions per turn, scores."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{r[0]}</td><td>{r[1]}</td><td>{e(r[2])}</td><td>{e(r[3])}</td>"
        f"<td>{e(r[4])}</td><td><code>{e(r[5])}</code></td><td>{e(r[6])}</td></tr>"
        for r in moves_rows(live))
    score_rows = "".join(f"<tr><td>{e(k)}</td><td>{v:+.2f}</td></tr>"
                         for k, v in sorted(final.items(), key=lambda kv: -kv[1]))
    imgs = "".join(f'<figure><img alt="{e(k)}" src="data:image/png;base64,'
                   f'{base64.b64encode(v).decode()}"></figure>' for k, v in charts.items())
    news = "".join(f"<li>{e(live.scenario.calendar.step)} {s}: {e(t)}</li>"
                   for s, t in live.model.news)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Debrief — {e(name)} ({e(code)})</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .5rem}}
img{{max-width:100%}}</style></head><body>
<h1>Debrief — {e(name)}</h1><p>Game {e(code)}, seed {live.seed}, {live.step} steps,
{len(live.turns)} turns played.</p>
<h2>Final scores</h2><p>Against the same game with nobody moving (governments: points of
mean score; firms: % of profit).</p><table><tr><th>role</th><th>score</th></tr>
{score_rows}</table>
<h2>Charts</h2>{imgs}
<h2>Every decision</h2><table><tr>{''.join(f'<th>{c}</th>' for c in MOVE_COLUMNS)}</tr>
{rows}</table>
<h2>News</h2><ul>{news}</ul></body></html>"""


def write_zip(live: LiveGame, code: str, path: Path, log_rows: list[Any],
              seat_rows: list[Any]) -> Path:
    """Write the debrief ZIP of a game (``code``: its join code; ``log_rows`` and
    ``seat_rows``: its log and seats from the database) atomically; return its path."""
    charts = chart_pngs(live)
    files = {
        "scenario.yaml": live.scenario.text.encode(),
        "moves.csv": moves_csv(live),
        "log.csv": log_csv(live, log_rows, seat_rows),
        "seats.csv": seats_csv(log_rows, seat_rows),
        "scores.csv": scores_csv(live),
        "series.csv": series_csv(live.model),
        **{f"charts/{k}": v for k, v in charts.items()},
        "debrief.html": debrief_html(live, live.scenario.name, code, scores(live),
                                     charts).encode(),
    }

    def write(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
    return atomic_write(path, write)
