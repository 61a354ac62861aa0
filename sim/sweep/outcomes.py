"""Outcomes as data: named expressions over a run's per-step series (docs/sweeps.md, "Outcomes").

An :class:`Outcome` is a name, an expression, a window of steps, a direction (``min``: lower is
better), a unit and an optional threshold. Scenarios declare them (``outcomes:``), and
``--outcome NAME=EXPR; window=A:B; direction=max; unit=U; threshold=T`` adds more. Workers
compute them from the series every run records (:func:`evaluate`), so nothing per step need be
kept; the values are summary columns named after the outcome, read by the report,
sensitivity, discovery, robustness, the explorer and the optimiser alike.

The expression language is a small, whitelisted subset of Python's, parsed with :mod:`ast`
and never evaluated by Python: numbers; series ``ENTITY.metric`` and
``baseline.ENTITY.metric`` (the run's no-policy world on the same seed), or
``series("camera/US", "price")`` / ``baseline_series(...)`` for names that are not
identifiers; ``+ - * / **``, comparisons, ``&``, ``|``, ``~``; and the functions of
:data:`FUNCTIONS` and the built-in outcomes of :data:`BUILTINS` (``output_lost_share(F)``).
The result must be one number. Every problem is located: the column in the expression, and
``FILE:LINE:COL`` for a scenario's or plan's outcome.
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from sim.engine.metrics import GROUPS
from sim.sweep.builtin_outcomes import BUILTINS


class OutcomeError(ValueError):
    """An outcome that cannot be computed; ``col`` is the 1-based column in the expression."""

    def __init__(self, message: str, col: int = 0):
        super().__init__(message)
        self.col = col


@dataclass(frozen=True)
class Outcome:
    """A named outcome (see the module's docstring); ``window`` in steps, both ends included."""

    name: str
    expr: str
    window: tuple[int, int] | None = None
    direction: str = "min"
    unit: str = ""
    threshold: float | None = None
    label: str = ""

    def met(self, values: Any) -> Any:
        """Whether each value meets the threshold (at most with ``min``, at least with
        ``max``)."""
        if self.threshold is None:
            raise ValueError(f"outcome {self.name} has no threshold")
        return values <= self.threshold if self.direction == "min" else values >= self.threshold

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["window"] = list(self.window) if self.window else None
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Outcome:
        window = data.get("window")
        return cls(**{**data, "window": tuple(window) if window else None})


def _first_step(cond: np.ndarray) -> float:
    hits = np.flatnonzero(np.asarray(cond, bool))
    return float(hits[0]) if len(hits) else float("nan")


# name → (arguments: 1, or (1, 2) for min/max's elementwise form, reducer or elementwise fn)
FUNCTIONS: dict[str, tuple[tuple[int, ...], Callable[..., Any]]] = {
    "sum": ((1,), np.sum), "mean": ((1,), np.mean),
    "min": ((1, 2), lambda a, b=None: np.min(a) if b is None else np.minimum(a, b)),
    "max": ((1, 2), lambda a, b=None: np.max(a) if b is None else np.maximum(a, b)),
    "first": ((1,), lambda a: np.asarray(a)[0]), "last": ((1,), lambda a: np.asarray(a)[-1]),
    "abs": ((1,), np.abs), "count": ((1,), lambda a: np.sum(np.asarray(a, bool))),
    "share": ((1,), lambda a: np.mean(np.asarray(a, bool))),
    "first_step": ((1,), _first_step), "where": ((3,), np.where),
}
BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
          ast.Pow: np.power, ast.BitAnd: np.logical_and, ast.BitOr: np.logical_or}
COMPARE = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater,
           ast.GtE: np.greater_equal, ast.Eq: np.equal, ast.NotEq: np.not_equal}
UNARY = {ast.USub: np.negative, ast.UAdd: np.positive, ast.Invert: np.logical_not}

# (entity, metric, baseline?) → the series over the window
Series = Callable[[str, str, bool], np.ndarray]


def entities(scenario: Any) -> dict[str, dict[str, str]]:
    """Group → {entity name: group} of a scenario, as its runs record them."""
    return {
        "firm": {f: "firm" for f in scenario.firms},
        "stock": {f"{f}/{c}": "stock" for f, firm in scenario.firms.items() for c in firm.bom},
        "supplier": {s: "supplier" for s in scenario.suppliers},
        "country": {c: "country" for c in scenario.countries},
        "market": {f"{p}/{r}": "market" for p in scenario.products for r in scenario.regions},
    }


