"""Typed parameters shared by the move and strategy registries.

A :class:`Param` declares one parameter of a move or a strategy: its type, default, range and a
sentence for players. The browser builds its forms from these, the scenario validator checks
timeline events and strategies with them, and the docs list them: one declaration, three uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

KINDS = ("float", "int", "bool", "countries", "product", "component")

Names = dict[str, frozenset[str]]


class RegistrationError(TypeError):
    """A move or strategy declared wrongly: a programming error, raised when it registers."""


T = TypeVar("T", bound=type)


class Registry(dict[str, T]):
    """Classes by name (moves, strategies), filled by the :meth:`register` class decorator.

    Args:
        kind: what it holds ("move", "strategy"), for messages.
        check: returns what is wrong with a class's declaration, or None.
    """

    def __init__(self, kind: str, check: Callable[[T], str | None] | None = None):
        super().__init__()
        self.kind = kind
        self.check = check

    def register(self, cls: T) -> T:
        """Add ``cls`` under ``cls.name``.

        Raises:
            RegistrationError: the name is taken, a parameter is declared twice, or ``check``
                finds the declaration wrong.
        """
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name:
            raise RegistrationError(f"{cls.__name__}: a {self.kind} needs a name")
        if name in self:
            raise RegistrationError(f"{self.kind} {name!r} is registered twice "
                                    f"({self[name].__name__} and {cls.__name__})")
        params = [p.name for p in getattr(cls, "params", ())]
        if len(set(params)) != len(params):
            raise RegistrationError(f"{self.kind} {name!r} declares a parameter twice")
        problem = self.check(cls) if self.check else None
        if problem:
            raise RegistrationError(f"{self.kind} {name!r}: {problem}")
        self[name] = cls
        return cls


@dataclass(frozen=True)
class Param:
    """One typed parameter with a default and an inclusive range."""

    name: str
    kind: str
    default: Any
    doc: str
    min: float | None = None
    max: float | None = None

    def check(self, value: Any, names: Names | None = None) -> Any:
        """Return ``value`` converted to this parameter's type, or raise ValueError saying why.

        Args:
            value: the value given.
            names: known names by kind (``countries``, ``products``, ``components``) to check
                references against.
        """
        names = names or {}
        if self.kind == "product":
            if value is None or value == "all":
                return None
            known = names.get("products")
            if not isinstance(value, str) or (known is not None and value not in known):
                raise ValueError(f"unknown product {value!r}")
            return value
        if self.kind == "component":
            if value is None:
                return None
            known = names.get("components")
            if not isinstance(value, str) or (known is not None and value not in known):
                raise ValueError(f"unknown component {value!r}")
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"must be true or false, not {value!r}")
            return value
        if self.kind == "countries":
            if value is None:
                return None
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(c, str) for c in items):
                raise ValueError("must be a country or a list of countries")
            known = names.get("countries")
            unknown = [c for c in items if known is not None and c not in known]
            if unknown:
                raise ValueError(f"unknown country {unknown[0]!r}")
            return tuple(items)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number, not {value!r}")
        if self.kind == "int":
            if float(value) != int(value):
                raise ValueError(f"must be a whole number, not {value!r}")
            value = int(value)
        else:
            value = float(value)
        if self.min is not None and value < self.min:
            raise ValueError(f"must be at least {self.min:g}, not {value:g}")
        if self.max is not None and value > self.max:
            raise ValueError(f"must be at most {self.max:g}, not {value:g}")
        return value

    def describe(self) -> str:
        """One line for docs and help: type, default and range."""
        rng = ""
        if self.min is not None or self.max is not None:
            lo = "" if self.min is None else f"{self.min:g}"
            hi = "" if self.max is None else f"{self.max:g}"
            rng = f", {lo}–{hi}"
        return f"`{self.name}` ({self.kind}, default {self.default!r}{rng}): {self.doc}"


def check_params(
    specs: tuple[Param, ...], given: dict[str, Any], names: Names | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate ``given`` against ``specs``.

    Returns:
        (values with defaults filled in, {parameter name: problem}) — the second is empty when
        everything is valid.
    """
    by_name = {p.name: p for p in specs}
    values: dict[str, Any] = {p.name: p.default for p in specs}
    problems: dict[str, str] = {}
    for key, value in given.items():
        spec = by_name.get(key)
        if spec is None:
            known = ", ".join(by_name) or "none"
            problems[key] = f"unknown parameter (known: {known})"
            continue
        if isinstance(value, dt.date):
            problems[key] = "must be a number, not a date"
            continue
        try:
            values[key] = spec.check(value, names)
        except ValueError as exc:
            problems[key] = str(exc)
    return values, problems
