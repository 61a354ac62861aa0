"""Scenario format v1: YAML → validated, frozen objects.

:func:`load_scenario` reads a file (through :mod:`sim.yamlio`, the only YAML reader), applies
``--set`` overrides, validates the structure with pydantic and the cross-references with
:mod:`sim.references`, and reports every problem of the file at once as
``FILE:LINE:COL: key.path: message``. The model never reads files: it takes a
:class:`Scenario`.
"""

from __future__ import annotations

import calendar as _calendar
import copy
import datetime as dt
import difflib
import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from sim import yamlio
from sim.errors import Problem, ScenarioError

SCHEMA_ID = "chokepoint/1"
Positive = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]
Objective = Literal["security", "industry", "consumers", "escalation"]
_UNION_TAGS = {"int", "date", "float", "str", "bool", "none", "Ramp", "StrategySpec", "[key]"}
STEP_DAYS = {"day": 1, "week": 7, "month": 30.4375}


def date_of_step(start: dt.date, unit: str, step: int) -> dt.date:
    """The first day of step ``step`` of a calendar (months keep the start's day, clamped)."""
    if unit == "month":
        m = start.month - 1 + step
        year, month = start.year + m // 12, m % 12 + 1
        return dt.date(year, month, min(start.day, _calendar.monthrange(year, month)[1]))
    return start + dt.timedelta(days=step * (1 if unit == "day" else 7))


def step_of_date(start: dt.date, unit: str, at: dt.date) -> int:
    """The step whose period contains ``at`` (negative before the start)."""
    if unit == "month":
        k = (at.year - start.year) * 12 + at.month - start.month
        return k - 1 if date_of_step(start, unit, k) > at else k
    return (at - start).days // (1 if unit == "day" else 7)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StrategySpec(BaseModel):
    """`{name: ..., **parameters}`; parameters are checked against the strategy registry."""

    model_config = ConfigDict(frozen=True, extra="allow")
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
        default_factory=dict, description="weights of the government's score (default: equal)")
    strategy: StrategySpec | None = Field(None, description="AI behaviour (default: scripted)")


class Product(Frozen):
    price: Positive = Field(description="reference price per unit")
    elasticity: NonNeg = Field(description="price elasticity of total demand")
    demand: dict[str, NonNeg] = Field(description="units per step per region at that price")
    margin: Share = Field(0.2, description="operating margin at the reference price")
    noise: Annotated[float, Field(ge=0, le=0.5)] = Field(
        0.03, description="s.d. of the weekly multiplicative demand shock (0: deterministic)")


class Component(Frozen):
    critical: bool = Field(True, description="production stops without it")


class Ramp(Frozen):
    capacity: Positive = Field(description="ceiling capacity can grow to")
    steps: Annotated[int, Field(ge=1)] = Field(description="roughly how long growth takes")


class Supplier(Frozen):
    country: str = Field(description="the country it belongs to")
    component: str = Field(description="the component it makes")
    capacity: NonNeg = Field(description="units per step")
    price: Positive = Field(description="price per unit")
    ramp: Ramp | None = Field(None, description="an emerging supplier's growth on demand")
    tech: dict[str, Share] | None = Field(
        None, description="technology content by country (default: all its own country's)")
    lead_time: Annotated[int, Field(ge=1, le=520)] | None = Field(
        None, description="steps from order to delivery (default: 4 weeks)")


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


class Event(BaseModel):
    """`{id, at, by, move, target, **parameters}`; parameters are checked against the move."""

    model_config = ConfigDict(frozen=True, extra="allow")
    id: str | None = Field(None, description="name for paths (`events.<id>.at`); unique")
    at: int | dt.date = Field(description="step (0-based) or date when the move takes effect")
    by: str = Field(description="the country or firm making the move")
    move: str = Field(
        description="a move of the registry (see Moves); its parameters follow as further keys")
    target: str | None = Field(
        None, description="what the move acts on (a firm, supplier, country or component)")

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Role(Frozen):
    moves: list[str] = Field(description="the moves a player in this role may make")


class Parameter(Frozen):
    path: str = Field(description="dotted key into the document (events by id)")
    min: float = Field(description="lowest value")
    max: float = Field(description="highest value")
    label: str | None = Field(None, description="what sliders show (default: the name)")


