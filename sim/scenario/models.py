"""Scenario format v1 as frozen pydantic models (the schema, its defaults and descriptions)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from sim.errors import Problem
from sim.scenario.calendar import STEP_DAYS, date_of_step, step_of

SCHEMA_ID = "chokepoint/1"
MAX_STEPS = 100_000
MAX_QUANTITY = 1e9


def _whole(value: Any) -> Any:
    """A whole float (a slider's or a sweep's ``20.0``) as the integer it is; the strict int
    check then refuses everything else (booleans, strings, fractions)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Whole = Annotated[int, BeforeValidator(_whole)]
Positive = Annotated[float, Field(gt=0, le=MAX_QUANTITY)]
NonNeg = Annotated[float, Field(ge=0, le=MAX_QUANTITY)]
Share = Annotated[float, Field(ge=0, le=1)]
Sensitivity = Annotated[float, Field(ge=0, le=100)]
Days = Annotated[float, Field(gt=0, le=3650)]
LongDays = Annotated[float, Field(gt=0, le=36_500)]
# strict: no booleans as numbers, no strings as numbers or dates; no NaN or inf
STRICT = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)
Objective = Literal["security", "industry", "consumers", "treasury", "escalation"]


class Frozen(BaseModel):
    model_config = STRICT


class StrategySpec(BaseModel):
    """`{name: ..., **parameters}`; parameters are checked against the strategy registry."""

    model_config = ConfigDict(frozen=True, extra="allow", strict=True, allow_inf_nan=False)
    name: str = Field(
        description="a strategy of the registry (see Strategies); its parameters follow "
                    "as further keys")

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Calendar(Frozen):
    start: dt.date = Field(description="date of step 0")
    step: Literal["day", "week", "month"] = Field("week", description="length of one step")


class Country(Frozen):
    region: str = Field(description="the region whose market this government governs")
    objectives: dict[Objective, NonNeg] = Field(
        default_factory=dict, description="weights of the government's score (default: equal; "
                                          "`treasury` defaults to the weight of `consumers`, "
                                          "`escalation` to a tenth of the others' sum: "
                                          "docs/model.md, \"7. Scores\")")
    rivals: list[str] | None = Field(
        None, description="the countries whose firms' capability its `security` counts and "
                          "whose firms are the cheapest to hit (default: the countries its "
                          "hostile scripted events target and those whose hostile scripted "
                          "events target it)")
    strategy: StrategySpec | None = Field(
        None, description="AI behaviour (default: `responsive`, which answers hostile moves; "
                          "`scripted`: only the timeline acts for it)")
    # -- the reach of its export rules (docs/model.md, "1. Policy") --
    de_minimis: Share = Field(
        0.25, description="its de-minimis rule: foreign-made goods whose content of its "
                          "origin is above this share are subject to its export rules (the "
                          "US EAR: 25%, 15 CFR 734.4)")


class Product(Frozen):
    price: Positive = Field(description="reference price per unit")
    elasticity: Annotated[float, Field(ge=0, le=10)] = Field(
        description="price elasticity of total demand")
    demand: dict[str, NonNeg] = Field(description="units per step per region at that price")
    margin: Share = Field(0.2, description="operating margin at the reference price")
    noise: Annotated[float, Field(ge=0, le=0.5)] = Field(
        0.03, description="s.d. of the weekly multiplicative demand shock (0: deterministic)")


class Component(Frozen):
    critical: bool = Field(True, description="production stops without it")


class Ramp(Frozen):
    capacity: Positive = Field(description="ceiling capacity can grow to")
    steps: Annotated[Whole, Field(ge=1, le=MAX_STEPS)] = Field(
        description="steps growth takes, under sustained demand, to reach 90% of the way to "
                    "the ceiling (a learning curve: slow, then faster, then saturating)")


# -- tier 2: a supplier's own inputs (docs/model.md, section 3) ---------------------------
class SupplierInputs(Frozen):
    consumables: dict[str, Positive] = Field(
        default_factory=dict, description="units of each component used per unit shipped "
                                          "(gallium in a chip): they bound its output")
    tools: dict[str, Positive] = Field(
        default_factory=dict, description="units of each component installed per unit of "
                                          "capacity added (lithography tools in a fab): they "
                                          "bound its growth")
    sources: dict[str, list[str]] = Field(
        description="qualified suppliers per input component")
    cover: NonNeg = Field(4.0, description="target stock of consumables, in steps of use")


