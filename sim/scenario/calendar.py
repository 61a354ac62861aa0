"""Calendars: steps ↔ dates (steps are 0-based; a date maps to the step whose period holds it)."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt

STEP_DAYS = {"day": 1, "week": 7, "month": 30.4375}


def date_of_step(start: dt.date, unit: str, step: int) -> dt.date:
    """The first day of step ``step`` of a calendar (months keep the start's day, clamped)."""
    if unit == "month":
        m = start.month - 1 + step
        year, month = start.year + m // 12, m % 12 + 1
        return dt.date(year, month, min(start.day, _calendar.monthrange(year, month)[1]))
    return start + dt.timedelta(days=step * (1 if unit == "day" else 7))


def step_of(start: dt.date, unit: str, at: int | dt.date) -> int:
    """The 0-based step an ``at`` falls in: a step as it is, a date by its period."""
    return at if isinstance(at, int) else step_of_date(start, unit, at)


def step_of_date(start: dt.date, unit: str, at: dt.date) -> int:
    """The step whose period contains ``at`` (negative before the start)."""
    if unit == "month":
        k = (at.year - start.year) * 12 + at.month - start.month
        return k - 1 if date_of_step(start, unit, k) > at else k
    return (at - start).days // (1 if unit == "day" else 7)
