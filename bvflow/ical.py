"""iCalendar (RFC 5545) export of the wheel, meetings and plan deadlines.

Every item becomes one **all-day** ``VEVENT``: ``DTSTART;VALUE=DATE`` on the
Oslo local date and ``DTEND;VALUE=DATE`` on the next day (RFC 5545 3.6.1, end
exclusive). Never a datetime: a date stored or sent as local midnight turns
into the previous day in UTC (PITFALLS R4, shared case ``date-allday-01``).

UIDs are stable: a hash of what identifies the item (kind, date, title and,
for meetings and deadlines, party/stage or plan/version/phase) plus
``@uid_domain``, so a calendar re-exported from the same data updates the
subscriber's events instead of duplicating them. ``DTSTAMP`` comes from the
``stamp`` argument, so two builds with the same input and stamp are
byte-identical.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

from .errors import InputError
from .wheel import WheelEvent

__all__ = ["PRODID", "build_calendar", "partnership_calendar"]

PRODID = "-//bvflow//NONSGML bvflow//NN"
TIMEZONE = "Europe/Oslo"


def _as_date(field: str, value: Any) -> date:
    """An Oslo local date from a :class:`date` or an ISO ``YYYY-MM-DD`` string.

    Raises:
        InputError: a datetime (R4: a date must not carry a time) or anything else.
    """
    if isinstance(value, datetime):
        raise InputError(field, value, "a date (YYYY-MM-DD) is needed, not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(field, value, "not a date YYYY-MM-DD")


def _required(field: str, item: Mapping[str, Any], key: str) -> Any:
    if not isinstance(item, Mapping):
        raise InputError(field, item, "must be a table of values (dict)")
    if key not in item or item[key] in (None, ""):
        raise InputError(f"{field}.{key}", None, "is required")
    return item[key]


def _uid(identity: tuple[object, ...], uid_domain: str) -> str:
    digest = hashlib.sha256("\x1f".join(str(x) for x in identity).encode("utf-8")).hexdigest()
    return f"{digest[:32]}@{uid_domain}"


def build_calendar(
    name: str,
    events: list[WheelEvent],
    meetings: list[dict[str, Any]],
    deadlines: list[dict[str, Any]],
    *,
    uid_domain: str,
    stamp: datetime | None = None,
) -> bytes:
    """An iCalendar file (bytes, UTF-8, CRLF lines) with one all-day event per item.

    Args:
        name: calendar name shown by clients (``X-WR-CALNAME``).
        events: wheel events (:func:`bvflow.wheel.wheel_events`); summary = their title.
        meetings: ``{"party", "stage", "body", "date"}``; summary ``"Møte: <body>"``.
        deadlines: ``{"plan", "version", "phase", "title", "date"}``; summary
            ``"Frist: <title> – <plan> v<version>"`` (``title`` defaults to ``phase``).
            ``date`` values are Oslo local dates: :class:`date` or ``"YYYY-MM-DD"``.
        uid_domain: right-hand side of every UID, e.g. ``"vest-telemark.bvflow"``.
        stamp: ``DTSTAMP`` of every event, an aware datetime (converted to UTC,
            whole seconds); default: now.

    Events are written sorted by date, summary and UID; an item identical to an
    earlier one (same UID) is written once.

    Raises:
        InputError: a missing key or a bad date (field such as ``meetings[2].date``),
            a naive ``stamp``, or an empty ``uid_domain``.
    """
    if not uid_domain or any(c.isspace() or c == "@" for c in uid_domain):
        raise InputError("uid_domain", uid_domain, "a domain without spaces or '@' is needed")
    if stamp is None:
        stamp = datetime.now(UTC)
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise InputError("stamp", stamp, "an aware datetime (with time zone) is needed")
    stamp = stamp.astimezone(UTC).replace(microsecond=0)

    items: list[tuple[date, str, str, str]] = []  # (day, summary, uid, category)
    for i, ev in enumerate(events):
        day = _as_date(f"events[{i}].day", ev.day)
        uid = _uid(("wheel", ev.kind, day.isoformat(), ev.title), uid_domain)
        items.append((day, ev.title, uid, ev.kind))
    for i, m in enumerate(meetings):
        field = f"meetings[{i}]"
        day = _as_date(f"{field}.date", _required(field, m, "date"))
        body = str(_required(field, m, "body"))
        identity = ("meeting", m.get("party", ""), m.get("stage", ""), day.isoformat(), body)
        items.append((day, f"Møte: {body}", _uid(identity, uid_domain), "meeting"))
    for i, d in enumerate(deadlines):
        field = f"deadlines[{i}]"
        day = _as_date(f"{field}.date", _required(field, d, "date"))
        plan = _required(field, d, "plan")
        version = _required(field, d, "version")
        phase = _required(field, d, "phase")
        title = d.get("title") or phase
        identity = ("deadline", plan, version, phase, day.isoformat(), title)
        items.append((day, f"Frist: {title} – {plan} v{version}", _uid(identity, uid_domain), "deadline"))

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TIMEZONE)
    written: set[str] = set()
    for day, summary, uid, category in sorted(items, key=lambda t: (t[0], t[1], t[2])):
        if uid in written:
            continue
        written.add(uid)
        vevent = Event()
        vevent.add("uid", uid)
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", day)
        vevent.add("dtend", day + timedelta(days=1))
        vevent.add("summary", summary)
        vevent.add("categories", [category])
        vevent.add("transp", "TRANSPARENT")
        cal.add_component(vevent)
    return cal.to_ical()


def partnership_calendar(site: Any, partnership: str | None, plan: str | None = None) -> bytes:
    """The calendar of a partnership as ``bvflow calendar`` and the web feed
    give it: the wheel from a month back to a year ahead, every meeting, and
    the deadlines — of every open plan version, or of plan ``plan`` only (a
    plan key; ``KEY@N`` is cut to the key). ``site`` is a :class:`bvflow.site.Site`.

    Raises: DefinitionError (unknown partnership).
    """
    from .queries import deadlines, meetings  # noqa: PLC0415 (queries import services)
    from .wheel import wheel_events  # noqa: PLC0415

    scope = site.scope(partnership)
    today = site.clock.today()
    due = deadlines(site, scope.key, None)
    name = scope.config.name
    if plan:
        key = plan.partition("@")[0]
        due = [d for d in due if d["plan"] == key]
        name = f"{name} – {key}"
    return build_calendar(name, wheel_events(scope.config, today - timedelta(days=31),
                                             today + timedelta(days=365)),
                          meetings(site, scope.key), due, uid_domain=f"{scope.key}.bvflow",
                          stamp=site.clock.now())