class ModelOptions(Frozen):
    """Behavioural constants; defaults and sources are in docs/model.md."""

    lead_time_days: Positive = Field(
        28.0, description="default supplier lead time, in days")
    build_lag_days: Positive = Field(
        91.0, description="how long orders must exceed an emerging supplier's "
                          "capacity before it grows, in days")
    forecast_smoothing: Share = Field(
        0.25, description="weight of the latest demand in firms' forecasts")
    stock_adjustment: Share = Field(
        0.25, description="share of the stock gap closed per step (α)")
    supply_line_weight: Share = Field(
        0.5, description="weight of the supply-line gap in orders (β)")
    sourcing_sensitivity: NonNeg = Field(
        10.0, description="how strongly firms prefer cheaper sources")
    choice_sensitivity: NonNeg = Field(
        4.0, description="buyers' logit price sensitivity (λ)")
    price_adjustment: Share = Field(
        0.2, description="share of the gap to the target price closed per step")
    scarcity_markup: NonNeg = Field(
        0.5, description="price markup per unit of unserved demand (μ)")
    holding_cost_per_year: NonNeg = Field(
        0.2, description="cost of holding stock, share of its value per year")
    obsolescence_per_year: Share = Field(
        0.1, description="share of stock written off per year")
    risk_half_life_days: Positive = Field(
        365.0, description="half-life of perceived risk when nothing follows")
    risk_shield_days: Positive = Field(
        182.0, description="stock cover, in days, that halves the hazard priced into "
                           "the share price (a stockpile shields the firm)")
    loss_given_listing: Share = Field(
        0.22, description="share of value investors expect a listing to destroy "
                          "(scales the hazard)")
    profit_smoothing: Share = Field(
        0.1, description="weight of the latest profit in expected profit")


class Scenario(Frozen):
    schema_: Literal["chokepoint/1"] = Field(
        alias="schema", description="format version; must be `chokepoint/1`")
    name: str = Field(description="the scenario's title")
    description: str = Field("", description="Markdown shown to players")
    sources: list[str] = Field(default_factory=list, description="citations for the scenario")
    calendar: Calendar = Field(description="the date of step 0 and the length of a step")
    steps: Annotated[int, Field(ge=1, le=100_000)] = Field(
        description="horizon: number of steps a run lasts")
    turn: Annotated[int, Field(ge=1)] | None = Field(None, description="steps per player turn")
    seed: Annotated[int, Field(ge=0)] = Field(
        0, description="default random seed (runs may override it)")
    regions: list[str] = Field(description="market regions; every `region:` names one")
    countries: dict[str, Country] = Field(
        description="governments by name; every `country:` names one")
    products: dict[str, Product] = Field(description="final goods by name")
    components: dict[str, Component] = Field(description="inputs by name")
    suppliers: dict[str, Supplier] = Field(description="component makers by name")
    firms: dict[str, Firm] = Field(description="final-good makers by name")
    events: list[Event] = Field(
        default_factory=list,
        description="the policy timeline: moves at given steps or dates")
    roles: dict[str, Role] = Field(
        default_factory=dict, description="actors a human may play, and their moves")
    parameters: dict[str, Parameter] = Field(
        default_factory=dict, description="named knobs for sliders and sweeps")
    model: ModelOptions = Field(
        default_factory=ModelOptions, description="behavioural constants (docs/model.md)")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    _text: str = PrivateAttr("")

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
        if isinstance(at, int):
            return at
        return step_of_date(self.calendar.start, self.calendar.step, at)

    def date_of(self, step: int) -> dt.date:
        """The first day of a step's period."""
        return date_of_step(self.calendar.start, self.calendar.step, step)

    def without_policy(self) -> Scenario:
        """The no-policy baseline: no timeline events and no government strategy."""
        countries = {k: c.model_copy(update={"strategy": None}) for k, c in self.countries.items()}
        return self.model_copy(update={"events": [], "countries": countries})


