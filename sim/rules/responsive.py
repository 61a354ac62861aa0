"""Governments that answer: the default strategy (``responsive``) and its relatives.

Every government a scenario gives no ``strategy:`` plays :class:`Responsive`: it answers each
hostile move against it after ``delay`` steps, in proportion to the harm done
(:func:`sim.rules.measures.harm`), escalates when the same country hits it again while an answer
is in force, and scales its answer down or lifts it when the cause is softened or lifted (a
licence, a delisting, a lifted tariff or ban). Its answer is the same vocabulary the other
government used: a tariff in kind, otherwise the move that costs the sender's side most per unit
of cost to its own (:func:`sim.rules.strategies.best_answer`); when every answer would cost it
more than it costs the sender it declines (the news says so), unless it is a ``deterrent``: then
it answers anyway, with the best ratio or a tariff. A hit that the government's own timeline
already answers (an event of its with a ``when:`` naming that move) is left to the timeline, so
a scripted reply and the default never answer the same move twice.

The relatives, after Axelrod's tournaments (Axelrod 1984; Nowak & Sigmund 1992):
``grim_trigger`` (answers in full, never lifts), ``generous_tit_for_tat`` (answers each hit in
kind but forgives some, lifts when the sender lifts) and ``proportional_cap`` (in proportion,
at most ``cap``, never escalating). docs/scenarios.md ("Strategies") lists their parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sim.rules.measures import harm, in_force, scaled
from sim.rules.moves import MoveCall
from sim.rules.params import Param
from sim.rules.strategies import (
    DELAY,
    DETERRENT,
    SCALE,
    SHARE,
    STRATEGIES,
    Strategy,
    best_answer,
)

if TYPE_CHECKING:
    from sim.engine.model import LoggedMove, TradeModel

TOLERANCE = 0.05  # a change in a cause's strength smaller than this does not move the answer


@dataclass
class Answer:
    """An answer in force: what it answers (an index into ``model.log``), whom, with what
    move at full strength, the harm of its cause, and its cause's strength when last
    revised."""

    cause: int
    sender: int
    call: MoveCall
    harm: float
    force: float = 1.0


class Answering(Strategy):
    """Base of the answering strategies: sees hostile moves against its country, answers each
    after ``delay`` steps, and (when ``lifts``) follows its causes down and up.

    Subclasses say how strong an answer is (:meth:`strength`, :meth:`tariff_rate`) and may
    skip a hit (:meth:`take`) or learn from every move (:meth:`learn`). Answers act through
    instruments (a move on a target); each instrument holds the strongest answer in force
    that uses it (:meth:`sync`). The state is plain data, so a strategy pickles and copies;
    re-running ``__init__`` resets it.
    """

    actors = ("government",)
    lifts = True

    def __init__(self, **values: Any):
        super().__init__(**values)
        self.seen = 0  # moves of model.log already looked at
        self.queue: list[tuple[int, int, float]] = []  # (due step, index into model.log, harm)
        self.answers: list[Answer] = []
        self.strikes: dict[int, int] = {}  # sender -> hits answered while in conflict
        self.covered: list[tuple[str, str | None, str | None]] | None = None
        self.applied: dict[tuple[str, str | None], tuple[float, MoveCall]] = {}

    # -- hooks ---------------------------------------------------------------------------
    def strength(self, harm: float, strikes: int) -> float:
        """Share closed by the answer to a hit of ``harm``, the sender's ``strikes``-th."""
        raise NotImplementedError

    def tariff_rate(self, rate: float, strikes: int) -> float:
        """Rate of the tariff that answers a tariff of ``rate``."""
        return rate

    def take(self, model: TradeModel, actor: int, entry: LoggedMove) -> bool:
        """Whether to answer this hit at all (all of them by default)."""
        return True

    def learn(self, model: TradeModel, actor: int, entry: LoggedMove) -> None:
        """See every move that took effect (nothing by default)."""

    # -- the decision --------------------------------------------------------------------
    def decide(self, model: TradeModel, actor: int) -> list[MoveCall]:
        self.observe(model, actor)
        if self.lifts:
            self.revise(model, actor)
        self.answer_due(model, actor)
        return self.sync()

    def observe(self, model: TradeModel, actor: int) -> None:
        """Queue an answer to each new hostile move against ``actor`` that harms it."""
        log = model.log
        for i in range(self.seen, len(log)):
            entry = log[i]
            self.learn(model, actor, entry)
            sender = entry.actor_country
            if not (entry.hostile and actor in entry.victims and sender is not None
                    and sender != actor) or self.scripted(model, actor, entry):
                continue
            h = harm(model, actor, entry)
            if h <= 0 or self.repeats(model, entry, h) or not self.take(model, actor, entry):
                continue
            self.queue.append((entry.step + self.values["delay"], i, h))
        self.seen = len(log)

    def scripted(self, model: TradeModel, actor: int, entry: LoggedMove) -> bool:
        """Whether ``actor``'s own timeline answers this move (an event of its whose
        ``when:`` names it)."""
        if self.covered is None:
            me = model.world.countries[actor]
            self.covered = [(e.when.move, e.when.by, e.when.target) for e in model.spec.events
                            if e.by == me and e.when is not None]
        sender = entry.actor_country
        assert sender is not None
        by = model.world.countries[sender]
        return any(move == entry.call.move and who in (None, by)
                   and target in (None, entry.call.target)
                   for move, who, target in self.covered)

    def repeats(self, model: TradeModel, entry: LoggedMove, h: float) -> bool:
        """A move made again on the same target, no harder than before, is no new hit."""
        log = model.log
        causes = [(log[i], old) for _, i, old in self.queue]
        causes += [(log[a.cause], a.harm) for a in self.answers]
        return any(c.actor_country == entry.actor_country and c.call.move == entry.call.move
                   and c.call.target == entry.call.target and h <= old + 1e-12
                   for c, old in causes)

    def revise(self, model: TradeModel, actor: int) -> None:
        """Follow each answer's cause: drop the answers whose cause is lifted, or softened
        below ``TOLERANCE`` of its strength (the sender counts one strike less), and record
        the strength of the others' causes."""
        kept = []
        for a in self.answers:
            a.force = in_force(model, model.log[a.cause], actor)
            if a.force <= TOLERANCE:
                self.strikes[a.sender] = max(0, self.strikes.get(a.sender, 0) - 1)
            else:
                kept.append(a)
        self.answers = kept

    def answer_due(self, model: TradeModel, actor: int) -> None:
        """Add the answers whose delay is over, to causes still in force."""
        now = model.step_index
        due = [(i, h) for step, i, h in self.queue if step <= now]
        self.queue = [q for q in self.queue if q[0] > now]
        for i, h in due:
            entry = model.log[i]
            force = in_force(model, entry, actor)
            if force <= TOLERANCE:  # lifted before the answer was due
                continue
            sender = entry.actor_country
            assert sender is not None
            self.strikes[sender] = self.strikes.get(sender, 0) + 1
            call = self.choose(model, actor, entry, h, self.strikes[sender])
            if call is not None:
                self.answers.append(Answer(i, sender, call, h, force))

    def sync(self) -> list[MoveCall]:
        """The moves that bring each instrument (a move on a target) to the strongest answer
        in force that uses it, or lift it when none does: two answers on one instrument
        (the same export control, the same ban) never weaken each other."""
        best: dict[tuple[str, str | None], tuple[float, MoveCall]] = {}
        for a in self.answers:
            key, level = instrument(a.call), power(a.call) * a.force
            call = scaled(a.call, a.force) if a.force < 1 - TOLERANCE else a.call
            if key not in best or level > best[key][0]:
                best[key] = (level, call)
        calls = []
        for key, (level, call) in best.items():
            if key not in self.applied or abs(self.applied[key][0] - level) > TOLERANCE:
                calls.append(call)
                self.applied[key] = (level, call)
        for key in [k for k in self.applied if k not in best]:
            calls.append(scaled(self.applied.pop(key)[1], 0.0))
        return calls

    def choose(self, model: TradeModel, actor: int, entry: LoggedMove, h: float,
               strikes: int) -> MoveCall | None:
        """A tariff in kind; otherwise the best answer at :meth:`strength`, or a tariff."""
        w, sender = model.world, entry.actor_country
        assert sender is not None
        me, them = w.countries[actor], w.countries[sender]
        if entry.call.move == "tariff" and entry.params.get("component") is None:
            rate = self.tariff_rate(entry.params["rate"], strikes)
            return MoveCall(me, "tariff", them, {"rate": rate}, source="strategy")
        share = self.strength(h, strikes)
        if share < TOLERANCE:  # too small a hit to answer
            return None
        deterrent = bool(self.values.get("deterrent", False))
        best = best_answer(model, actor, sender, share, deterrent)
        if best is not None:
            return best
        if deterrent:
            return MoveCall(me, "tariff", them, {"rate": share}, source="strategy")
        # every answer would cost it more than the sender: it declines (docs/model.md,
        # "Strategies"), as tit_for_tat does
        model.news.append((model.step_index, f"{me} does not answer {them}'s "
                           f"{entry.call.move.replace('_', ' ')}: every answer would cost it "
                           f"more than it costs {them}."))
        return None