class Supplier(Frozen):
    country: str = Field(description="the country it belongs to")
    component: str = Field(description="the component it makes")
    capacity: NonNeg = Field(description="units per step")
    price: Positive = Field(description="price per unit")
    ramp: Ramp | None = Field(None, description="an emerging supplier's growth on demand")
    tech: dict[str, Share] | None = Field(
        None, description="technology content by country (default: all its own country's)")
    lead_time: Annotated[Whole, Field(ge=1, le=520)] | None = Field(
        None, description="steps from order to delivery (default: 4 weeks)")
    # -- costs and value (docs/model.md, "6. Finance") --
    margin: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.2, description="operating margin at its price and steady shipments; of its costs, "
                         "`model.fixed_cost_share` is fixed (paid whether it ships or not)")
    inputs: SupplierInputs | None = Field(
        None, description="its own inputs, bought from other suppliers like a firm's and "
                          "restricted by the same moves (default: none)")
    # -- whose export rules its goods are subject to (docs/model.md, "1. Policy") --
    made_in: str | None = Field(
        None, description="the country where its goods are made (default: its own country); "
                          "goods made in a country are subject to its export rules")
    content: dict[str, Share] | None = Field(
        None, description="origin of its goods' controlled content by value, by country "
                          "(default: all from where they are made); a foreign country's rules "
                          "reach them when its share is above that country's `de_minimis`")
    rating: NonNeg | None = Field(
        None, description="its goods' value on the criterion an export control may be "
                          "written on (e.g. an AI chip's interconnect rate); an export control "
                          "with `min_rating` covers only goods rated at or above it (default: "
                          "unrated, covered by every control of its component)")

    @model_validator(mode="after")
    def _content_adds_up(self) -> Supplier:
        if self.content is not None and sum(self.content.values()) > 1 + 1e-9:
            raise ValueError(f"content shares add up to {sum(self.content.values()):g}, "
                             "more than 1")
        return self


class Firm(Frozen):
    country: str = Field(description="the country it belongs to")
    product: str = Field(description="the product it makes")
    capacity: Positive = Field(description="units of output per step")
    bom: dict[str, Positive] = Field(
        description="units of each component per unit of output")
    sources: dict[str, list[str]] = Field(description="qualified suppliers per component")
    cover: NonNeg = Field(4.0, description="target stock, in steps of expected use")
    strategy: StrategySpec | None = Field(None, description="AI behaviour (default: passive)")
    appeal: Positive | dict[str, NonNeg] = Field(
        1.0, description="buyers' preference at equal prices (brand, quality, reputation): one "
                         "number, or one per region (regions not named: 1); shares of a market "
                         "at reference prices are proportional to it")
    # -- costs, cash and exit (docs/model.md, "6. Finance") --
    fixed_cost: NonNeg | None = Field(
        None, description="cost per step, in the scenario's currency, paid whether the firm "
                          "produces or not; the rest of its non-component cost is variable "
                          "(default: `model.fixed_cost_share` of its non-component cost at "
                          "steady output)")
    cash: NonNeg | None = Field(
        None, description="cash at step 0, in the scenario's currency; losses and fines "
                          "draw it down, and a firm whose cash runs out exits (default: "
                          "`model.cash_days` of its steady-state costs)")


class Condition(Frozen):
    """`when: {move, by, target}`: the event happens only if such a move took effect before."""

    move: str = Field(description="a move of the registry (see Moves)")
    by: str | None = Field(None, description="the country or firm that must have made it "
                                             "(default: anyone)")
    target: str | None = Field(None, description="what it must have acted on (default: "
                                                 "anything)")


class Event(BaseModel):
    """`{id, at, by, move, target, **parameters}`; parameters are checked against the move."""

    model_config = ConfigDict(frozen=True, extra="allow", strict=True, allow_inf_nan=False)
    id: str | None = Field(None, description="name for paths (`events.<id>.at`); unique")
    at: Annotated[Whole, Field(ge=0, le=MAX_STEPS)] | dt.date = Field(
        description="step (0-based) or date when the move takes effect")
    by: str = Field(description="the country or firm making the move")
    move: str = Field(
        description="a move of the registry (see Moves); its parameters follow as further keys")
    target: str | None = Field(
        None, description="what the move acts on (a firm, supplier, country or component)")
    # -- chance events (docs/model.md, "Game rules"): a scenario replayed with surprises ---
    chance: Annotated[float, Field(ge=0, le=1)] = Field(
        1.0, description="probability (0–1) that the event happens at all; drawn once per "
                         "run from the seed, so a seeded run is reproducible (default 1: "
                         "always). Players see it in the timeline as \"chance 60%\"")
    when: Condition | None = Field(
        None, description="a condition: the event happens only if such a move took effect "
                          "earlier (in an earlier step, or earlier in the same step), whoever "
                          "made it (the timeline, a strategy or a player); a reply that "
                          "names its cause does not fire without it (default: always)")

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Role(Frozen):
    moves: list[str] = Field(description="the moves a player in this role may make")
    # -- a limit on moves per turn (docs/model.md, "Game rules") ---------------------------
    moves_per_turn: Annotated[Whole, Field(ge=1, le=1000)] | None = Field(
        None, description="at most this many moves a player in this role may make (queue) "
                          "per turn; more are refused with the reason (default: no limit)")


