"""Play a scenario in the browser: choose, play turn by turn, see, compare, finish.

The page holds no game at module level: each browser tab builds its own :class:`Game` in
component state when the player presses Start. Started by ``chokepoint play`` (see
:mod:`dashboards.server`), which passes the chosen scenario file in an environment variable.
This module holds the page, the setup (scenario, role, parameters, seed) and the game view
with its controls; the panels it lays out (charts, news, score card, debrief…) are in
:mod:`dashboards.panels`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solara

from dashboards.forms import MovePanel
from dashboards.panels import Chart, Debrief, Hints, NewsFeed, Position, ScoreCard, Timeline
from dashboards.prose import Prose
from sim import ScenarioError
from sim.play.charts import TABS
from sim.play.png import ChartBook
from sim.play.saved import load_game, looks_saved, save_game, saved_name
from sim.play.session import OBSERVE, Game, shipped_scenarios
from sim.play.setup import (
    MAX_SEED,
    load_choice,
    overrides_from,
    parameter_sliders,
    startup_scenario,
)
from sim.scenario.yamlio import MAX_BYTES

SPEEDS = {"1 step/s": 1, "5 steps/s": 5, "10 steps/s": 10, "25 steps/s": 25,
          "50 steps/s": 50, "as fast as possible": 0}
REDRAW_SECONDS = 0.2  # while playing, the charts are redrawn at most 5 times a second
CSS = """
:focus-visible { outline: 3px solid #0072B2 !important; outline-offset: 2px; }
.game-columns { display: flex; flex-wrap: wrap; gap: 12px; }
.game-columns > .side { flex: 1 1 340px; min-width: 0; max-width: 100%;
  display: flex; flex-direction: column; gap: 8px; }
@media (min-width: 1000px) { .side > .news-card { order: -1; }
  .side > .news-card .news-feed { max-height: 180px !important; } }
.game-columns > .main { flex: 3 1 560px; min-width: 0; max-width: 100%; }
.chart-box { flex: 1 1 460px; min-width: 0; max-width: 100%; }
@media (max-width: 700px) { .chart-box { flex-basis: 100%; } }
"""


@solara.component_vue("../file_pick.vue")
def FilePick(label: str, accept: str, max_bytes: int,
             event_picked: Callable[[dict[str, Any]], None]):
    """A keyboard-usable file chooser: the browser reads the file, Python gets its text."""


DEFAULT_SCENARIO = "hikvision_2019"  # offered first when ``chokepoint play`` is given no file


def scenario_sources() -> dict[str, str]:
    """Scenario choices: the file ``chokepoint play`` was given (else the default), then the
    other shipped ones."""
    out: dict[str, str] = {}
    start = startup_scenario()
    if start:
        out[Path(start).name] = start
    shipped = shipped_scenarios()
    for name in sorted(shipped, key=lambda n: n != DEFAULT_SCENARIO):
        out.setdefault(shipped[name].name, str(shipped[name]))
    return out


@solara.component_vue("page_lang.vue")
def PageLang(lang: str):
    """Sets ``<html lang>`` (Solara's template leaves it empty)."""


@solara.component
def Page():
    game, set_game = solara.use_state(None)  # this tab's game (component state, not module)
    solara.Title("Chokepoint — play")
    PageLang(lang="en")
    with solara.Column(style={"padding": "12px", "max-width": "1500px"}):
        if game is None:
            SetupPanel(on_start=set_game)
        else:
            GameView(game, on_reset=lambda: set_game(Game(game.scenario, game.role, game.seed,
                                                          game.overrides)),
                     on_quit=lambda: set_game(None)).key(f"game-{id(game)}")


@solara.component
def SetupPanel(on_start):
    """Choose a scenario (or upload one), read it, pick a role, parameters and the seed."""
    sources = solara.use_memo(scenario_sources, [])
    uploads, set_uploads = solara.use_state({})  # name -> YAML text, uploaded in this tab
    choices = [*sources, *[n for n in uploads if n not in sources]]
    choice, set_choice = solara.use_state(choices[0] if choices else None)
    upload_errors, set_upload_errors = solara.use_state([])

    pasted, set_pasted = solara.use_state("")

    def accept_upload(name: str, text: str):
        if looks_saved(text):  # a saved game: replayed to where it was saved, then played on
            try:
                game = load_game(text, name)
            except ScenarioError as exc:
                set_upload_errors([str(p) for p in exc.problems])
                return
            set_upload_errors([])
            on_start(game)
            return
        try:
            load_choice(name, text, {})
        except ScenarioError as exc:
            set_upload_errors([str(p) for p in exc.problems])
            return
        set_upload_errors([])
        set_uploads({**uploads, name: text})
        set_choice(name)

    def on_file(info):
        data = info.get("data") or info["file_obj"].read()
        accept_upload(info["name"], data.decode("utf-8", "replace"))

    def on_picked(info: dict):
        if info.get("text") is None:
            size = info.get("size") or 0
            set_upload_errors([f"{info.get('name')}: cannot read it, or it is larger than "
                               f"{MAX_BYTES:,} bytes ({size:,} bytes)"])
            return
        accept_upload(str(info.get("name") or "upload.yaml"), str(info["text"]))

    Prose("# Chokepoint\nChoose a scenario, take a role, and play it turn by turn.")
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Select(label="Scenario", values=choices, value=choice, on_value=set_choice,
                      style={"min-width": "320px"})
        FilePick(label="…or choose a YAML file (a scenario, or a saved game to go on with)",
                 accept=".yaml,.yml",
                 max_bytes=MAX_BYTES, event_picked=on_picked)
        with solara.Div(style={"min-width": "300px"}):
            solara.FileDrop(label="…or drop one here", on_file=on_file, lazy=False)
    with solara.Details(summary="…or paste a scenario's YAML (keyboard friendly)"):
        solara.InputTextArea(label="Scenario YAML", value=pasted, on_value=set_pasted,
                             continuous_update=True, rows=6)
        solara.Button("Use the pasted scenario", on_click=lambda: accept_upload("pasted.yaml",
                                                                            pasted),
                      disabled=not pasted.strip())
    if upload_errors:
        with solara.Div(classes=["upload-errors"]):
            solara.Error("The uploaded file was refused:")
            solara.Preformatted("\n".join(upload_errors))
    if choice is None:
        solara.Warning("No scenario found: pass a file to `chokepoint play FILE`.")
        return
    text = uploads.get(choice)
    source = choice if text is not None else sources[choice]
    ScenarioSetup(source, text, on_start).key(f"setup-{choice}")


@solara.component
def ScenarioSetup(source: str, text: str | None, on_start):
    def load():
        try:
            return load_choice(source, text, {}), []
        except ScenarioError as exc:
            return None, [str(p) for p in exc.problems]

    scenario, problems = solara.use_memo(load, [source, text])
    if scenario is None:
        solara.Error(f"{source} is not a valid scenario:")
        solara.Preformatted("\n".join(problems))
    else:
        ScenarioForm(scenario, source, text, on_start)


@solara.component
def ScenarioForm(scenario, source: str, text: str | None, on_start):
    """The scenario's description, and the role, parameters and seed to start with."""
    sliders = parameter_sliders(scenario)
    roles = [*scenario.roles, OBSERVE]
    role, set_role = solara.use_state(roles[0])
    seed, set_seed = solara.use_state(scenario.seed)
    values, set_values = solara.use_state({s.name: s.value for s in sliders})

    def slider(name: str) -> Callable[[float], None]:
        return lambda v: set_values({**values, name: v})
    no_error: list[str] = []
    error, set_error = solara.use_state(no_error)

    def start():
        if seed is not None and not 0 <= seed <= MAX_SEED:
            set_error([f"seed: must be between 0 and {MAX_SEED} (as chokepoint run --seed)"])
            return
        try:
            sc = load_choice(source, text, overrides_from(sliders, values))
        except ScenarioError as exc:
            set_error([str(p) for p in exc.problems])
            return
        on_start(Game(sc, role, seed if seed is not None else sc.seed,
                      overrides_from(sliders, values)))

    with solara.Card(title=scenario.name, subtitle=f"{scenario.steps} "
                     f"{scenario.calendar.step}s from {scenario.calendar.start}, turns of "
                     f"{scenario.turn_steps} {scenario.calendar.step}s"):
        Prose(scenario.description)
    with solara.Columns([1, 1]):
        with solara.Column():
            solara.Select(label="Your role", values=roles, value=role, on_value=set_role)
            solara.InputInt(label=f"Seed (0–{MAX_SEED})", value=seed, on_value=set_seed,
                            continuous_update=True)
            solara.Button("Start the game", on_click=start, color="primary",
                          classes=["start-game"])
            if error:
                solara.Error("These parameters make the scenario invalid:")
                solara.Preformatted("\n".join(error))
        with solara.Column():
            for s in sliders:
                unit = f" {scenario.calendar.step}s" if s.path.endswith(".at") else ""
                v = values[s.name]
                shown = f"{int(v)}" if s.integer else f"{v:.3g}"
                solara.Text(f"{s.label}: {shown}{unit} (range {s.min:g}–{s.max:g}{unit})",
                            classes=["slider-value"], style={"display": "block",
                                                             "font-size": "0.9em"})
                if s.integer:
                    solara.SliderInt(label=s.label, value=int(values[s.name]), min=int(s.min),
                                     max=int(s.max),
                                     on_value=slider(s.name))
                else:
                    solara.SliderFloat(label=s.label, value=values[s.name], min=s.min,
                                       max=s.max, step=(s.max - s.min) / 100,
                                       on_value=slider(s.name))


@solara.component
def GameView(game: Game, on_reset, on_quit):
    tick, set_tick = solara.use_state(0)  # bumped after every advance: re-reads the game
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state("10 steps/s")
    overlay, set_overlay = solara.use_state(True)
    pause_at_turn, set_pause_at_turn = solara.use_state(game.role != OBSERVE)
    tab, set_tab = solara.use_state(next(iter(TABS)))
    # (step, sentence): the confirmation of a move, shown until the game moves on
    notice, set_notice = solara.use_state((0, ""))

    def cancel(k: int) -> None:
        game.cancel(k)
        set_notice((0, ""))
        set_tick(lambda t: t + 1)

    book = solara.use_memo(lambda: ChartBook(game), [game])
    # the tick whose render is committed: the play loop asks for the next redraw only then, so
    # that a render running in the browser connection's thread (after a click) can finish and
    # be sent, instead of being asked to start over by every turn of the loop
    drawn = solara.use_ref(tick)
    solara.use_effect(lambda: setattr(drawn, "current", tick), [tick])

    def advance(n: int):
        game.step(n)
        set_tick(lambda t: t + 1)

    def play_loop(cancel: threading.Event):
        if not playing:
            return
        rate = SPEEDS[speed]
        start, done, asked = time.perf_counter(), 0, drawn.current
        while not cancel.is_set() and not game.finished:
            t0 = time.perf_counter()
            want = steps_due(rate, t0 - start, done) if rate else None
            made, stop = 0, False
            # (Pause stops at once: the cancel is checked before every step)
            while not cancel.is_set() and not game.finished and (
                    made < want if want is not None
                    else time.perf_counter() - t0 < REDRAW_SECONDS / 2):
                made += game.step(1)
                if pause_at_turn and game.step_index % game.turn_steps == 0:
                    stop = True
                    break
            done += made
            if made and drawn.current >= asked:  # the last redraw is in: ask for the next
                asked = drawn.current + 1
                set_tick(asked)
            if stop or game.finished:
                break
            cancel.wait(max(0.0, REDRAW_SECONDS - (time.perf_counter() - t0)))
        if done:
            set_tick(lambda t: t + 1)  # whatever was skipped, the last state is drawn
        if not cancel.is_set():
            set_playing(False)

    # the loop checks its cancel itself (before every step); solara's intrusive cancel would
    # trace the thread (slow) and kill it before it draws the last state it made
    solara.use_thread(play_loop, dependencies=[playing, speed, pause_at_turn, game],
                      intrusive_cancel=False)

    with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"}):
        Prose(f"## {game.scenario.name}")
        role = "observer" if game.role == OBSERVE else f"playing {game.role}"
        solara.Text(f"{role} · seed {game.seed} · {status(game)}",
                    classes=["game-status"], style={"font-weight": "bold"})
    solara.ProgressLinear(game.step_index / max(game.horizon, 1))
    Controls(game, playing, set_playing, speed, set_speed, overlay, set_overlay,
             pause_at_turn, set_pause_at_turn, advance, on_reset, on_quit, game.step_index)
    solara.Style(CSS)
    with solara.Div(classes=["game-columns"]):
        with solara.Div(classes=["side"]):
            if game.role != OBSERVE:
                with solara.Card(title=f"Your move as {game.role}"):
                    MovePanel(game, lambda text: set_notice((game.step_index, text)), tick)
                    with solara.Div(attributes={"aria-live": "polite"}):
                        if notice[1] and notice[0] == game.step_index:
                            solara.Success(notice[1], classes=["move-ok"])
                    for k, call in enumerate(game.queued):
                        with solara.Row(style={"align-items": "center"}):
                            solara.Text(f"queued: {call.move.replace('_', ' ')} "
                                        f"{call.target or ''}", classes=["queued"])
                            solara.Button("Cancel", text=True, classes=["cancel-move"],
                                          on_click=lambda k=k: cancel(k))
            NewsFeed(game, tick)
            if game.role != OBSERVE:
                Position(game, tick)
                Hints(game)
            Timeline(game, tick)
        with solara.Div(classes=["main"]):
            if game.finished or game.reference is not None:
                ScoreCard(game, book, overlay, tick)
            if game.finished:
                Debrief(game)
            solara.ToggleButtonsSingle(value=tab, values=list(TABS), on_value=set_tab,
                                       classes=["chart-tabs"])
            with solara.Row(style={"flex-wrap": "wrap"}):
                for spec in TABS[tab]:
                    Chart(book, spec.key, overlay, tick)


def steps_due(rate: float, elapsed: float, done: int) -> int:
    """Steps to make now when playing at ``rate`` steps/s for ``elapsed`` seconds with ``done``
    made: the first at once, then on the clock, so that time spent redrawing the charts is
    caught up rather than lost; at most a second's worth at a time (0: nothing due yet)."""
    return int(min(int(rate * elapsed) + 1 - done, rate))


def status(game: Game) -> str:
    if game.finished:
        return f"finished after {game.step_index} {game.scenario.calendar.step}s"
    turns = -(-game.horizon // game.turn_steps)
    return (f"turn {game.turn} of {turns} · next: {game.label(game.step_index)} · "
            f"{game.step_index} of {game.horizon} steps done")


@solara.component
def Controls(game, playing, set_playing, speed, set_speed, overlay, set_overlay,
             pause_at_turn, set_pause_at_turn, advance, on_reset, on_quit, step: int):
    """The buttons; ``step`` (the steps made) re-renders them after each advance."""
    done = game.finished
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button("Step", on_click=lambda: advance(1), disabled=done or playing,
                      classes=["step-button"])
        solara.Button("End turn", on_click=lambda: advance(game.steps_to_turn_end()),
                      disabled=done or playing, classes=["turn-button"])
        if playing:
            solara.Button("Pause", on_click=lambda: set_playing(False), color="warning",
                          classes=["pause-button"])
        else:
            solara.Button("Play", on_click=lambda: set_playing(True), disabled=done,
                          color="primary", classes=["play-button"])
        ConfirmReset(game, on_reset)
        solara.Button("New game", on_click=on_quit, outlined=True)
        solara.FileDownload(lambda: save_game(game), filename=saved_name(game),
                            label="Save the game", mime_type="application/x-yaml")
        solara.Select(label="Speed", values=list(SPEEDS), value=speed, on_value=set_speed,
                      style={"max-width": "200px"})
        solara.Checkbox(label="Overlay the no-policy baseline", value=overlay,
                        on_value=set_overlay)
        solara.Checkbox(label="Pause at the end of each turn", value=pause_at_turn,
                        on_value=set_pause_at_turn)


@solara.component
def ConfirmReset(game: Game, on_reset: Callable[[], None]):
    """Reset asks first once a step has been made (a finished game is not wiped by a slip)."""
    asking, set_asking = solara.use_state(False)
    if not asking:
        solara.Button("Reset", classes=["reset-button"],
                      on_click=lambda: on_reset() if game.step_index == 0 else set_asking(True))
        return
    solara.v.Html(tag="span", attributes={"role": "alert"}, class_="reset-question",
                  children=[f"Start this game again and lose {game.step_index} steps?"])
    solara.Button("Yes, reset", color="error", classes=["reset-confirm"], on_click=on_reset)
    solara.Button("Keep playing", text=True, on_click=lambda: set_asking(False))
