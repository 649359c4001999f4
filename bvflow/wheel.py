"""KDD's annual wheel (årshjul): the dated events of a partnership's year.

The wheel comes from ``[wheel]`` in the partnership file
(:class:`~bvflow.config.WheelConfig`). Source: the seed document
(``handlingsplan-vest-telemark-2025``): the plan is revised twice a year, there
is one yearly political meeting and yearly reporting, and the 2025 plan was
to be delivered to KDD by 27 June 2025. The concrete ``"MM-DD"`` values are
configuration, not rules of this module.

All dates are local calendar dates in Europe/Oslo (:class:`datetime.date`,
never datetimes, PITFALLS R4). Every date of a year is computed from its
``"MM-DD"`` anchor in that year, never by adding months or years to an
earlier result (PITFALLS R1): ``"02-29"`` is 29 February in leap years and
28 February otherwise, every year anew.

Event kinds, in the order used to sort events of the same day:

=====================  ====================================================
``revision_opens``     a revision (e.g. «vår», «haust») opens; a new draft
``revision_deadline``  the deadline of one workflow phase in a revision
``political_meeting``  the yearly political meeting
``reporting_deadline`` the yearly reporting deadline to KDD
``delivery_deadline``  the yearly deadline for delivering the plan to KDD
=====================  ====================================================
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .config import PartnershipConfig, RevisionConfig
from .errors import InputError

__all__ = [
    "EVENT_KINDS",
    "WheelEvent",
    "iso_week_label",
    "month_day",
    "revision_deadlines",
    "wheel_events",
]

#: Event kinds, in sort order for events on the same day.
EVENT_KINDS = (
    "revision_opens",
    "revision_deadline",
    "political_meeting",
    "reporting_deadline",
    "delivery_deadline",
)
_KIND_ORDER = {k: i for i, k in enumerate(EVENT_KINDS)}

#: Titles (nynorsk) of the yearly events.
_YEARLY = (
    ("political_meeting", "Årleg politisk møte"),
    ("reporting_deadline", "Rapporteringsfrist til KDD"),
    ("delivery_deadline", "Frist for levering til KDD"),
)

_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")


def month_day(value: str, year: int) -> date:
    """The date of ``value`` (``"MM-DD"``) in ``year``, an Oslo local date.

    ``"02-29"`` gives 28 February in a year that is not a leap year; the result
    is always computed from the anchor ``value`` itself (PITFALLS R1), so a
    yearly 29 February never drifts to 28 February for good.

    Raises:
        InputError: field ``"wheel"``: ``value`` is not ``"MM-DD"`` with two
            digits each, or names no day of any year (``"02-30"``, ``"13-01"``).
    """
    m = _MONTH_DAY.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise InputError("wheel", value, 'not a month and day "MM-DD", e.g. "06-27"')
    month, day = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise InputError("wheel", value, "month must be 01–12")
    longest = calendar.monthrange(2000, month)[1]  # 2000 is a leap year: 02 has 29 days
    if not 1 <= day <= longest:
        raise InputError("wheel", value, f"day must be 01–{longest:02d} in month {month:02d}")
    if month == 2 and day == 29 and not calendar.isleap(year):
        day = 28
    return date(year, month, day)


@dataclass(frozen=True)
class WheelEvent:
    """One dated event of the wheel.

    Attributes:
        day: Oslo local date of the event.
        kind: one of :data:`EVENT_KINDS`.
        title: nynorsk title, e.g. ``"Frist for Kommunane – revisjon «haust»"``.
        revision: name of the revision (``revision_*`` kinds), else None.
        phase: workflow phase name (``revision_deadline``), else None.
    """

    day: date
    kind: str
    title: str
    revision: str | None = None
    phase: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; ``day`` as ISO ``YYYY-MM-DD``."""
        return {"day": self.day.isoformat(), "kind": self.kind, "title": self.title,
                "revision": self.revision, "phase": self.phase}


def iso_week_label(day: date) -> str:
    """ISO 8601 week label of ``day``, e.g. ``"2026-W53"`` for 2027-01-01.

    Uses the ISO year ``%G`` with ``%V`` (PITFALLS R3; ``%Y`` would print
    ``"2027-W53"``).
    """
    return day.strftime("%G-W%V")


# --- checking the configuration -------------------------------------------------------------


def _checked(key: str, value: str, year: int) -> date:
    """:func:`month_day`, re-raised with the config ``key`` as field."""
    try:
        return month_day(value, year)
    except InputError as exc:
        raise InputError(key, value, exc.problem) from exc