class Parameter(Frozen):
    path: str = Field(description="dotted key into the document (events by id)")
    min: float = Field(description="lowest value")
    max: float = Field(description="highest value")
    label: str | None = Field(None, description="what sliders show (default: the name)")
    kind: Literal["uncertainty", "lever"] | None = Field(
        None, description="an uncertainty (a fact of the world nobody chooses) or a lever (a "
                          "policy choice), as exploratory modelling separates them")
    distribution: Literal["uniform", "triangular", "normal"] = Field(
        "uniform", description="how sampled sweeps (lhs, sobol, morris, fast) draw a range "
                               "over this parameter; grids use evenly spaced levels")
    mode: float | None = Field(
        None, description="triangular: the most likely value (default: the middle)")
    sd: Annotated[float, Field(gt=0)] | None = Field(
        None, description="normal: the standard deviation (truncated to the range; default: a "
                          "sixth of the range)")

    @model_validator(mode="after")
    def _mode_in_range(self) -> Parameter:
        if self.mode is not None and not self.min <= self.mode <= self.max:
            raise ValueError(f"mode {self.mode:g} is outside min–max ({self.min:g} to "
                             f"{self.max:g})")
        return self


class OutcomeSpec(Frozen):
    """An outcome every sweep of the scenario computes per run (docs/sweeps.md, "Outcomes")."""

    expr: str = Field(description="an expression over the run's per-step series (ENTITY.metric, "
                                  "baseline.ENTITY.metric) reduced to one number, e.g. "
                                  "output_lost_share(Hikvision)")
    window: list[Whole | dt.date] | None = Field(
        None, min_length=2, max_length=2,
        description="the first and last step (or dates) the series are cut to (default: the "
                    "whole run)")
    direction: Literal["min", "max"] = Field("min", description="which way is better")
    unit: str = Field("", description="shown on charts and tables")
    threshold: float | None = Field(
        None, description="what a run must meet (at most with min, at least with max): "
                          "robustness counts the scenarios that do (satisficing)")
    label: str | None = Field(None, description="what charts show (default: the name)")


class ModelOptions(Frozen):
    """Behavioural constants; defaults and sources are in docs/model.md."""

    lead_time_days: Days = Field(
        28.0, description="default supplier lead time, in days")
    build_lag_days: Days = Field(
        91.0, description="how long orders must exceed an emerging supplier's "
                          "capacity before it grows, in days")
    fixed_cost_share: Share = Field(
        0.3, description="share of a firm's non-component costs that is fixed: paid whether it "
                         "produces or not")
    ramp_trigger: Annotated[float, Field(ge=0, le=1)] = Field(
        0.05, description="excess of orders over an emerging supplier's capacity, as a share "
                          "of capacity, that counts as unmet demand (below it: noise)")
    forecast_smoothing: Share = Field(
        0.25, description="weight of the latest demand in firms' forecasts")
    stock_adjustment: Share = Field(
        0.25, description="share of the stock gap closed per step (α)")
    supply_line_weight: Share = Field(
        0.5, description="weight of the supply-line gap in orders (β)")
    sourcing_sensitivity: Sensitivity = Field(
        10.0, description="how strongly firms prefer cheaper sources")
    choice_sensitivity: Sensitivity = Field(
        4.0, description="buyers' logit price sensitivity (λ)")
    price_adjustment: Share = Field(
        0.2, description="share of the gap to the target price closed per step")
    scarcity_markup: Sensitivity = Field(
        0.5, description="price markup per unit of unserved demand (μ)")
    holding_cost_per_year: Sensitivity = Field(
        0.2, description="cost of holding stock, share of its value per year")
    obsolescence_per_year: Share = Field(
        0.1, description="share of stock written off per year")
    risk_half_life_days: LongDays = Field(
        365.0, description="half-life of perceived risk when nothing follows")
    risk_shield_days: LongDays = Field(
        182.0, description="stock cover, in days, that halves the hazard priced into "
                           "the share price (a stockpile shields the firm)")
    loss_given_listing: Share = Field(
        0.22, description="share of value investors expect a listing to destroy "
                          "(scales the hazard)")
    profit_smoothing: Share = Field(
        0.1, description="weight of the latest profit in expected profit")
    cash_days: LongDays = Field(
        91.0, description="a firm's default cash, in days of its steady-state costs")
    # -- forward-looking share prices (docs/model.md, section 6) --
    discount_per_year: Annotated[float, Field(gt=0, le=1)] = Field(
        0.08, description="investors' discount rate (cost of equity) per year")
    lift_expected_days: LongDays = Field(
        91.0, description="how long investors expect a restriction in force on a firm to "
                          "last from any step: profit lost to it is priced as temporary")
    profit_persistence_per_year: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.62, description="share of profit above the steady state's (a rent, a windfall, "
                          "the return on new capacity above its cost) investors expect to "
                          "last a year: competition erodes it")
    capital_years: Annotated[float, Field(ge=0, le=10)] = Field(
        1.0, description="capital a unit of capacity ties up, in years of its revenue at "
                         "the reference price: capacity added after step 0 is paid for by "
                         "the owners")
    # -- learning-curve ramps (docs/model.md, section 3) --
    ramp_learning: Annotated[float, Field(ge=0, le=1000)] = Field(
        12.7, description="an emerging supplier's learning over its own start (Bass q/p): "
                          "0 grows at an even pace that slows near the ceiling; larger starts "
                          "slower and speeds up more")
    # -- scarce stock (docs/model.md, sections 1 and 4) --
    threat_days: LongDays = Field(
        365.0, description="how long an announcement, or a listing once lifted, stays in "
                           "force: perceived risk is held, not decayed, while it is")
    expected_outage_days: LongDays = Field(
        91.0, description="how long a firm facing a cut-off expects it to last: it rations "
                          "its stock to bridge that long")


