"""KDD's annual wheel (bvflow.wheel) and its iCalendar export (bvflow.ical).

Plain tests, no database. The partnership is the shipped Vest-Telemark file
with a ``[wheel]`` written by the test (source of the shape: the seed
document — two revisions a year, one political meeting, yearly reporting,
delivery to KDD by 27 June). Shared cases: ``date-allday-01``, ``date-week-01``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from bvflow.config import PartnershipConfig, load_partnership
from bvflow.errors import InputError
from bvflow.ical import build_calendar
from bvflow.messages import fmt_date
from bvflow.wheel import WheelEvent, iso_week_label, month_day, revision_deadlines, wheel_events

REPO = Path(__file__).resolve().parents[1]
STAMP = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)

WHEEL = """
[wheel]
political_meeting = "04-29"
reporting_deadline = "02-01"
delivery_deadline = "06-27"

[[wheel.revisions]]
name = "vår"
opens = "03-01"
deadlines = { municipalities = "04-15", county = "05-01", partners = "05-01", kdd = "06-01" }

[[wheel.revisions]]
name = "haust"
opens = "09-01"
deadlines = { municipalities = "10-15", county = "11-01", partners = "11-01", kdd = "01-15" }
"""


def _without_wheel(text: str) -> str:
    """The partnership file without any ``[wheel]`` tables it may already have."""
    out: list[str] = []
    skipping = False
    for line in text.splitlines():
        head = line.strip()
        if head.startswith("["):
            skipping = head.lstrip("[").startswith("wheel")
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


def _partnership(tmp_path: Path, wheel: str = WHEEL) -> PartnershipConfig:
    base = (REPO / "partnerships" / "vest-telemark.toml").read_text(encoding="utf-8")
    path = tmp_path / "vest-telemark.toml"
    path.write_text(_without_wheel(base) + wheel, encoding="utf-8")
    return load_partnership(path, REPO)


@pytest.fixture
def pc(tmp_path: Path) -> PartnershipConfig:
    return _partnership(tmp_path)


# --- month_day ------------------------------------------------------------------------------


def test_month_day_leap_day_from_anchor() -> None:
    # R1: each year from the anchor "02-29", never from the previous result.
    assert month_day("02-29", 2027) == date(2027, 2, 28)
    assert month_day("02-29", 2028) == date(2028, 2, 29)
    assert [month_day("02-29", y) for y in (2027, 2028, 2029)] == [
        date(2027, 2, 28), date(2028, 2, 29), date(2029, 2, 28)]
    assert month_day("06-27", 2025) == date(2025, 6, 27)


@pytest.mark.parametrize("value", ["13-01", "00-10", "02-30", "04-31", "2-1", "06-27x", "", "06/27"])
def test_month_day_rejects_invalid(value: str) -> None:
    with pytest.raises(InputError) as err:
        month_day(value, 2025)
    assert err.value.field == "wheel" and err.value.value == value


# --- wheel_events ---------------------------------------------------------------------------


def test_events_over_twelve_months_cross_the_year(pc: PartnershipConfig) -> None:
    events = wheel_events(pc, date(2025, 7, 1), date(2026, 6, 30))
    got = [(e.day, e.kind, e.revision, e.phase) for e in events]
    assert got == [
        (date(2025, 9, 1), "revision_opens", "haust", None),
        (date(2025, 10, 15), "revision_deadline", "haust", "municipalities"),
        (date(2025, 11, 1), "revision_deadline", "haust", "county"),
        (date(2025, 11, 1), "revision_deadline", "haust", "partners"),
        (date(2026, 1, 15), "revision_deadline", "haust", "kdd"),
        (date(2026, 2, 1), "reporting_deadline", None, None),
        (date(2026, 3, 1), "revision_opens", "vår", None),
        (date(2026, 4, 15), "revision_deadline", "vår", "municipalities"),
        (date(2026, 4, 29), "political_meeting", None, None),
        (date(2026, 5, 1), "revision_deadline", "vår", "county"),
        (date(2026, 5, 1), "revision_deadline", "vår", "partners"),
        (date(2026, 6, 1), "revision_deadline", "vår", "kdd"),
        (date(2026, 6, 27), "delivery_deadline", None, None),
    ]
    assert [e.day for e in events] == sorted(e.day for e in events)
    titles = {(e.kind, e.phase, e.revision): e.title for e in events}
    assert titles[("revision_opens", None, "haust")] == "Revisjon «haust» opnar"
    assert titles[("revision_deadline", "municipalities", "haust")] == (
        "Frist for Kommunane – revisjon «haust»")
    assert titles[("revision_deadline", "kdd", "vår")] == "Frist for KDD – revisjon «vår»"
    assert titles[("political_meeting", None, None)] == "Årleg politisk møte"
    assert titles[("reporting_deadline", None, None)] == "Rapporteringsfrist til KDD"
    assert titles[("delivery_deadline", None, None)] == "Frist for levering til KDD"
    assert events[0].to_dict() == {"day": "2025-09-01", "kind": "revision_opens",
                                   "title": "Revisjon «haust» opnar", "revision": "haust", "phase": None}


def test_window_bounds_are_inclusive_and_empty_when_reversed(pc: PartnershipConfig) -> None:
    one = wheel_events(pc, date(2026, 6, 27), date(2026, 6, 27))
    assert [(e.day, e.kind) for e in one] == [(date(2026, 6, 27), "delivery_deadline")]
    assert wheel_events(pc, date(2026, 7, 1), date(2026, 6, 1)) == []


def test_deadline_before_opens_lands_in_next_year(pc: PartnershipConfig) -> None:
    # autumn opens 09-01, KDD deadline 01-15 -> January of the following year
    events = wheel_events(pc, date(2026, 1, 1), date(2026, 1, 31))
    assert [(e.day, e.revision, e.phase) for e in events] == [(date(2026, 1, 15), "haust", "kdd")]
    assert revision_deadlines(pc, "haust", date(2025, 9, 1)) == {
        "municipalities": date(2025, 10, 15), "county": date(2025, 11, 1),
        "partners": date(2025, 11, 1), "kdd": date(2026, 1, 15)}
    # opened a few days late: still the 2025 revision's deadlines
    assert revision_deadlines(pc, "haust", date(2025, 9, 3))["kdd"] == date(2026, 1, 15)
    assert revision_deadlines(pc, "vår", date(2026, 3, 1)) == {
        "municipalities": date(2026, 4, 15), "county": date(2026, 5, 1),
        "partners": date(2026, 5, 1), "kdd": date(2026, 6, 1)}


def test_revision_opened_late_across_new_year(tmp_path: Path) -> None:
    wheel = '[wheel]\n[[wheel.revisions]]\nname = "vinter"\nopens = "12-28"\n' \
            'deadlines = { municipalities = "02-15", kdd = "12-30" }\n'
    pc = _partnership(tmp_path, wheel)
    assert revision_deadlines(pc, "vinter", date(2026, 1, 2)) == {
        "municipalities": date(2026, 2, 15), "kdd": date(2025, 12, 30)}


def test_leap_day_in_wheel_does_not_drift(tmp_path: Path) -> None:
    wheel = '[wheel]\nreporting_deadline = "02-29"\n'
    pc = _partnership(tmp_path, wheel)
    days = [e.day for e in wheel_events(pc, date(2027, 1, 1), date(2029, 12, 31))]
    assert days == [date(2027, 2, 28), date(2028, 2, 29), date(2029, 2, 28)]


def test_unknown_revision_name(pc: PartnershipConfig) -> None:
    with pytest.raises(InputError) as err:
        revision_deadlines(pc, "sommar", date(2025, 6, 1))
    assert err.value.field == "revision" and "haust" in str(err.value)


def test_unknown_phase_in_deadlines_names_the_key(tmp_path: Path) -> None:
    """Refused when the partnership file is loaded, naming file and key."""
    from bvflow.errors import DefinitionError

    with pytest.raises(DefinitionError) as err:
        _partnership(tmp_path, WHEEL.replace("county = \"11-01\"", "fylket = \"11-01\""))
    assert err.value.key == "wheel.revisions[1].deadlines.fylket"
    assert "municipalities" in str(err.value)


def test_invalid_month_day_in_config_names_the_key(tmp_path: Path) -> None:
    from bvflow.errors import DefinitionError

    with pytest.raises(DefinitionError) as err:
        _partnership(tmp_path, WHEEL.replace('delivery_deadline = "06-27"', 'delivery_deadline = "06-31"'))
    assert err.value.key == "wheel.delivery_deadline" and err.value.value == "06-31"


def test_empty_wheel_has_no_events(tmp_path: Path) -> None:
    pc = _partnership(tmp_path, "")
    assert wheel_events(pc, date(2025, 1, 1), date(2026, 12, 31)) == []


# --- ISO week, shared case date-week-01 -----------------------------------------------------


def test_iso_week_label_date_week_01() -> None:
    assert iso_week_label(date(2027, 1, 1)) == "2026-W53"
    assert iso_week_label(date(2024, 12, 30)) == "2025-W01"
    assert iso_week_label(date(2025, 6, 27)) == "2025-W26"


# --- iCalendar ------------------------------------------------------------------------------

MEETINGS = [{"party": "seljord", "stage": "kommunestyre", "body": "Kommunestyret i Seljord",
             "date": "2025-06-05"},
            {"party": "kviteseid", "stage": "kommunestyre", "body": "Kommunestyret i Kviteseid",
             "date": date(2025, 6, 12)}]
DEADLINES = [{"plan": "handlingsplan-2025", "version": 1, "phase": "municipalities",
              "title": "Kommunane", "date": "2025-06-20"}]


def _events(cal_bytes: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(cal_bytes).walk("VEVENT"))


def test_calendar_round_trip_all_day(pc: PartnershipConfig) -> None:
    events = wheel_events(pc, date(2025, 7, 1), date(2026, 6, 30))
    data = build_calendar("Bygdevekst Vest-Telemark", events, MEETINGS, DEADLINES,
                          uid_domain="vest-telemark.bvflow", stamp=STAMP)
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["PRODID"]) == "-//bvflow//NONSGML bvflow//NN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["X-WR-CALNAME"]) == "Bygdevekst Vest-Telemark"
    assert str(cal["X-WR-TIMEZONE"]) == "Europe/Oslo"
    vevents = _events(data)
    assert len(vevents) == len(events) + len(MEETINGS) + len(DEADLINES)
    for ve in vevents:
        start, end = ve["DTSTART"].dt, ve["DTEND"].dt
        assert type(start) is date and type(end) is date
        assert end == start + timedelta(days=1)
        assert ve["DTSTAMP"].dt == STAMP
    summaries = {str(ve["SUMMARY"]): ve["DTSTART"].dt for ve in vevents}
    assert summaries["Møte: Kommunestyret i Seljord"] == date(2025, 6, 5)
    assert summaries["Frist: Kommunane – handlingsplan-2025 v1"] == date(2025, 6, 20)
    assert summaries["Frist for KDD – revisjon «haust»"] == date(2026, 1, 15)
    assert b"T000000" not in data.replace(b"DTSTAMP:20250601T080000Z", b"")


def test_date_allday_01(pc: PartnershipConfig) -> None:
    """Shared case date-allday-01: deadline 2026-06-30 as an all-day event and in words."""
    deadline = {"plan": "handlingsplan-2026", "version": 2, "phase": "municipalities",
                "title": "Kommunane", "date": "2026-06-30"}
    event = WheelEvent(date(2026, 6, 30), "delivery_deadline", "Frist for levering til KDD")
    data = build_calendar("x", [event], [], [deadline], uid_domain="bvflow.test", stamp=STAMP)
    lines = data.split(b"\r\n")
    assert lines.count(b"DTSTART;VALUE=DATE:20260630") == 2
    assert lines.count(b"DTEND;VALUE=DATE:20260701") == 2
    assert all(ve["DTSTART"].dt == date(2026, 6, 30) for ve in _events(data))
    assert fmt_date(date(2026, 6, 30)) == "30. juni 2026"


def test_uids_stable_and_unique(pc: PartnershipConfig) -> None:
    events = wheel_events(pc, date(2025, 1, 1), date(2026, 12, 31))
    first = build_calendar("a", events, MEETINGS, DEADLINES, uid_domain="vt.bvflow", stamp=STAMP)
    again = build_calendar("a", list(reversed(events)), MEETINGS[::-1], DEADLINES,
                           uid_domain="vt.bvflow", stamp=STAMP)
    assert first == again
    later = build_calendar("a", events, MEETINGS, DEADLINES, uid_domain="vt.bvflow")
    uids = [str(ve["UID"]) for ve in _events(first)]
    assert uids == [str(ve["UID"]) for ve in _events(later)]
    assert len(set(uids)) == len(uids)
    assert all(u.endswith("@vt.bvflow") for u in uids)
    # the same item twice is written once (one UID, one event)
    twice = build_calendar("a", [], MEETINGS + MEETINGS, [], uid_domain="vt.bvflow", stamp=STAMP)
    assert len(_events(twice)) == len(MEETINGS)


@pytest.mark.parametrize(("meetings", "field"), [
    ([{"party": "seljord", "body": "Kommunestyret i Seljord", "date": "2025-6-5"}], "meetings[0].date"),
    ([{"party": "seljord", "body": "Kommunestyret i Seljord",
       "date": datetime(2025, 6, 5, tzinfo=UTC)}], "meetings[0].date"),
    ([{"party": "seljord", "date": "2025-06-05"}], "meetings[0].body"),
])
def test_calendar_rejects_bad_items(meetings: list[dict], field: str) -> None:
    with pytest.raises(InputError) as err:
        build_calendar("x", [], meetings, [], uid_domain="bvflow.test", stamp=STAMP)
    assert err.value.field == field


def test_calendar_rejects_naive_stamp() -> None:
    with pytest.raises(InputError) as err:
        build_calendar("x", [], [], [], uid_domain="bvflow.test", stamp=datetime(2025, 6, 1, 8, 0))
    assert err.value.field == "stamp"
