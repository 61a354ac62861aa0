"""Move forms generated from the move registry (``sim.MOVES``).

The player chooses one of exactly the role's moves; the form shows the move's explanation, a
target picker offering only names of the kinds the move targets, and one typed, labelled field
per parameter with its range. Submitting queues the move for the next step; a refused move
shows the engine's reason (:class:`~sim.errors.MoveError`) next to the button. Below the
button, the move's cost to the role itself, measured one turn ahead over several draws of the
future (a median and a 10–90% band) in a thread of its own
(:func:`sim.play.whatif.move_cost`); with a ``moves_per_turn`` limit, the moves left.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

import solara

from dashboards.prose import Prose
from sim import MOVES, MoveError
from sim.markup import markdown_html
from sim.play.session import Game
from sim.play.whatif import SEEDS, Cost, move_cost
from sim.rules.params import Param

NO_TARGET = "(all / none)"
ALL_PRODUCTS = "all"
MEASURE_AFTER = 0.4  # seconds the form rests before its cost is measured
FINAL_GOODS = "final goods"  # a tariff's component field: none, the tariff is on final goods


def target_choices(game: Game, move: str) -> list[str]:
    """Names the move may target now: of the kinds it targets (firm, supplier, country,
    component) and where it can take effect against the current state with its default
    parameters (no delisting an unlisted firm, no qualifying a supplier that already is one)."""
    w, spec = game.model.world, MOVES[move]
    kinds = {"firm": w.firms, "supplier": w.suppliers, "country": w.countries,
             "component": w.components}
    names = [n for kind in spec.targets for n in kinds[kind] if n != game.role]
    names = [n for n in names if game.feasibility(move, n) is None]
    return ([NO_TARGET] if spec.target_optional else []) + names


def field_label(p: Param) -> str:
    """"license_rate (0–1)": the name and the range a field accepts."""
    if p.min is None and p.max is None:
        return p.name
    lo = "" if p.min is None else f"{p.min:g}"
    hi = "" if p.max is None else f"{p.max:g}"
    return f"{p.name} ({lo}–{hi})"


@solara.component
def ParamField(p: Param, value: Any, on_value: Callable[[Any], None], game: Game):
    """One typed, labelled field for a move parameter.

    Number fields follow the typing (``continuous_update``): a field that commits only on
    Enter or on leaving it has its last committed value put back by any redraw in between
    (the move's cost arriving, a classroom's turn resolving), and what was typed is lost."""
    w = game.model.world
    label = field_label(p)
    if p.kind == "bool":
        solara.Checkbox(label=label, value=bool(value), on_value=on_value)
    elif p.kind == "int":
        solara.InputInt(label=label, value=value, on_value=on_value, continuous_update=True)
    elif p.kind == "float":
        solara.InputFloat(label=label, value=value, on_value=on_value,
                          continuous_update=True)
    elif p.kind == "countries":
        solara.SelectMultiple(label=f"{p.name} (none selected: all)", values=list(value or []),
                              all_values=list(w.countries),
                              on_value=lambda v: on_value(v or None))
    elif p.kind == "product":
        solara.Select(label=p.name, values=[ALL_PRODUCTS, *w.products],
                      value=value or ALL_PRODUCTS,
                      on_value=lambda v: on_value(None if v == ALL_PRODUCTS else v))
    elif p.kind == "component":
        solara.Select(label=p.name, values=[FINAL_GOODS, *w.components],
                      value=value or FINAL_GOODS,
                      on_value=lambda v: on_value(None if v == FINAL_GOODS else v))
    solara.Text(p.doc, style={"font-size": "0.8em", "color": "#444"})


@solara.component
def MoveDoc(doc: str):
    """A move's explanation: its first paragraph, in plain words, and the rule's full text
    behind a "details" link (docs/classroom/README.md: a phone shows the form first)."""
    plain, _, rest = doc.partition("\n\n")
    Prose(plain)
    if rest.strip():
        solara.HTML(tag="details", classes=["move-details"],
                    unsafe_innerHTML="<summary>details</summary>" + markdown_html(rest))


@solara.component
def MoveForm(game: Game, move: str, on_submitted: Callable[[str], None], tick: int = 0):
    """The form for one move; ``on_submitted`` gets a confirmation sentence."""
    spec = MOVES[move]
    targets = target_choices(game, move)
    target, set_target = solara.use_state(targets[0] if targets else None)
    values, set_values = solara.use_state({p.name: p.default for p in spec.params})
    error, set_error = solara.use_state("")
    solara.use_effect(lambda: set_error(""), [tick])  # a refusal is stale once the game moves
    if target not in targets:  # the state moved on: that target is no longer feasible
        target = targets[0] if targets else None

    def submit():
        given = {k: v for k, v in values.items()
                 if v != next(p.default for p in spec.params if p.name == k)}
        try:
            call = game.submit(move, None if target == NO_TARGET else target, given)
        except MoveError as exc:
            set_error(f"Refused: {exc}")
            on_submitted("")  # an earlier "Queued" notice would read as this move's
            return
        set_error("")
        on_submitted(f"Queued for {game.label(game.step_index)}: {call.move.replace('_', ' ')}"
                     + (f" {call.target}" if call.target else ""))

    MoveDoc(spec.doc())
    no_target = not targets and not spec.target_optional and bool(spec.targets)
    limit = game.scenario.roles[game.role].moves_per_turn if game.role in game.scenario.roles \
        else None
    over = limit is not None and game.model.moves_this_turn(game.role) >= limit
    blocked = no_target or over
    chosen = None if target == NO_TARGET else target
    given = {k: v for k, v in values.items()
             if v != next(p.default for p in spec.params if p.name == k)}
    # the move's measured cost to the role itself, recomputed when the game or the form moves;
    # in a thread of its own (two model copies stepped a turn ahead per draw of the future),
    # never on the render path.
    # It starts after a pause (while the game plays, each redraw would start another and the
    # measures would take the CPU the play loop needs) and stops between steps when the game
    # or the form moves on. One state change when the cost arrives, nothing else: a class of
    # 40 pages redraws after every turn, and each extra render of the form costs them all
    question = (game.step_index, move, chosen, tuple(sorted(given.items(), key=str)), blocked)
    answer, set_answer = solara.use_state(cast(tuple[tuple, Cost | None] | None, None))

    def start_measure():
        if blocked:
            return None
        cancel = threading.Event()

        def measure():
            if cancel.wait(MEASURE_AFTER):
                return
            game.wait_quiet(cancel)  # a classroom: after the class's pages have redrawn
            if cancel.is_set():
                return
            cost = move_cost(game, move, chosen, given, cancel=cancel)
            if not cancel.is_set():
                set_answer((question, cost))

        threading.Thread(target=measure, daemon=True).start()
        return cancel.set

    solara.use_effect(start_measure, list(question))
    cost = answer[1] if answer is not None and answer[0] == question else None
    measuring = not blocked and (answer is None or answer[0] != question)
    if no_target:
        solara.Warning("No target where this move can take effect now.",
                       classes=["move-none"])
    if targets:
        solara.Select(label=f"Target ({' or '.join(spec.targets)})", values=targets,
                      value=target, on_value=set_target)
    for p in spec.params:
        ParamField(p, values[p.name], lambda v, name=p.name: set_values({**values, name: v}),
                   game)
    # the limit is known when the form is drawn; the cost arrives later, from its thread, so
    # it goes below the button: text appearing above it would move the button under a
    # pointer on its way to it (a click landing on the text instead is lost); the limit's
    # Div is always there (perhaps empty), so that the button keeps its place among its
    # siblings and is never re-created
    with solara.Div(classes=["move-notes"]):
        if over:
            solara.Warning(f"Refused before Step: {game.role} may make at most {limit} move"
                           f"{'s' if limit and limit > 1 else ''} per turn; this turn's are "
                           "made or queued (cancel one, or end the turn).",
                           classes=["move-limit"])
    solara.Button("Make this move", on_click=submit, color="primary",
                  disabled=game.finished or blocked, classes=["move-submit"])
    note = {"display": "block", "font-size": "0.9em", "margin": "4px 0"}
    if cost is not None:
        solara.Text("Cost to you — " + cost.sentence(game.scenario.calendar.step),
                    classes=["move-cost"], style=note)
    elif measuring:
        solara.Text(f"Cost to you — measuring one turn ahead over {SEEDS} draws of the "
                    "future…", classes=["move-measuring"], style=note)
    if error:
        solara.Error(error, classes=["move-error"], attributes={"aria-live": "assertive"})


@solara.component
def MovePanel(game: Game, on_submitted: Callable[[str], None], tick: int = 0):
    """Exactly the role's moves, and the form of the chosen one (``tick``: re-render)."""
    moves = game.role_moves()
    move, set_move = solara.use_state(moves[0] if moves else None)
    if not moves:
        solara.Text("Observing: no moves. Actors follow their strategies.")
        return
    solara.Select(label="Move", values=moves, value=move, on_value=set_move)
    limit = game.scenario.roles[game.role].moves_per_turn
    if limit is not None:
        made = game.model.moves_this_turn(game.role)
        solara.Text(f"Moves this turn: {made} of {limit}", classes=["moves-left"],
                    style={"display": "block", "font-weight": "bold"})
    MoveForm(game, move, on_submitted, tick).key(f"form-{move}")