@lru_cache(maxsize=256)
def parse(expr: str) -> ast.Expression:
    """The expression's syntax tree, built-ins expanded (OutcomeError on a syntax error)."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise OutcomeError(f"not an expression ({exc.msg})", exc.offset or 0) from None
    return ast.fix_missing_locations(_Expand().visit(tree))


class _Expand(ast.NodeTransformer):
    """Replace each call of a built-in outcome by its expression."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not (isinstance(node.func, ast.Name) and node.func.id in BUILTINS):
            return node
        if len(node.args) != 1 or node.keywords:
            raise OutcomeError(f"{node.func.id}(ENTITY) takes one entity",
                               node.col_offset + 1)
        arg = node.args[0]
        name = arg.id if isinstance(arg, ast.Name) else (
            arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None)
        if name is None:
            raise OutcomeError(f"{node.func.id}(ENTITY): the entity is a name",
                               arg.col_offset + 1)
        body = ast.parse(BUILTINS[node.func.id].expr.format(name), mode="eval").body
        for sub in ast.walk(body):  # errors in the expansion point at the call
            if hasattr(sub, "col_offset"):
                sub.col_offset = arg.col_offset
        return ast.Call(ast.Name("_builtin", ast.Load()), [body, ast.Constant(node.func.id)], [])


def evaluate(expr: str, series: Series) -> float:
    """The value of ``expr`` for one run, reading series through ``series``."""
    with np.errstate(all="ignore"):
        value = np.asarray(_eval(parse(expr).body, series))
    if value.ndim:
        raise OutcomeError("the expression gives a series, not one number: reduce it with "
                           "sum, mean, min, max, first, last, count, share or first_step")
    return float(value)


def _eval(node: ast.AST, series: Series) -> Any:
    col = getattr(node, "col_offset", -1) + 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise OutcomeError(f"{node.value!r}: only numbers (and names in series(...))", col)
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        return BINARY[type(node.op)](_eval(node.left, series), _eval(node.right, series))
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return UNARY[type(node.op)](_eval(node.operand, series))
    if isinstance(node, ast.Compare):
        left, out = _eval(node.left, series), True
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if type(op) not in COMPARE:
                raise OutcomeError("only <, <=, >, >=, == and != compare", col)
            right = _eval(right_node, series)
            out = np.logical_and(out, COMPARE[type(op)](left, right))
            left = right
        return out
    if isinstance(node, ast.Attribute):
        return series(*_reference(node), _is_baseline(node))
    if isinstance(node, ast.Call):
        return _call(node, series)
    if isinstance(node, ast.Name):
        raise OutcomeError(f"{node.id!r}: a series is ENTITY.metric (or baseline.ENTITY.metric)"
                           + _close(node.id, [*FUNCTIONS, *BUILTINS]), col)
    raise OutcomeError(f"{type(node).__name__.lower()} is not allowed in an outcome "
                       f"(numbers, series, + - * / **, comparisons, & | ~ and functions)", col)


def _close(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _is_baseline(node: ast.Attribute) -> bool:
    inner = node.value
    return isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name) and \
        inner.value.id == "baseline"


def _reference(node: ast.Attribute) -> tuple[str, str]:
    """(entity, metric) of ``E.m`` or ``baseline.E.m``."""
    inner = node.value
    if _is_baseline(node):
        assert isinstance(inner, ast.Attribute)
        return inner.attr, node.attr
    if isinstance(inner, ast.Name) and inner.id != "baseline":
        return inner.id, node.attr
    raise OutcomeError("a series is ENTITY.metric or baseline.ENTITY.metric",
                       node.col_offset + 1)


def _call(node: ast.Call, series: Series) -> Any:
    col = node.col_offset + 1
    if not isinstance(node.func, ast.Name) or node.keywords:
        raise OutcomeError("only the functions of the outcome language may be called "
                           f"({', '.join([*FUNCTIONS, *BUILTINS])})", col)
    name = node.func.id
    if name == "_builtin":  # an expanded built-in: its body, reported under its name
        return _eval(node.args[0], series)
    if name in ("series", "baseline_series"):
        args = [a.value for a in node.args if isinstance(a, ast.Constant)
                and isinstance(a.value, str)]
        if len(args) != 2 or len(node.args) != 2:
            raise OutcomeError(f'{name}("ENTITY", "metric") takes two quoted names', col)
        return series(args[0], args[1], name == "baseline_series")
    if name not in FUNCTIONS:
        raise OutcomeError(f"unknown function {name!r}" + _close(name, [*FUNCTIONS, *BUILTINS]),
                           col)
    arity, fn = FUNCTIONS[name]
    if len(node.args) not in arity:
        raise OutcomeError(f"{name} takes {' or '.join(map(str, arity))} argument(s)", col)
    return fn(*(_eval(a, series) for a in node.args))