def _display(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _position(positions: yamlio.Positions, loc: tuple[Any, ...]) -> tuple[int, int]:
    for n in range(len(loc), -1, -1):
        if loc[:n] in positions:
            return positions[loc[:n]]
    return (1, 1)


def _field_names(loc: tuple[Any, ...]) -> list[str]:
    """Field names allowed at ``loc`` (for 'did you mean' suggestions)."""
    ann: Any = Scenario
    for part in loc:
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            field = ann.model_fields.get(part) or next(
                (f for f in ann.model_fields.values() if f.alias == part), None)
            if field is None:
                return []
            ann = field.annotation
        elif get_origin(ann) in (dict, list):
            ann = get_args(ann)[-1]
        while get_origin(ann) is not None and get_origin(ann) not in (dict, list):
            args = [a for a in get_args(ann) if a is not type(None)]
            ann = args[0] if args else ann
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [f.alias or n for n, f in ann.model_fields.items()]
    return []


def _pydantic_problems(exc: ValidationError, positions: yamlio.Positions,
                       file: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        # pydantic names the branches of a union (`at: int | date`) in the location
        loc = tuple(p for p in err["loc"] if p not in _UNION_TAGS)
        kind, msg = err["type"], err["msg"]
        if kind == "extra_forbidden":
            msg = "unknown key"
            close = difflib.get_close_matches(str(loc[-1]), _field_names(loc[:-1]), n=1)
            if close:
                msg += f"; did you mean {close[0]!r}?"
        elif kind == "missing":
            msg = "required key is missing"
        line, col = _position(positions, loc)
        problems.append(Problem(line, col, _display(loc), msg, file))
    return problems


def parse_value(text: str) -> Any:
    """A ``--set``/``--vary`` value as YAML reads it (``3`` → 3, ``2019-10-07`` → a date)."""
    data, _ = yamlio.load_text(text, "<value>")
    return data


def set_path(doc: Any, path: str, value: Any, positions: yamlio.Positions,
             file: str) -> None:
    """Set ``path`` (dotted, events by id) in a parsed document; the parent must exist."""
    parts = path.split(".")
    node, loc = doc, ()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = _position(positions, loc)
        if isinstance(node, list):  # events are addressed by id
            match = [j for j, e in enumerate(node) if isinstance(e, dict) and e.get("id") == part]
            if not match:
                ids = [e.get("id") for e in node if isinstance(e, dict) and e.get("id")]
                raise ScenarioError([Problem(*where, path, f"no event with id {part!r} "
                                             f"(ids: {', '.join(ids) or 'none'})", file)])
            if last:
                raise ScenarioError([Problem(*where, path, "cannot replace a whole event", file)])
            loc += (match[0],)
            node = node[match[0]]
            continue
        if not isinstance(node, dict):
            raise ScenarioError([Problem(*where, path, f"{_display(loc)!r} has no keys", file)])
        if last:
            node[part] = value
            return
        if part not in node:
            close = difflib.get_close_matches(part, [str(k) for k in node], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError([Problem(*where, path, f"unknown key {part!r}{hint}", file)])
        loc += (part,)
        node = node[part]


def apply_overrides(doc: Any, positions: yamlio.Positions, overrides: dict[str, Any],
                    file: str) -> None:
    """Apply ``{dotted.path: value}`` to a parsed document in place (``--set``, sweeps)."""
    if not isinstance(doc, dict):
        raise ScenarioError([Problem(1, 1, "", "a scenario is a mapping of keys", file)])
    for path, value in overrides.items():
        set_path(doc, path, value, positions, file)


def resolve_path(doc: Any, path: str) -> bool:
    """Whether ``path`` can be set in ``doc``: its parent exists (events by id) and is a mapping.

    The last key may be absent: it then names a default (``events.listing.license_rate``),
    checked like any value when it is set.
    """
    node = doc
    for part in path.split(".")[:-1]:
        if isinstance(node, list):
            node = next((e for e in node if isinstance(e, dict) and e.get("id") == part), None)
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return isinstance(node, dict)


def validate_document(doc: Any, positions: yamlio.Positions, file: str) -> Scenario:
    """Validate a parsed document; raise ScenarioError listing every problem."""
    from sim.references import check_references

    if not isinstance(doc, dict):
        raise ScenarioError([Problem(1, 1, "", "a scenario is a mapping of keys", file)])
    problems: list[Problem] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        problems += _pydantic_problems(exc, positions, file)
    for loc, msg in check_references(doc):
        line, col = _position(positions, loc)
        problems.append(Problem(line, col, _display(loc), msg, file))
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def load_scenario(source: str | Path, overrides: dict[str, Any] | None = None,
                  *, text: str | None = None) -> Scenario:
    """Load, override and validate a scenario.

    Args:
        source: a file path, or the name to report when ``text`` is given.
        overrides: ``{dotted.path: value}`` applied before validation (``--set``).
        text: the YAML text, when it does not come from a file (uploads).

    Raises:
        ScenarioError: with every problem, each located in the file.
    """
    file = str(source)
    if text is None:
        doc, positions, text = yamlio.load_file(source)
    else:
        doc, positions = yamlio.load_text(text, file)
    if overrides:
        doc = copy.deepcopy(doc)
        apply_overrides(doc, positions, overrides, file)
    scenario = validate_document(doc, positions, file)
    scenario._text = text
    return scenario


def source_hash(text: str) -> str:
    """SHA-256 of a scenario's text, for manifests."""
    return hashlib.sha256(text.encode()).hexdigest()
