"""Working days in Norway: Monday–Friday that are not public holidays.

Public holidays come from the ``holidays`` package's Norway calendar (without
ordinary Sundays, PITFALLS R2); all dates are local dates in Europe/Oslo.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = ["is_working_day", "add_working_days", "working_days_between"]


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NO", years=year, include_sundays=False))


def is_working_day(day: date) -> bool:
    """True for Monday–Friday that is no Norwegian public holiday."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(day: date, n: int) -> date:
    """The date ``n`` working days after ``day`` (before it for negative ``n``).
    ``n == 0`` returns ``day`` itself."""
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    current = day
    while remaining:
        current += timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Number of working days in the half-open interval (start, end]; 0 if end <= start."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
