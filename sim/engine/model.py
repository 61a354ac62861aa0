"""The trade model: one step = one period (a week by default) in eight named phases.

Governments, firms and suppliers (:mod:`sim.engine.agents`) act on a restriction state
(:mod:`sim.engine.policy`); the flows are computed by pure functions (:mod:`sim.engine.market`)
over arrays (:mod:`sim.engine.world`, :mod:`sim.engine.state`). The mechanics and their sources
are in docs/model.md.
"""

from __future__ import annotations

import copy
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.agent import AgentSet

from sim.engine import phases
from sim.engine.agents import Firm, Government, Supplier
from sim.engine.links import Links
from sim.engine.metrics import Recorder
from sim.engine.policy import PolicyState, happened
from sim.engine.state import State, initial_state
from sim.engine.world import World, compile_world
from sim.errors import MoveError
from sim.rules.moves import (
    MOVES,
    CheckedMove,
    MoveCall,
    apply_move,
    check_move,
    feasibility,
    finish_redesigns,
)
from sim.rules.strategies import DEFAULT_FIRM, DEFAULT_GOVERNMENT, STRATEGIES
from sim.scenario import Scenario, load_scenario


@dataclass(frozen=True)
class LoggedMove:
    """A move that took effect: when, what, and whom it hit."""

    step: int
    call: MoveCall
    news: str
    params: dict[str, Any] = field(default_factory=dict)
    actor_country: int | None = None
    target_kind: str | None = None
    victims: tuple[int, ...] = ()
    hostile: bool = False