def instrument(call: MoveCall) -> tuple[str, str | None]:
    """What an answer acts through: its move and target (one state each in the model)."""
    return call.move, call.target


def power(call: MoveCall) -> float:
    """An answer's strength: the share closed or cut, or the tariff rate."""
    p = call.params
    if call.move in ("entity_list", "export_control"):
        return 1.0 - float(p.get("license_rate", 0.0))
    return float(p.get("share", p.get("rate", 0.0)))


def _cap(x: float, cap: float) -> float:
    return float(min(max(x, 0.0), cap))


@STRATEGIES.register
class Responsive(Answering):
    """The default for a government: answers every hostile move in proportion to its harm.

    After `delay` steps it answers a move that harms it: a tariff with a tariff of `scale`
    times its rate, anything else with the move that costs the sender's side most per unit of
    cost to its own, closing `scale` times the share of its trade the move touched. Each
    further hit by the same country while an answer is in force multiplies the answer by
    `escalation`; nothing goes beyond `cap` (a share closed, or a tariff rate). It lifts its
    answer when the cause is lifted (a delisting, a lifted tariff or ban) and scales it down
    while a licence softens the cause.
    """

    name = "responsive"
    params = (
        DELAY,
        SCALE,
        Param("escalation", "float", 1.5, "factor applied for each further hit while in "
                                          "conflict", 1.0, 10.0),
        Param("cap", "float", 1.0, "largest share closed or tariff rate", 0.0, 10.0),
        DETERRENT,
    )

    def _factor(self, strikes: int) -> float:
        return self.values["scale"] * self.values["escalation"] ** (strikes - 1)

    def strength(self, harm, strikes):
        return _cap(harm * self._factor(strikes), min(1.0, self.values["cap"]))

    def tariff_rate(self, rate, strikes):
        return _cap(rate * self._factor(strikes), self.values["cap"])


