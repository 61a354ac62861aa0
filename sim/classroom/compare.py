"""A session's groups side by side: scores per role per group, totals over the groups, each
participant, the key charts per group, and the session's ZIP.

The ZIP (:func:`write_session_zip`, or ``Classroom.export_session``) holds:

- ``scores.csv``: group, game, seed, turn, finished, role, played_by (students or bot), score
  — one row per group and role;
- ``totals.csv``: role, played_by, groups, mean, min, max — each role over the groups (a
  government's points, a firm's % of profit: a role's scores share one unit, so only a role's
  scores are averaged);
- ``participants.csv``: group, game, seat, nickname, team, team_score — every student;
- ``compare.html``: the groups side by side (tables and the key charts per group);
- ``group-N-CODE/``: each group's own game export (:func:`sim.classroom.export.write_zip`).

Text cells are made safe from spreadsheet formulas (:func:`sim.classroom.export.safe_cell`).
"""

from __future__ import annotations

import base64
import html
import io
import statistics
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.classroom.export import chart_pngs, table_csv
from sim.classroom.replay import LiveGame
from sim.classroom.views import View
from sim.engine.output import atomic_write
from sim.play.charts import CHARTS, values

if TYPE_CHECKING:
    from sim.classroom.groups import SessionInfo

# the charts compared per group (keys of sim.play.charts.CHARTS)
COMPARE_CHARTS = ("market-share", "score")


@dataclass(frozen=True)
class RoleRow:
    """One role across the groups: its score in each group (in group order) and over them."""

    role: str
    played_by: str  # "students" or "bot"
    scores: tuple[float, ...]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores)

    @property
    def low(self) -> float:
        return min(self.scores)

    @property
    def high(self) -> float:
        return max(self.scores)


def role_rows(views: Sequence[View]) -> list[RoleRow]:
    """Every role of the lesson (the teams first) with its score in each group's game."""
    if not views:
        return []
    humans = views[0].humans
    order = [*humans, *(r for r in views[0].roles if r not in humans)]
    return [RoleRow(role, "students" if role in humans else "bot",
                    tuple(v.scores.get(role, 0.0) for v in views)) for role in order]


def participant_rows(info: SessionInfo, views: Sequence[View]) -> list[tuple[Any, ...]]:
    """Every student (seats not freed): (group, game, seat, nickname, team, team's score)."""
    return [(g.number, g.code, s.id, s.nickname, s.role, round(v.scores.get(s.role, 0.0), 4))
            for g, v in zip(info.groups, views, strict=True) for s in v.seats if not s.freed]


def scores_csv(info: SessionInfo, views: Sequence[View]) -> bytes:
    rows = [(g.number, g.code, g.seed, v.turn, v.finished, r, "students" if r in v.humans
             else "bot", round(v.scores.get(r, 0.0), 4))
            for g, v in zip(info.groups, views, strict=True) for r in v.roles]
    return table_csv(("group", "game", "seed", "turn", "finished", "role", "played_by", "score"),
                rows)


def totals_csv(rows: Sequence[RoleRow]) -> bytes:
    return table_csv(("role", "played_by", "groups", "mean", "min", "max"),
                [(r.role, r.played_by, len(r.scores), round(r.mean, 4), round(r.low, 4),
                  round(r.high, 4)) for r in rows])


def participants_csv(info: SessionInfo, views: Sequence[View]) -> bytes:
    return table_csv(("group", "game", "seat", "nickname", "team", "team_score"),
                participant_rows(info, views))


def group_charts(lives: Sequence[LiveGame], locks: Sequence[Any],
                 keys: Sequence[str] = COMPARE_CHARTS) -> list[dict[str, bytes]]:
    """The key charts of each group's game as PNG (:func:`sim.classroom.export.chart_pngs`),
    each read under its game's lock, every group's chart of a key on the same scales
    (:func:`shared_limits`)."""
    limits = shared_limits(lives, locks, keys)
    out = []
    for live, lock in zip(lives, locks, strict=True):
        with lock:
            out.append(chart_pngs(live, keys=keys, limits=limits))
    return out