def check(outcome: Outcome, scenario: Any, steps: int) -> bool:
    """Check an outcome against a scenario before any run: the names it reads exist, it gives
    one number, its window is inside the run. Return whether it reads the baseline."""
    groups = entities(scenario)
    if outcome.window:
        lo, hi = outcome.window
        if not 0 <= lo <= hi <= steps - 1:
            raise OutcomeError(f"window {lo}:{hi} is not within the run's steps 0 to "
                               f"{steps - 1}")
    n = outcome.window[1] - outcome.window[0] + 1 if outcome.window else steps
    reads_baseline = False

    def dry(entity: str, metric: str, baseline: bool) -> np.ndarray:
        nonlocal reads_baseline
        reads_baseline |= baseline
        group = next((g for g, names in groups.items() if entity in names), None)
        if group is None:
            every = [e for names in groups.values() for e in names]
            raise OutcomeError(f"unknown entity {entity!r}" + _close(entity, every))
        if metric not in GROUPS[group]:
            raise OutcomeError(f"{entity} ({group}) has no series {metric!r}"
                               + _close(metric, list(GROUPS[group]))
                               + f" (series: {', '.join(GROUPS[group])})")
        return np.ones(n)

    try:
        evaluate(outcome.expr, dry)
    except OutcomeError as exc:
        if not exc.col:  # an unknown name: point at the first place it is read
            exc.col = _column_of(outcome.expr, str(exc))
        raise
    return reads_baseline


def _column_of(expr: str, message: str) -> int:
    """The column of the first quoted name a message mentions, in the expression (or 1)."""
    parts = message.split("'")
    for name in parts[1::2]:
        at = expr.find(name)
        if at >= 0:
            return at + 1
    return 1


def run_values(outcomes: list[Outcome], model: Any, base: Any | None) -> dict[str, float]:
    """Every outcome's value for one finished run (``base``: its no-policy run, if any)."""
    out: dict[str, float] = {}
    for o in outcomes:
        lo, hi = o.window or (0, model.recorder.steps - 1)

        def read(entity: str, metric: str, baseline: bool, lo: int = lo, hi: int = hi
                 ) -> np.ndarray:
            rec = (base if baseline and base is not None else model).recorder
            group = next(g for g, names in rec.entities.items() if entity in names
                         and metric in GROUPS[g])
            return np.asarray(rec.series(group, metric, entity)[lo: hi + 1], float)

        out[o.name] = evaluate(o.expr, read)
    return out


OPTION_KEYS = ("window", "direction", "unit", "threshold", "label")


def parse_option(text: str) -> tuple[str, dict[str, Any]]:
    """``--outcome "NAME=EXPR; window=A:B; threshold=0.1"`` → (name, spec)."""
    head, *rest = [part.strip() for part in text.split(";")]
    name, sep, expr = head.partition("=")
    name = name.strip()
    if not sep or not name or not expr.strip():
        raise OutcomeError(f"--outcome {text!r}: expected NAME=EXPR[; window=A:B][; direction="
                           f"min|max][; unit=U][; threshold=T][; label=L]")
    spec: dict[str, Any] = {"expr": expr.strip()}
    for part in rest:
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in OPTION_KEYS:
            raise OutcomeError(f"--outcome {name}: {part!r} is not one of "
                               f"{', '.join(k + '=' for k in OPTION_KEYS)}" + _close(
                                   key, list(OPTION_KEYS)))
        spec[key] = value.strip()
    if "window" in spec:
        lo, sep, hi = spec["window"].partition(":")
        if not sep:
            raise OutcomeError(f"--outcome {name}: window={spec['window']}: FIRST:LAST (steps "
                               f"or dates)")
        spec["window"] = [lo.strip(), hi.strip()]
    return name, spec


def make_outcome(name: str, spec: Mapping[str, Any], scenario: Any) -> Outcome:
    """An :class:`Outcome` from a spec (a scenario's ``outcomes:`` entry, a plan file's, or
    :func:`parse_option`'s): dates become steps, numbers are checked, a bare built-in gives
    its direction and unit."""
    if not name.isidentifier():
        raise OutcomeError(f"{name!r}: an outcome's name is a Python-like name (letters, "
                           f"digits, _), so --where can use it")
    expr = str(spec.get("expr", ""))
    body = parse(expr).body
    builtin = BUILTINS.get(body.args[1].value) if (  # type: ignore[attr-defined]
        isinstance(body, ast.Call) and isinstance(body.func, ast.Name)
        and body.func.id == "_builtin") else None
    direction = spec.get("direction") or (builtin.direction if builtin else "min")
    if direction not in ("min", "max"):
        raise OutcomeError(f"direction {direction!r}: min (lower is better) or max")
    threshold = spec.get("threshold")
    if isinstance(threshold, str):
        try:
            threshold = float(threshold)
        except ValueError:
            raise OutcomeError(f"threshold {threshold!r}: a number") from None
    window = spec.get("window")
    steps = tuple(_step(v, scenario) for v in window) if window else None
    return Outcome(name, expr, steps, direction,  # type: ignore[arg-type]
                   str(spec.get("unit") or (builtin.unit if builtin else "")),
                   None if threshold is None else float(threshold),
                   str(spec.get("label") or ""))


def _step(value: Any, scenario: Any) -> int:
    if isinstance(value, str):
        from sim.errors import ScenarioError
        from sim.scenario import parse_value

        try:
            value = parse_value(value)
        except ScenarioError:
            raise OutcomeError(f"window end {value!r}: a step or a date") from None
    if isinstance(value, dt.date) or (isinstance(value, int) and not isinstance(value, bool)):
        return scenario.step_of(value)
    raise OutcomeError(f"window end {value!r}: a step or a date")
