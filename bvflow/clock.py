"""Time for bvflow: an injectable clock, so the demo and the tests can move it.

Stored instants are UTC (``datetime`` with ``tzinfo=UTC``); dates that people
see and enter are local dates in Europe/Oslo (``datetime.date``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["OSLO", "Clock", "SimulatedClock", "SystemClock", "local_noon_utc"]

OSLO = ZoneInfo("Europe/Oslo")


class Clock:
    """Interface: ``now()`` gives an aware UTC datetime, ``today()`` the Oslo date."""

    def now(self) -> datetime:  # pragma: no cover - interface
        raise NotImplementedError

    def today(self) -> date:
        """The current local date in Europe/Oslo."""
        return self.now().astimezone(OSLO).date()


class SystemClock(Clock):
    """The real wall clock (moved by ``time-machine`` in tests)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class SimulatedClock(Clock):
    """A clock set by hand: the demo replays 2025 with it.

    Attributes: ``current`` (aware datetime, any zone; returned as UTC).
    """

    current: datetime = field(default_factory=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.current.astimezone(UTC)

    def set_date(self, day: date, at: time = time(12, 0)) -> None:
        """Move to ``day`` at local time ``at`` (Europe/Oslo)."""
        self.current = datetime.combine(day, at, tzinfo=OSLO)

    def advance(self, delta: timedelta) -> None:
        self.current = self.current + delta


def local_noon_utc(day: date) -> datetime:
    """Noon in Oslo on ``day`` as an aware UTC datetime (used to stamp past events)."""
    return datetime.combine(day, time(12, 0), tzinfo=OSLO).astimezone(UTC)