def _check_wheel(pc: PartnershipConfig) -> None:
    """Check every value of ``pc.wheel`` once, whatever window is asked for.

    Raises:
        InputError: naming the key, e.g. ``wheel.revisions[1].deadlines.fylket``
            (not a phase of the workflow), ``wheel.revisions[0].deadlines.kdd``
            (not ``"MM-DD"``), ``wheel.revisions[2].name`` (used twice).
    """
    wf = pc.workflow
    phases = [p.name for p in wf.phases]
    seen: set[str] = set()
    for i, rev in enumerate(pc.wheel.revisions):
        if rev.name in seen:
            raise InputError(f"wheel.revisions[{i}].name", rev.name, "revision name used twice")
        seen.add(rev.name)
        _checked(f"wheel.revisions[{i}].opens", rev.opens, 2000)
        for phase, value in rev.deadlines.items():
            key = f"wheel.revisions[{i}].deadlines.{phase}"
            if phase not in phases:
                raise InputError(key, phase, f"not a phase of workflow '{wf.name}' ({', '.join(phases)})")
            _checked(key, value, 2000)
    for kind, _ in _YEARLY:
        value = getattr(pc.wheel, kind)
        if value is not None:
            _checked(f"wheel.{kind}", value, 2000)


def _phase_title(pc: PartnershipConfig, phase: str) -> str:
    return pc.workflow.phase(phase).title or phase


def _revision_dates(pc: PartnershipConfig, rev: RevisionConfig, year: int) -> tuple[date, dict[str, date]]:
    """Opening date of ``rev`` in ``year`` and its deadlines, in workflow phase order.
    A deadline whose ``"MM-DD"`` is earlier than ``opens`` falls in ``year + 1``
    (rule of :class:`~bvflow.config.RevisionConfig`). ``pc`` must be checked."""
    opens = month_day(rev.opens, year)
    deadlines: dict[str, date] = {}
    for phase in pc.workflow.phases:
        value = rev.deadlines.get(phase.name)
        if value is None:
            continue
        # "MM-DD" strings are zero-padded, so string order is calendar order.
        deadlines[phase.name] = month_day(value, year + 1 if value < rev.opens else year)
    return opens, deadlines


# --- public API -----------------------------------------------------------------------------


def wheel_events(pc: PartnershipConfig, start: date, end: date) -> list[WheelEvent]:
    """Every event of ``pc``'s wheel with ``start <= day <= end`` (Oslo local dates).

    Sorted by day, then kind (order of :data:`EVENT_KINDS`), then workflow phase
    order and title. Works across year boundaries: a revision opened in one year
    contributes deadlines that fall in the next. An empty list when ``end < start``.

    Raises:
        InputError: the wheel configuration is invalid (see ``_check_wheel``),
            even when the faulty entry has no event in the window.
    """
    _check_wheel(pc)
    if end < start:
        return []
    order = {p.name: i for i, p in enumerate(pc.workflow.phases)}
    events: list[WheelEvent] = []
    # A revision of year y has deadlines in y or y + 1, so start one year early.
    for year in range(start.year - 1, end.year + 1):
        for rev in pc.wheel.revisions:
            opens, deadlines = _revision_dates(pc, rev, year)
            events.append(WheelEvent(opens, "revision_opens", f"Revisjon «{rev.name}» opnar", rev.name))
            for phase, day in deadlines.items():
                title = f"Frist for {_phase_title(pc, phase)} – revisjon «{rev.name}»"
                events.append(WheelEvent(day, "revision_deadline", title, rev.name, phase))
        for kind, title in _YEARLY:
            value = getattr(pc.wheel, kind)
            if value is not None:
                events.append(WheelEvent(month_day(value, year), kind, title))
    chosen = [e for e in events if start <= e.day <= end]
    chosen.sort(key=lambda e: (e.day, _KIND_ORDER[e.kind], order.get(e.phase or "", -1),
                               e.title, e.revision or ""))
    return chosen


def revision_deadlines(pc: PartnershipConfig, revision_name: str, opened_on: date) -> dict[str, date]:
    """Deadline per workflow phase (phase name → Oslo local date, in workflow
    order) of revision ``revision_name`` as opened on ``opened_on``.

    The revision's year is that of its ``opens`` date nearest to ``opened_on``,
    so a revision opened a few days early or late (e.g. ``opens = "12-28"``,
    opened on 2 January) keeps the deadlines of that opening. Phases without a
    deadline in the configuration are left out.

    Raises:
        InputError: field ``revision``: no revision of that name in the wheel;
            or the wheel configuration is invalid (see ``_check_wheel``).
    """
    _check_wheel(pc)
    rev = next((r for r in pc.wheel.revisions if r.name == revision_name), None)
    if rev is None:
        known = ", ".join(r.name for r in pc.wheel.revisions) or "none configured"
        raise InputError("revision", revision_name, f"no such revision in [wheel]; known: {known}")
    year = min(range(opened_on.year - 1, opened_on.year + 2),
               key=lambda y: abs((month_day(rev.opens, y) - opened_on).days))
    return _revision_dates(pc, rev, year)[1]