@STRATEGIES.register
class ProportionalCap(Answering):
    """Answers in proportion to the harm, never escalating, never beyond `cap`.

    Like `responsive` with no escalation: the answer closes `scale` times the share of its
    trade the hostile move touched (a tariff: `scale` times its rate), at most `cap`, and
    follows its cause down and up (lifted with it, scaled while a licence softens it).
    """

    name = "proportional_cap"
    params = (
        DELAY,
        SCALE,
        Param("cap", "float", 0.5, "largest share closed or tariff rate", 0.0, 10.0),
        DETERRENT,
    )

    def strength(self, harm, strikes):
        return _cap(harm * self.values["scale"], min(1.0, self.values["cap"]))

    def tariff_rate(self, rate, strikes):
        return _cap(rate * self.values["scale"], self.values["cap"])


@STRATEGIES.register
class GrimTrigger(Answering):
    """Once hit, answers in full and never forgives.

    After `delay` steps it answers every hostile move that harms it, closing `share` of the
    sender's most exposed flow (a tariff: in kind, at least `share`), and never lifts an
    answer, whatever the sender does afterwards.
    """

    name = "grim_trigger"
    lifts = False
    params = (
        DELAY,
        replace(SHARE, default=1.0),
        DETERRENT,
    )

    def strength(self, harm, strikes):
        return self.values["share"]

    def tariff_rate(self, rate, strikes):
        return max(rate, self.values["share"])


@STRATEGIES.register
class GenerousTitForTat(Answering):
    """Answers in kind, forgives some hits, and lifts its answer when the sender lifts.

    Each hostile move that harms it is answered after `delay` steps (a tariff by the same
    tariff, anything else by closing `share` of the sender's most exposed flow) except with
    probability `generosity`, drawn from the model's generator, when it lets the move pass
    (Nowak & Sigmund 1992: forgiving a third of defections ends echoes of retaliation). When
    the cause is lifted it lifts its answer.
    """

    name = "generous_tit_for_tat"
    params = (
        DELAY,
        SHARE,
        Param("generosity", "float", 0.3, "chance of letting a hostile move pass", 0.0, 1.0),
        DETERRENT,
    )

    def take(self, model, actor, entry):
        return bool(model.rng.random() >= self.values["generosity"])

    def strength(self, harm, strikes):
        return self.values["share"]
