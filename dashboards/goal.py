"""The role's goal on the play page, the classroom's team page and its debrief: what the role
is trying to do, the score's parts with their meaning and the target to beat, all generated
by :mod:`sim.rules.goals` (docs/play.md, "Your goal"). One HTML widget per goal: a class's
pages redraw after every turn and each extra widget costs them all."""

from __future__ import annotations

import html

import solara

from sim.play.goal import goal_words, target
from sim.play.scoring import shown, unit
from sim.scenario import Scenario

STYLE = ("display: block; padding: 12px 16px; margin: 8px 0; border-radius: 4px; "
         "background: #f4f8fb; border-left: 4px solid #0072B2;")
MEASURING = object()  # the target is being measured


def target_text(spec: Scenario, role: str, value: float | None | object) -> str:
    """"Target to beat: +3.71 points, what US really did …" (or why there is none)."""
    if value is MEASURING:
        return "Target to beat: measuring history's score…"
    if value is None:
        return (f"Target to beat: 0 {unit(spec, role)}, doing nothing ({role} has no "
                "history in this scenario).")
    assert isinstance(value, float)
    return (f"Target to beat: {shown(value)} {unit(spec, role)}, what {role} really did "
            "(its scripted history) against doing nothing, over the whole game.")


def goal_html(spec: Scenario, role: str, value: float | None | object,
              score: float | None = None) -> str:
    """The goal as HTML (escaped): the sentence, the target, the score's parts (folded,
    one click away; open on the debrief), and with a ``score`` (the debrief) the score set
    against the target."""
    g = goal_words(spec, role)
    body = f"<div class='goal-text' style='font-weight: 500'>{html.escape(g.text)}</div>"
    body += (f"<div class='goal-target' style='font-weight: 500; margin-top: 6px'>"
             f"{html.escape(target_text(spec, role, value))}</div>")
    rows = "".join(f"<li><b>{html.escape(k)}</b> (weight {w:.2f}): {html.escape(m)}</li>"
                   for k, w, m in g.parts)
    body += (f"<details class='goal-details'{' open' if score is not None else ''}>"
             "<summary style='cursor: pointer; margin-top: 6px'>What the score is made of"
             f"</summary><ul class='goal-parts' style='margin: 2px 0 6px 0'>{rows}</ul>"
             "</details>")
    if score is not None and value is not MEASURING:
        mark = 0.0 if value is None else float(value)  # type: ignore[arg-type]
        verdict = "above" if score > mark else "below" if score < mark else "level with"
        body += (f"<div class='goal-result'>Scored {shown(score)} {unit(spec, role)}: "
                 f"{verdict} the target.</div>")
    return body


@solara.component
def GoalPanel(spec: Scenario, role: str, seed: int, title: str = "Your goal",
              score: float | None = None):
    """The role's goal (and, given its ``score``, how it did); the target arrives from a
    thread (two whole runs: off the render path), measured once per scenario, role and seed
    (:func:`sim.play.goal.target`)."""
    result = solara.use_thread(lambda: target(spec, role, seed),
                               dependencies=[id(spec), role, seed], intrusive_cancel=False)
    value = result.value if result.state == solara.ResultState.FINISHED else MEASURING
    head = (f"<div class='panel-title' style='font-size: 1.15rem; font-weight: 500; "
            f"margin-bottom: 4px'>{html.escape(title)}</div>")
    solara.HTML(tag="div", unsafe_innerHTML=head + goal_html(spec, role, value, score),
                classes=["goal-panel"], style=STYLE)
