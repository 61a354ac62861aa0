"""Charts of a game as PNG images, drawn with matplotlib's Agg backend (no browser assets).

Each chart keeps one :class:`~matplotlib.figure.Figure` per game and updates its lines in place
(``set_data``) instead of building a new figure per step, so a redraw costs about the same at
500 steps as at 10. A chart is redrawn only when asked and only when its step, overlay or
markers changed. Lines differ by colour (the registry's palette, :data:`sim.play.charts.COLORS`),
line style and marker — the style changes with each round of eight colours, so no two of 56
series look alike — and stay distinguishable in grayscale; the no-policy baseline is a thin
dotted line in its series' colour; every move that took effect is a dashed vertical line with a
label. The legend sits beside the plot, never on the data; the x axis shows dates; the y axis
refits to the data on every draw (it never stays locked to a flat start).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.play.charts import CHARTS, COLORS, ChartSpec, Series, values
from sim.play.session import Game

STYLES: list[Any] = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)),
                     (0, (3, 1, 3, 1, 1, 1))]
MARKS = ["o", "s", "^", "D", "v", "x", "P", "*"]
MAX_POINTS = 1000  # longer histories are thinned to this many points per line
WIDTH, HEIGHT, DPI = 6.0, 3.1, 80
PRINT_DPI = 300


def _thin(n: int) -> np.ndarray:
    """Indices of at most MAX_POINTS steps, always keeping the last."""
    if n <= MAX_POINTS:
        return np.arange(n)
    idx = np.linspace(0, n - 1, MAX_POINTS).astype(int)
    return np.unique(idx)


class _Canvas:
    """One chart's figure, its lines, and the state it was last drawn in."""

    def __init__(self) -> None:
        self.fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
        FigureCanvasAgg(self.fig)
        self.ax: Axes | None = None
        self.lines: list[Line2D] = []
        self.base: list[Line2D] = []
        self.overlay: bool | None = None
        self.markers = 0
        self.drawn: tuple | None = None
        self.png = b""


def _rescale(ax: Axes) -> None:
    """Fit the y axis to the data, but never zoom into a span under 2% of the values' size
    (a flat price of 100 would otherwise show noise as a cliff). ``set_ylim`` switches
    autoscaling off, so it is switched back on first: a chart first drawn flat still refits."""
    ax.set_autoscaley_on(True)
    ax.relim()
    ax.autoscale_view(scalex=False)
    lo, hi = ax.get_ylim()
    floor = 0.02 * max(abs(lo), abs(hi), 1e-9)
    if hi - lo < floor:
        mid = (lo + hi) / 2
        ax.set_ylim(mid - floor / 2, mid + floor / 2)


class ChartBook:
    """The charts of one game: a figure per chart, PNGs cached per (step, overlay, markers)."""

    def __init__(self, game: Game):
        self.game = game
        self.canvases: dict[str, _Canvas] = {}

    def png(self, key: str, overlay: bool) -> tuple[bytes, int]:
        """The chart ``key`` as PNG bytes, and the number of steps it shows."""
        game, spec = self.game, CHARTS[key]
        with game.lock:
            n = game.model.recorder.steps
            series = spec.series(game)
            markers = game.markers()
            played = values(game.model, series, n)
            base = values(game.baseline, series, n) if overlay else None
        canvas = self.canvases.setdefault(key, _Canvas())
        state = (n, overlay, len(markers))
        if canvas.drawn == state:
            return canvas.png, n
        if canvas.overlay != overlay or canvas.ax is None or len(canvas.lines) != len(series):
            self._build(canvas, spec, series, overlay)
        ax = canvas.ax
        assert ax is not None  # built above
        idx = _thin(n)
        for line, y in zip(canvas.lines, played, strict=True):
            line.set_data(idx, y[idx])
        if base is not None:
            for line, y in zip(canvas.base, base, strict=True):
                line.set_data(idx, y[idx])
        for step, label in markers[canvas.markers:]:
            ax.axvline(step, color="#555555", linestyle=(0, (4, 2)), linewidth=0.9)
            ax.annotate(label, (step, 0), xycoords=("data", "axes fraction"), xytext=(2, 3),
                        textcoords="offset points", rotation=90, va="bottom", ha="left",
                        fontsize=6.5, color="#333333")
        canvas.markers = len(markers)
        _rescale(ax)
        buf = io.BytesIO()
        canvas.fig.savefig(buf, format="png", dpi=DPI)
        canvas.png, canvas.drawn = buf.getvalue(), state
        return canvas.png, n

    def print_png(self, key: str, overlay: bool, dpi: int = PRINT_DPI) -> bytes:
        """The chart ``key`` at print resolution (300 dpi: 1800 × 930 pixels)."""
        self.png(key, overlay)
        buf = io.BytesIO()
        self.canvases[key].fig.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()

    def _build(self, canvas: _Canvas, spec: ChartSpec, series: list[Series],
               overlay: bool) -> None:
        fig = canvas.fig
        fig.clear()
        ax = canvas.ax = fig.add_subplot()
        right = (0.74 if len(series) <= 14 else 0.56) if series else 0.98
        fig.subplots_adjust(left=0.11, right=right, top=0.9, bottom=0.15)
        scenario = self.game.scenario
        ax.set_title(spec.title + (" — dotted: no-policy baseline" if overlay else ""),
                     fontsize=8.5, loc="left")
        ax.set_xlabel(f"date ({scenario.calendar.step}s)", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(4 if len(series) > 14 else 6, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda x, _: scenario.date_of(max(0, int(round(x)))).strftime("%Y-%m")))
        ax.set_ylabel(spec.ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_xlim(0, max(self.game.horizon - 1, 1))
        ax.grid(True, color="#dddddd", linewidth=0.6)
        canvas.lines, canvas.base = [], []
        for k, s in enumerate(series):
            color = COLORS[k % len(COLORS)]
            canvas.lines.append(ax.plot(
                [], [], color=color, linestyle=STYLES[(k // len(COLORS)) % len(STYLES)],
                marker=MARKS[k % len(MARKS)], markevery=0.1, markersize=4, linewidth=1.6,
                label=s.label)[0])
            if overlay:
                canvas.base.append(ax.plot([], [], color=color, linestyle=(0, (1, 1.5)),
                                           linewidth=1.1, alpha=0.7)[0])
        if series:
            many = len(series) > 14
            ax.legend(fontsize=5.5 if many else 6.5, ncol=2 if many else 1, loc="upper left",
                      bbox_to_anchor=(1.01, 1.0), borderaxespad=0, frameon=False,
                      handlelength=2.5 if many else 3, columnspacing=0.8)
        else:
            ax.text(0.5, 0.5, "nothing to show in this scenario", transform=ax.transAxes,
                    ha="center", fontsize=8)
        canvas.overlay, canvas.markers, canvas.drawn = overlay, 0, None