def shared_limits(lives: Sequence[LiveGame], locks: Sequence[Any],
                  keys: Sequence[str]) -> dict[str, tuple[float, float, float, float]]:
    """Per chart key, axes (x0, x1, y0, y1) that hold every group's chart: the whole game
    along x; along y every line (played, nobody moved, no policy) of every group, with a 5%
    margin."""
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    for live, lock in zip(lives, locks, strict=True):
        with lock:
            session = live.session()
            n = live.model.recorder.steps
            for key in keys:
                series = CHARTS[key].series(session)
                for model in (live.model, live.idle, session.baseline):
                    v = values(model, series, n)
                    if v.size:
                        lows[key] = min(lows.get(key, np.inf), float(np.nanmin(v)))
                        highs[key] = max(highs.get(key, -np.inf), float(np.nanmax(v)))
    horizon = max((live.model.horizon for live in lives), default=2)
    limits = {}
    for key in lows:
        pad = 0.05 * (highs[key] - lows[key]) or 0.05 * abs(highs[key]) or 1.0
        limits[key] = (0.0, float(horizon - 1), lows[key] - pad, highs[key] + pad)
    return limits


def compare_html(info: SessionInfo, views: Sequence[View],
                 charts: Sequence[dict[str, bytes]]) -> str:
    """A self-contained page: scores per role per group with the mean, every participant,
    and the key charts of each group side by side (charts inlined)."""
    e = html.escape
    rows = role_rows(views)
    head = "".join(f"<th>group {g.number}<br><small>{e(g.code)}, seed {g.seed}</small></th>"
                   for g in info.groups)
    body = "".join(f"<tr><td>{e(r.role)}</td><td>{r.played_by}</td>"
                   + "".join(f"<td>{s:+.1f}</td>" for s in r.scores)
                   + f"<td><b>{r.mean:+.1f}</b></td><td>{r.low:+.1f} … {r.high:+.1f}</td></tr>"
                   for r in rows)
    people = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in p) + "</tr>"
                     for p in participant_rows(info, views))
    keys = [k.removesuffix(".png") for k in charts[0]] if charts else []
    figs = "".join(
        "<tr>" + "".join(f'<td><img alt="group {g.number}: {e(k)}" src="data:image/png;'
                         f'base64,{base64.b64encode(c[k + ".png"]).decode()}"></td>'
                         for g, c in zip(info.groups, charts, strict=True)) + "</tr>"
        for k in keys)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Groups compared — {e(info.name)} ({e(info.code)})</title>
<style>body{{font-family:sans-serif;margin:auto;padding:1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .5rem}}
img{{width:100%;min-width:320px}}</style></head><body>
<h1>Groups compared — {e(info.name)}</h1><p>Session {e(info.code)}, {len(info.groups)} groups.
Scores against the same game with nobody moving (governments: points; firms: % of profit).</p>
<h2>Scores per role</h2><table><tr><th>role</th><th>played by</th>{head}<th>mean</th>
<th>range</th></tr>{body}</table>
<h2>Charts per group</h2><table><tr>{''.join(f'<th>group {g.number}</th>'
for g in info.groups)}</tr>{figs}</table>
<h2>Participants</h2><table><tr><th>group</th><th>game</th><th>seat</th><th>nickname</th>
<th>team</th><th>team's score</th></tr>{people}</table></body></html>"""


def write_session_zip(info: SessionInfo, views: Sequence[View], lives: Sequence[LiveGame],
                      locks: Sequence[Any], games: dict[int, bytes], path: Path) -> Path:
    """Write the session's ZIP atomically (see the module docstring); ``games``: each
    group's own game ZIP by group number, unpacked into ``group-N-CODE/``."""
    charts = group_charts(lives, locks)
    files = {"scores.csv": scores_csv(info, views),
             "totals.csv": totals_csv(role_rows(views)),
             "participants.csv": participants_csv(info, views),
             "compare.html": compare_html(info, views, charts).encode()}
    for g in info.groups:
        with zipfile.ZipFile(io.BytesIO(games[g.number])) as z:
            for name in z.namelist():
                files[f"group-{g.number}-{g.code}/{name}"] = z.read(name)

    def write(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
    return atomic_write(path, write)