class TradeModel(mesa.Model):
    """A trade-policy scenario as a Mesa model.

    Args:
        scenario: a loaded :class:`~sim.scenario.Scenario`, or a path to a YAML file.
        rng: seed or generator (Mesa's interface); default: the scenario's ``seed``.
        players: actors played by humans; their strategies are switched off.
        steps: horizon (default: the scenario's ``steps``).

    Moves by players: :meth:`submit` before a :meth:`step`. Results: ``recorder`` (every metric
    of every step), ``news`` and ``log``.
    """

    spec: Scenario
    horizon: int
    world: World
    policy: PolicyState
    links: Links
    state: State
    recorder: Recorder

    @classmethod
    def no_policy(cls, scenario: Scenario, rng: Any = None,
                  steps: int | None = None) -> TradeModel:
        """The no-policy run of ``scenario`` (:meth:`Scenario.without_policy`: no timeline,
        every government scripted), the same seed: what a score, a headline, a sweep's
        baseline and a chart's reference line are measured against (docs/architecture.md,
        "The session"). The one place it is built."""
        return cls(scenario=scenario.without_policy(), rng=scenario.seed if rng is None else rng,
                   steps=steps)

    def __init__(self, *, scenario: Scenario | str | Path, rng: Any = None,
                 players: tuple[str, ...] | list[str] = (), steps: int | None = None):
        spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        super().__init__(rng=spec.seed if rng is None else rng)
        self.spec = spec  # Mesa keeps `self.scenario` for its own Scenario class
        self.horizon = spec.steps if steps is None else int(steps)
        self.players = frozenset(players)
        self.world = w = compile_world(spec)
        self.policy = PolicyState(w)
        self.links = Links(w, w.sources, spec.model.sourcing_sensitivity)
        self.state = initial_state(spec, w, self.links)
        self.step_index = 0
        self.log: list[LoggedMove] = []
        self.news: list[tuple[int, str]] = []
        self.pending: list[MoveCall] = []
        self.events: dict[int, list[MoveCall]] = defaultdict(list)
        # a human-played actor's scripted events are the historical record, shown as hints,
        # never moves made for the player
        self.hints: list[tuple[int, str]] = []
        self._init_chance(spec)
        self.conditions: dict[int, Any] = {}  # id of an event call -> its `when:`
        for e in spec.events:
            call = MoveCall(e.by, e.move, e.target, e.values, source="event")
            if e.by in self.players:
                self.hints.append((spec.step_of(e.at), _hint(call, e.at, e.when)))
            else:
                self.events[spec.step_of(e.at)].append(call)
                self._draw_chance(call, e)
                if e.when is not None:
                    self.conditions[id(call)] = e.when
        self.hints.sort()
        self._make_agents()
        self.recorder = Recorder(self)

    def _make_agents(self) -> None:
        spec, w = self.spec, self.world
        self.governments = [
            Government(self, g, name, None if name in self.players else
                       _strategy(spec.countries[name].strategy, DEFAULT_GOVERNMENT))
            for g, name in enumerate(w.countries)]
        self.firms = [
            Firm(self, f, name, None if name in self.players else
                 _strategy(spec.firms[name].strategy, DEFAULT_FIRM))
            for f, name in enumerate(w.firms)]
        self.suppliers = [Supplier(self, s, name) for s, name in enumerate(w.suppliers)]
        acting = [a for a in self.governments + self.firms
                  if a.strategy is not None and type(a.strategy).decide is not
                  STRATEGIES["scripted"].decide]
        self.acting = AgentSet(acting, random=self.random)

    # -- moves -----------------------------------------------------------------------------
    def submit(self, call: MoveCall) -> None:
        """Queue a player's move for the next step's policy phase.

        Raises:
            MoveError: the actor is not played here, or the move is not one it may make, or a
                target or parameter is wrong, or the current state refuses it (delisting a firm
                that is not listed): checked now, so a form can say why at once.
        """
        if call.actor not in self.players:
            raise MoveError(f"{call.actor!r} is not played by a human in this game")
        role = self.spec.roles.get(call.actor)
        if role is not None and call.move not in role.moves:
            raise MoveError(f"{call.actor} may not make {call.move!r} "
                            f"(allowed: {', '.join(role.moves)})")
        reason = feasibility(self, call)
        if reason is not None:
            raise MoveError(reason)
        self._check_moves_per_turn(call, role)
        self.pending.append(call)

    def clash(self, call: MoveCall, earlier: list[MoveCall] | None = None) -> str | None:
        """Why ``call`` would be refused once the player's moves queued before it this turn
        took effect, naming the one it clashes with (qualifying a supplier already being
        qualified), or the moves-per-turn limit they reach; None when it would take effect.

        A turn's moves take effect one after another, each checked against the state the ones
        before it left (:meth:`make_move`); they are made here on a copy of the model, by that
        same path, so a form can refuse the move at once. ``earlier`` defaults to the actor's
        queued moves.
        """
        if earlier is None:
            earlier = [c for c in self.pending if c.actor == call.actor]
        if not earlier:
            return None
        model = copy.deepcopy(self)
        model.pending = [c for c in model.pending if c.actor != call.actor]
        for c in earlier:
            model.make_move(c)
            reason = feasibility(model, call)
            if reason is not None:
                return f"it clashes with your pending move this turn ({c.text()}): {reason}"
        try:  # the moves-per-turn limit counts the earlier moves, made now
            model.submit(call)
        except MoveError as exc:
            return str(exc)
        return None

    # -- moves per turn (docs/model.md, "Game rules"): a role may be limited to a few a turn --
    def moves_this_turn(self, actor: str) -> int:
        """The player's moves that took effect in the current turn, plus those queued."""
        t = self.spec.turn_steps
        turn = self.step_index // t
        made = sum(1 for e in self.log if e.call.actor == actor and e.call.source == "player"
                   and e.step // t == turn)
        return made + sum(1 for c in self.pending if c.actor == actor)

    def _check_moves_per_turn(self, call: MoveCall, role: Any) -> None:
        limit = getattr(role, "moves_per_turn", None)
        if limit is not None and self.moves_this_turn(call.actor) >= limit:
            raise MoveError(f"{call.actor} may make at most {limit} move"
                            f"{'s' if limit > 1 else ''} per turn, and has made or queued "
                            f"{self.moves_this_turn(call.actor)} this turn")

    # -- chance events (docs/model.md, "Game rules"): an event happens with its probability --
    def _init_chance(self, spec: Scenario) -> None:
        """A generator of its own for chance draws, derived from the run's seed, so that the
        demand shocks (``self.rng``) are the same whether or not a scenario has chance events,
        and the played model, its do-nothing reference and replays draw the same outcomes."""
        self._chance_misses: set[int] = set()  # ids of the event calls that do not happen
        self._chances: dict[int, float] = {}  # id of an event call -> its chance (< 1 only)
        seq = getattr(self.rng.bit_generator, "seed_seq", None)
        self._chance_entropy = seq.entropy if isinstance(seq, np.random.SeedSequence) else 0
        self._chance_seen: dict[str, int] = {}

    def _draw_chance(self, call: MoveCall, event: Any) -> None:
        """Decide once whether an event with ``chance < 1`` happens: one uniform draw keyed by
        the seed and the event itself (when, who, what, on what; the n-th of identical events),
        so no other event, nor the player's role, changes its outcome."""
        chance = getattr(event, "chance", 1.0)
        if chance >= 1.0:
            return
        key = f"{event.at}|{call.actor}|{call.move}|{call.target}"
        nth = self._chance_seen.get(key, 0)
        self._chance_seen[key] = nth + 1
        seq = np.random.SeedSequence(self._chance_entropy,
                                     spawn_key=(zlib.crc32(key.encode()), nth, 0xC4A7CE))
        self._chances[id(call)] = chance
        if np.random.default_rng(seq).random() >= chance:
            self._chance_misses.add(id(call))

    def chance_of(self, call: MoveCall) -> float:
        """The probability that a scheduled event happens (1 for moves without ``chance``)."""
        return self._chances.get(id(call), 1.0)

    def _missed(self, call: MoveCall) -> bool:
        """True (and a news line) when a chance event's draw says it does not happen."""
        if id(call) not in self._chance_misses:
            return False
        what = call.move.replace("_", " ") + (f" {call.target}" if call.target else "")
        self.news.append((self.step_index, f"{call.actor}'s expected {what} did not happen "
                          f"(it had a {self.chance_of(call):.0%} chance)."))
        return True

    def _unmet(self, call: MoveCall) -> bool:
        """True (and a news line) when an event's ``when:`` names a move not made before."""
        when = self.conditions.get(id(call))
        if when is None or happened(self.log, when.move, when.by, when.target):
            return False
        what = call.move.replace("_", " ") + (f" {call.target}" if call.target else "")
        cause = when.move.replace("_", " ") + (f" by {when.by}" if when.by else "") + (
            f" on {when.target}" if when.target else "")
        self.news.append((self.step_index, f"{call.actor}'s {what} did not happen: it answers "
                          f"{_a(cause)}, which was not made."))
        return True

    def make_move(self, call: MoveCall) -> LoggedMove | None:
        """Apply a move now (events, strategies, queued player moves): one code path.

        A move the current state refuses is reported in the news, not raised: a timeline or
        a strategy must not stop the game. A chance event whose draw failed does not happen.
        """
        if self._chance_misses and self._missed(call):
            return None
        if self.conditions and self._unmet(call):
            return None
        try:
            checked = check_move(self.world, call)
            news = apply_move(self, call, checked)
        except MoveError as exc:
            self.news.append((self.step_index, f"{call.actor}'s {call.move} refused: {exc}"))
            return None
        entry = self._log_entry(call, checked, news)
        self.log.append(entry)
        self.news.append((self.step_index, news))
        return entry

    def _log_entry(self, call: MoveCall, checked: CheckedMove, news: str) -> LoggedMove:
        w = self.world
        actor_kind, actor, params = checked.actor_kind, checked.actor, checked.params
        target_kind, t = checked.target or (None, -1)
        spec = MOVES[call.move]
        victims: tuple[int, ...] = ()
        if target_kind == "firm":
            victims = (int(w.firm_country[t]),)
        elif target_kind == "supplier":
            victims = (int(w.supplier_country[t]),)
        elif target_kind == "country":
            victims = (t,)
        elif target_kind == "component" and spec.hostile:
            users = np.unique(w.firm_country[w.bom[:, t] > 0])
            # tier 2: and the countries of the suppliers that use it as an input
            inputs = (w.supplier_use[:, t] + w.supplier_tools[:, t]) > 0
            users = np.union1d(users, w.supplier_country[inputs])
            to = params.get("to")
            victims = tuple(int(g) for g in users if g != actor and
                            (to is None or w.countries[g] in to))
        return LoggedMove(self.step_index, call, news, params,
                          actor if actor_kind == "country" else None, target_kind, victims,
                          spec.hostile)

    # -- the step ----------------------------------------------------------------------------
    def step(self) -> None:
        """One period, phase by phase (docs/model.md, sections 1–8; :mod:`sim.engine.phases`)."""
        s, w, links, policy, o = self.state, self.world, self.links, self.policy, self.spec.model
        if policy.redesigns:  # redesigns that ship this step (docs/model.md, "Game rules")
            self.news.extend((self.step_index, line) for line in finish_redesigns(self))
        phases.apply_policy(self)
        phases.plan(s, w, links, policy, o, self.step_index,
                    self.spec.steps_of_days(o.expected_outage_days))
        phases.supply(s, w, links, policy, o, self.step_index)
        phases.produce(s, w)
        phases.clear_markets(s, w, policy, o, self._demand_shock())
        phases.settle_finance(s, w, links, policy, o)
        phases.score(s, w, policy)
        phases.record(self)
        self.step_index += 1
        self.running = self.step_index < self.horizon

    def run(self) -> TradeModel:
        """Step to the horizon; return self."""
        while self.running:
            self.step()
        return self

    def _demand_shock(self) -> np.ndarray:
        """Mean-one lognormal demand shocks per market: the model's only routine randomness."""
        w = self.world
        sigma = np.repeat(w.product_noise, len(w.regions))
        z = self.rng.standard_normal(len(sigma))
        return np.exp(sigma * z - sigma**2 / 2)


def _a(noun: str) -> str:
    """"an export control", "a tariff"."""
    return ("an " if noun[:1] in ("a", "e", "i", "o", "u") else "a ") + noun


def _hint(call: MoveCall, when: Any, cause: Any = None) -> str:
    """"in history, US made entity list on Hikvision on 2019-10-07 (fdpr True)"; a
    conditional event adds its cause: "…, answering an export control by US"."""
    text = f"in history, {call.actor} made {call.move.replace('_', ' ')}"
    text += f" on {call.target}" if call.target else ""
    text += f" on {when.isoformat() if hasattr(when, 'isoformat') else when}"
    params = ", ".join(f"{k} {v}" for k, v in call.params.items())
    text += f" ({params})" if params else ""
    if cause is not None:
        text += f", answering {_a(cause.move.replace('_', ' '))}" + (
            f" by {cause.by}" if cause.by else "") + (f" on {cause.target}" if cause.target
                                                      else "")
    return text


def _strategy(spec: Any, default: str):
    if spec is None:
        return STRATEGIES[default]()
    return STRATEGIES[spec.name](**spec.values)
