"""What a game's news feed, its timeline and its charts' move markers say: plain functions of
the played model's log and recorders (a mixin of :class:`~sim.play.session.Game`)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.engine.attribution import causes
from sim.engine.metrics import FIRM, SUPPLIER
from sim.engine.model import TradeModel
from sim.engine.policy import happened
from sim.play.roles import OBSERVE
from sim.rules.moves import MoveCall
from sim.scenario import Scenario

EFFECT_THRESHOLD = 0.05  # a gap to the baseline moving by 5 points makes the news
MAX_EFFECTS = 4  # per turn


@dataclass(frozen=True)
class NewsItem:
    """One line of the news feed."""

    step: int
    text: str
    kind: str  # "move" (a move took effect), "effect" (what it did), "refused"


class News:
    """The news of a game (the attributes below are the session's)."""

    scenario: Scenario
    role: str
    model: TradeModel
    baseline: TradeModel
    _effects: dict[int, list[NewsItem]]
    _gaps: dict[str, float]

    def label(self, step: int) -> str:
        """"Week 41 (2019-10-07)" for a 0-based step."""
        unit = self.scenario.calendar.step.capitalize()
        return f"{unit} {step} ({self.scenario.date_of(step).isoformat()})"

    def news(self) -> list[NewsItem]:
        """Every move that took effect or was refused, and each turn's effects, oldest first."""
        items = [NewsItem(step, text, "refused" if " refused: " in text else "move")
                 for step, text in self.model.news]
        for effects in self._effects.values():
            items += effects
        items = list(dict.fromkeys(items))  # each line once (NewsItem is frozen: hashable)
        return sorted(items, key=lambda i: (i.step, i.kind == "effect"))

    def _turn_effects(self, end: int) -> list[NewsItem]:
        """What the policy did to firms' and suppliers' sales over the turn ending at step
        ``end``: revenue against the no-policy baseline, reported when the gap has moved by
        at least 5 points since it was last reported; largest first."""
        start = max(0, end - self.scenario.turn_steps)
        rows = []
        for group, metrics in (("supplier", SUPPLIER), ("firm", FIRM)):
            i = list(metrics).index("revenue")
            played = self.model.recorder.data[group][start:end, i].mean(0)
            base = self.baseline.recorder.data[group][start:end, i].mean(0)
            for j, name in enumerate(self.model.recorder.entities[group]):
                if base[j] <= 1e-9:
                    continue
                gap = played[j] / base[j] - 1
                if abs(gap - self._gaps.get(name, 0.0)) >= EFFECT_THRESHOLD:
                    rows.append((abs(gap), name, gap))
        rows.sort(reverse=True)
        items = []
        for _, name, gap in rows[:MAX_EFFECTS]:
            self._gaps[name] = gap
            text = (f"{name} loses {-gap:.0%} of its sales against" if gap < 0 else
                    f"{name}'s sales are {gap:.0%} above")
            items.append(NewsItem(end - 1, text + " the no-policy baseline this turn"
                                  + self._cause(name, end), "effect"))
        return items

    def _upcoming(self) -> list[tuple[int, MoveCall]]:
        return [(step, call) for step in sorted(self.model.events) if step >= self.model.step_index
                for call in self.model.events[step]]

    def _public(self, call: MoveCall) -> bool:
        """An observer sees every scheduled move; a player sees others' announcements, and
        the moves against a target once it has been announced (it took effect)."""
        if self.role == OBSERVE or call.move == "announce":
            return True
        return any(e.call.move == "announce" and e.call.target == call.target
                   for e in self.model.log)

    def _cause(self, entity: str, end: int) -> str:
        """", since US entity list Hikvision (week 0)": the first two hostile moves so far that
        touched ``entity``'s own links or market (:func:`sim.engine.attribution.causes`); when none
        did, the change came through its market: ", as buyers switch after ..." names the
        latest two moves that touched its trading partners or its product's other makers."""
        own = [e for e in causes(self.model, entity, 0, end) if e.hostile]
        moves = own or sorted({id(e): e for n in self._partners(entity)
                               for e in causes(self.model, n, 0, end) if e.hostile}.values(),
                              key=lambda e: e.step)
        if not moves:
            return ""
        unit = self.scenario.calendar.step
        last = [f"{e.call.actor} {e.call.move.replace('_', ' ')}"
                + (f" {e.call.target}" if e.call.target else "") + f" ({unit} {e.step})"
                for e in sorted(moves[:2] if own else moves[-2:], key=lambda e: e.step)]
        lead = ", since " if own else ", as buyers switch after "
        return lead + " and ".join(dict.fromkeys(last))

    def _partners(self, entity: str) -> list[str]:
        """The firms a supplier sells to, or the other makers of a firm's product."""
        w, links = self.model.world, self.model.links
        kind, i = w.index.get(entity, ("", -1))
        if kind == "supplier":
            return [w.firms[f] for f in sorted(set(links.firm[links.supplier == i].tolist()))]
        if kind == "firm":
            return [n for f, n in enumerate(w.firms)
                    if f != i and w.firm_product[f] == w.firm_product[i]]
        return []

    def timeline(self) -> list[tuple[int, str]]:
        """Scheduled moves the role can know of, from now on: (step, "Week 39 (2019-10-07):
        US entity list ..."). A conditional reply (``when:``, docs/scenarios.md, "Events")
        says so until its cause has taken effect ("— if an export control by US is made
        first"), then what it answers ("— answering an export control by US"); once its step
        has passed it leaves the timeline, and the news says whether it happened."""
        out = []
        for step, call in self._upcoming():
            if not self._public(call):
                continue
            params = ", ".join(f"{k} {v}" for k, v in call.params.items())
            text = f"{self.label(step)}: {call.actor} {call.move.replace('_', ' ')}"
            text += f" {call.target}" if call.target else ""
            text += f" ({params})" if params else ""
            chance = self.model.chance_of(call)
            notes = [self._condition(call), f"chance {chance:.0%}" if chance < 1 else ""]
            out.append((step, text + "".join(f" — {n}" for n in notes if n)))
        return out

    def _condition(self, call: MoveCall) -> str:
        """"if an export control by US is made first" while a scheduled reply's cause has not
        taken effect, "answering an export control by US" once it has; "" for other moves."""
        when = self.model.conditions.get(id(call))
        if when is None:
            return ""
        cause = when.move.replace("_", " ") + (f" by {when.by}" if when.by else "") + (
            f" on {when.target}" if when.target else "")
        cause = ("an " if cause[0] in "aeiou" else "a ") + cause
        if not self._waiting(call):
            return f"answering {cause}"
        return f"if {cause} is made first"

    def hidden_moves(self) -> int:
        """How many scheduled moves of others the role cannot see yet, but for replies whose
        cause has not taken effect (:meth:`hidden_replies`)."""
        return sum(not self._public(call) and not self._waiting(call)
                   for _, call in self._upcoming())

    def hidden_replies(self) -> int:
        """How many scheduled replies of others (``when:``) the role cannot see yet and whose
        cause has not taken effect: they may never be made."""
        return sum(not self._public(call) and self._waiting(call)
                   for _, call in self._upcoming())

    def _waiting(self, call: MoveCall) -> bool:
        """Whether ``call`` is a conditional reply whose cause has not taken effect."""
        when = self.model.conditions.get(id(call))
        return when is not None and not happened(self.model.log, when.move, when.by,
                                                 when.target)

    def markers(self) -> list[tuple[int, str]]:
        """(step, label) for chart markers: the moves that took effect, one entry per step."""
        by_step: dict[int, list[str]] = {}
        for e in self.model.log:
            text = f"{e.call.actor} {e.call.move.replace('_', ' ')}"
            by_step.setdefault(e.step, []).append(text + (f" {e.call.target}"
                                                          if e.call.target else ""))
        return [(step, "; ".join(dict.fromkeys(labels))) for step, labels in by_step.items()]
