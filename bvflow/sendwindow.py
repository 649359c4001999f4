"""When mail may go out: working days, inside a send window, Europe/Oslo.

Rule (issue "The annual wheel, reminders …"): mail goes out only on working
days (no weekend, no Norwegian public holiday) inside the send window
(default 08:00–16:00 local). A message that would fall outside goes out at the
start of the next allowed slot, never later than its latest useful moment — if
it cannot, at the last working slot before that moment (or at once, when even
that has passed).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from .clock import OSLO
from .workdays import is_working_day

__all__ = ["local_instant", "parse_window", "send_slot"]


def parse_window(window: tuple[str, str]) -> tuple[time, time]:
    """``("08:00", "16:00")`` → (start, end) local times.

    Raises: ValueError when malformed or when start is not before end.
    """
    start, end = (time.fromisoformat(w) for w in window)
    if start >= end:
        raise ValueError(f"send window {window!r}: the start must be before the end")
    return start, end


def local_instant(day: date, at: time) -> datetime:
    """The UTC instant of local wall-clock ``at`` on ``day`` in Oslo. A time
    that does not exist (the spring gap) is read with the offset before the
    switch (fold=0): 02:30 on the spring day is 03:30 local; a repeated time
    (autumn) is its first occurrence."""
    return datetime.combine(day, at, tzinfo=OSLO).astimezone(UTC)


def send_slot(at: datetime, window: tuple[str, str] = ("08:00", "16:00"),
              latest: datetime | None = None) -> datetime:
    """The UTC instant at which a message decided at ``at`` (aware) may go out.

    Returns ``at`` itself when it lies in a slot; else the start of the next
    slot; if that is after ``latest``, the last moment of the last slot before
    ``latest`` — but never earlier than ``at``.
    """
    start, end = parse_window(window)
    local = at.astimezone(OSLO)
    day = local.date()
    if is_working_day(day) and start <= local.time() < end:
        candidate = at
    else:
        if not (is_working_day(day) and local.time() < start):
            day += timedelta(days=1)
            while not is_working_day(day):
                day += timedelta(days=1)
        candidate = local_instant(day, start)
    if latest is None or candidate <= latest:
        return candidate
    # too late: the last slot moment at or before `latest`
    loc = latest.astimezone(OSLO)
    day = loc.date()
    if is_working_day(day) and start <= loc.time() < end:
        back = latest
    else:
        if not (is_working_day(day) and loc.time() >= end):
            day -= timedelta(days=1)
            while not is_working_day(day):
                day -= timedelta(days=1)
        back = local_instant(day, end) - timedelta(minutes=1)
    return max(back, at)