class Scenario(Frozen):
    schema_: Literal["chokepoint/1"] = Field(
        alias="schema", description="format version; must be `chokepoint/1`")
    name: str = Field(description="the scenario's title")
    description: str = Field("", description="Markdown shown to players")
    sources: list[str] = Field(default_factory=list, description="citations for the scenario")
    calendar: Calendar = Field(description="the date of step 0 and the length of a step")
    steps: Annotated[Whole, Field(ge=1, le=MAX_STEPS)] = Field(
        description="horizon: number of steps a run lasts")
    turn: Annotated[Whole, Field(ge=1, le=MAX_STEPS)] | None = Field(
        None, description="steps per player turn")
    seed: Annotated[Whole, Field(ge=0, le=2**63 - 1)] = Field(
        0, description="default random seed (runs may override it)")
    regions: list[str] = Field(min_length=1,
        description="market regions; every `region:` names one")
    countries: dict[str, Country] = Field(
        min_length=1, description="governments by name; every `country:` names one")
    products: dict[str, Product] = Field(min_length=1, description="final goods by name")
    components: dict[str, Component] = Field(min_length=1, description="inputs by name")
    suppliers: dict[str, Supplier] = Field(min_length=1, description="component makers by name")
    firms: dict[str, Firm] = Field(min_length=1, description="final-good makers by name")
    events: list[Event] = Field(
        default_factory=list,
        description="the policy timeline: moves at given steps or dates")
    roles: dict[str, Role] = Field(
        default_factory=dict, description="actors a human may play, and their moves")
    parameters: dict[str, Parameter] = Field(
        default_factory=dict, description="named knobs for sliders and sweeps")
    model: ModelOptions = Field(
        default_factory=ModelOptions, description="behavioural constants (docs/model.md)")
    outcomes: dict[str, OutcomeSpec] = Field(
        default_factory=dict, description="outcomes sweeps compute for every run "
                                          "(docs/sweeps.md)")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, strict=True,
                              allow_inf_nan=False)
    _text: str = PrivateAttr("")
    _warnings: list[Problem] = PrivateAttr(default_factory=list)

    @property
    def warnings(self) -> list[Problem]:
        """What validation found suspect but not wrong (a world that starts short, a firm
        that loses money at its steady output), located in the file."""
        return self._warnings

    @property
    def text(self) -> str:
        """The YAML text it was loaded from ('' when built in code)."""
        return self._text

    @property
    def turn_steps(self) -> int:
        """Steps per player turn: the scenario's ``turn``, or a quarter."""
        return self.turn or {"day": 91, "week": 13, "month": 3}[self.calendar.step]

    def steps_of_days(self, days: float) -> int:
        """A duration in days as a whole number of steps (at least 1)."""
        return max(1, round(days / STEP_DAYS[self.calendar.step]))

    def step_of(self, at: int | dt.date) -> int:
        """The 0-based step an ``at`` (a step or a date) falls in."""
        return step_of(self.calendar.start, self.calendar.step, at)

    def date_of(self, step: int) -> dt.date:
        """The first day of a step's period."""
        return date_of_step(self.calendar.start, self.calendar.step, step)

    def without_policy(self) -> Scenario:
        """The no-policy baseline: no timeline events and no government strategy (each
        government `scripted`: with no timeline, it makes no move, even when hit)."""
        scripted = StrategySpec(name="scripted")
        countries = {k: c.model_copy(update={"strategy": scripted})
                     for k, c in self.countries.items()}
        return self.model_copy(update={"events": [], "countries": countries})

