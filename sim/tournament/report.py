"""The tournament's report: one self-contained HTML file (heatmaps as embedded PNG, tables).

Per role, a heatmap of its mean payoff for each of its strategies (rows) against each
combination of the other roles' strategies (columns), annotated with the 95% interval's
half-width; then its ranks against the field with intervals, its best responses, and the
equilibria of the empirical game. Names from the scenario are escaped.
"""

from __future__ import annotations

import base64
import io
import itertools
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from sim.sweep import storage
from sim.tournament.analysis import Game, nanmax

STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
         "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
         "padding:3px 8px;text-align:right}th{background:#eee}td.l,th.l{text-align:left}"
         "img{max-width:100%}")


def heatmap(game: Game, r: int) -> bytes:
    """Role ``r``'s mean payoffs [its strategy, the others' combination] as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    R, S = len(game.roles), len(game.strategies)
    mean = np.moveaxis(game.mean()[r], r, 0).reshape(S, -1)
    low, high = game.interval()
    half = np.moveaxis(((high - low) / 2)[r].reshape((S,) * R), r, 0).reshape(S, -1)
    others = [x for x in range(R) if x != r]
    cols = [", ".join(game.strategies[s] for s in combo)
            for combo in itertools.product(range(S), repeat=len(others))] or ["(alone)"]
    fig, ax = plt.subplots(figsize=(2.2 + 1.6 * len(cols), 1.4 + 0.7 * S))
    limit = nanmax(np.abs(mean))
    limit = limit if limit > 0 else 1.0  # no payoff, or all zero
    im = ax.imshow(mean, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    for i, j in itertools.product(range(S), range(len(cols))):
        text = f"{mean[i, j]:+.4f}" + ("" if np.isnan(half[i, j]) else f"\n±{half[i, j]:.4f}")
        ax.text(j, i, text, ha="center", va="center", fontsize=7)
    ax.set_yticks(range(S), game.strategies, fontsize=8)
    ax.set_xticks(range(len(cols)), cols, rotation=35, ha="right", fontsize=8)
    ax.set_ylabel(f"{game.roles[r]}'s strategy")
    ax.set_xlabel(", ".join(game.roles[o] for o in others) + "'s strategy" if others else "")
    ax.set_title(f"{game.roles[r]}'s payoff (score vs doing nothing)", fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def _table(rows: list[dict[str, Any]], left: tuple[str, ...]) -> str:
    if not rows:
        return "<p>none</p>"
    keys = list(rows[0])
    head = "".join(f"<th class={'l' if k in left else 'r'}>{escape(k)}</th>" for k in keys)
    body = []
    for row in rows:
        cells = []
        for k in keys:
            v = row[k]
            shown = f"{v:+.4f}" if isinstance(v, float) else str(v)
            cells.append(f"<td class={'l' if k in left else 'r'}>{escape(shown)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def write_report(out: Path, game: Game, rank_rows: list[dict[str, Any]],
                 responses: list[dict[str, Any]], eq_rows: list[dict[str, Any]], note: str,
                 name: str, failed: tuple[int, int, str | None]) -> Path:
    """Write ``OUT/report.html`` (``failed``: :func:`~sim.tournament.results.failures`);
    return its path."""
    seeds = game.payoff.shape[2]
    parts = [f"<!doctype html><meta charset=utf-8><title>Tournament: {escape(name)}</title>"
             f"<style>{STYLE}</style><h1>Tournament: {escape(name)}</h1>",
             f"<p>Roles {escape(', '.join(game.roles))}; {len(game.strategies)} strategies; "
             f"{seeds} seeds per profile. A payoff is the role's score against the same seed "
             "with that role doing nothing (the game's score); intervals are 95% (Student t "
             "over seeds; ranks: bootstrap over seeds).</p>"]
    if failed[0]:
        parts.append(f"<p class=failed>{failed[0]} of {failed[1]} runs failed (their "
                     f"payoffs are missing); the first: {escape(str(failed[2]))}</p>")
    for r, role in enumerate(game.roles):
        png = base64.b64encode(heatmap(game, r)).decode("ascii")
        parts += [f"<h2>{escape(role)}</h2>",
                  f"<img alt='{escape(role)} payoffs' src='data:image/png;base64,{png}'>",
                  "<h3>Ranks against the field</h3>",
                  _table([x for x in rank_rows if x["role"] == role], ("role", "strategy")),
                  "<h3>Best responses</h3>",
                  _table([x for x in responses if x["role"] == role],
                         ("role", "against", "best"))]
    parts += ["<h2>Equilibria</h2>", f"<p>{escape(note)}</p>",
              _table(eq_rows, ("kind", *game.roles))]
    html = "\n".join(parts)
    return storage.write_file(out / "report.html",
                              lambda tmp: Path(tmp).write_text(html, encoding="utf-8"))
