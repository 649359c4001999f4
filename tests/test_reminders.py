"""Reminder rules, working days and the send window."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bvflow import queries, services
from bvflow.clock import OSLO, SimulatedClock
from bvflow.reminders import run_reminders
from bvflow.sendwindow import send_slot
from bvflow.site import Site
from bvflow.workdays import add_working_days

from .conftest import DEADLINES, MUNICIPALITIES, PROPOSAL


def oslo(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=OSLO).astimezone(UTC)


def test_scheduler_holiday_01_three_working_days_before_easter_deadline() -> None:
    """scheduler-holiday-01: deadline Wed 2027-03-31, 3 working days before → 2027-03-23."""
    assert add_working_days(date(2027, 3, 31), -3) == date(2027, 3, 23)


@pytest.mark.parametrize(("at", "expected"), [
    (oslo(2025, 6, 12, 9, 30), oslo(2025, 6, 12, 9, 30)),      # inside the window
    (oslo(2025, 6, 12, 7, 0), oslo(2025, 6, 12, 8, 0)),        # before: start of the day's window
    (oslo(2025, 6, 12, 16, 0), oslo(2025, 6, 13, 8, 0)),       # at the end: next working day
    (oslo(2025, 6, 13, 19, 0), oslo(2025, 6, 16, 8, 0)),       # Friday evening → Monday
    (oslo(2025, 6, 6, 17, 0), oslo(2025, 6, 10, 8, 0)),        # Whit Monday 9 June is a holiday
    (oslo(2025, 5, 16, 20, 0), oslo(2025, 5, 19, 8, 0)),       # 17 May is a Saturday in 2025
])
def test_send_window_and_working_days(at: datetime, expected: datetime) -> None:
    assert send_slot(at) == expected


def test_send_slot_never_later_than_the_latest_useful_moment() -> None:
    # decided Friday 18:00, the deadline is Monday 07:00: the last slot before is Friday… already
    # past, so it goes at once rather than after the deadline
    assert send_slot(oslo(2025, 6, 13, 18, 0), latest=oslo(2025, 6, 16, 7, 0)) == oslo(2025, 6, 13, 18, 0)
    # decided Thursday 17:00, latest Friday 07:00 → not Friday 08:00; the last slot before that
    # is Thursday 15:59 — already past — so at once
    assert send_slot(oslo(2025, 6, 12, 17, 0), latest=oslo(2025, 6, 13, 7, 0)) == oslo(2025, 6, 12, 17, 0)
    # decided Saturday, latest Monday 12:00 → Monday 08:00 fits
    assert send_slot(oslo(2025, 6, 14, 10, 0), latest=oslo(2025, 6, 16, 12, 0)) == oslo(2025, 6, 16, 8, 0)
    # decided Wednesday 06:00 with latest Wednesday 07:00: the last slot before is Tuesday, past
    assert send_slot(oslo(2025, 6, 11, 6, 0), latest=oslo(2025, 6, 11, 7, 0)) == oslo(2025, 6, 11, 6, 0)


def _setup(site: Site) -> None:
    services.create_plan(site, None, "hp", "Handlingsplan", PROPOSAL, DEADLINES)
    services.submit_plan(site, None, "hp")


def _kinds(queued, kind: str) -> list[str]:
    return sorted(q.recipient for q in queued if q.kind == kind)


def test_deadline_reminders_10_5_2_working_days_before(site: Site, clock: SimulatedClock) -> None:
    _setup(site)
    # deadline Fri 20 June 2025; Whit Monday 9 June is a holiday
    assert [add_working_days(date(2025, 6, 20), -n) for n in (10, 5, 2)] == [
        date(2025, 6, 5), date(2025, 6, 13), date(2025, 6, 18)]
    clock.set_date(date(2025, 6, 4), time(9))
    queued, _ = run_reminders(site, None)
    assert _kinds(queued, "reminder") == []
    clock.set_date(date(2025, 6, 5), time(9))
    services.record_resolution(site, None, "hp", "seljord", "kommunestyre", date(2025, 6, 5), "passed",
                               as_proposed=True)
    queued, _ = run_reminders(site, None)
    # every municipality but Seljord (passed) is reminded, each at its own address
    assert _kinds(queued, "reminder") == sorted(f"politisk@{m}.example" for m in MUNICIPALITIES
                                                if m != "seljord")
    again, _ = run_reminders(site, None)
    assert _kinds(again, "reminder") == []  # once
    clock.set_date(date(2025, 6, 18), time(9))
    queued, _ = run_reminders(site, None)
    assert len(_kinds(queued, "reminder")) == 5
    rows = [r for r in queries.outbox(site, None) if r["kind"] == "reminder"
            and r["recipient"] == "politisk@tokke.example"]
    assert len(rows) == 2  # the 10-day one and the 2-day one; the 5-day one was never due at a run
    assert rows[-1]["subject"] == ("[Bygdevekst Vest-Telemark] Påminning: Tokke kommune – frist "
                                   "20. juni 2025 for handlingsplan-2025 v1").replace(
                                       "handlingsplan-2025", "hp")


def test_after_downtime_only_the_nearest_threshold_is_sent(site: Site, clock: SimulatedClock) -> None:
    _setup(site)
    clock.set_date(date(2025, 6, 16), time(9))  # first run after the 10 and 5 day marks
    queued, _ = run_reminders(site, None)
    tokke = [q for q in queued if q.kind == "reminder" and q.recipient == "politisk@tokke.example"]
    assert len(tokke) == 1


def test_escalation_after_working_days_without_effect(site: Site, clock: SimulatedClock) -> None:
    _setup(site)  # Tokke: no council meeting before the deadline, alerted on 2 May
    clock.set_date(date(2025, 5, 8), time(9))  # 4 working days later (1 May no, 17 May later)
    queued, _ = run_reminders(site, None)
    assert _kinds(queued, "escalation") == []
    clock.set_date(date(2025, 5, 9), time(9))  # 5 working days
    queued, _ = run_reminders(site, None)
    assert _kinds(queued, "escalation") == ["bygdevekst@vest-telemark.example",
                                            "styringsgruppa@vest-telemark.example"]
    assert run_reminders(site, None)[0] == []


def test_weekly_digest_once_per_iso_week(site: Site, clock: SimulatedClock) -> None:
    _setup(site)
    clock.set_date(date(2025, 5, 5), time(7, 0))  # Monday, before the window
    queued, _ = run_reminders(site, None)
    digest = [q for q in queued if q.kind == "digest"]
    assert len(digest) == 2 and digest[0].subject.endswith("Vekeoversikt 2025-W19")
    assert digest[0].due_at == oslo(2025, 5, 5, 8, 0)
    clock.set_date(date(2025, 5, 5), time(15, 0))
    assert [q for q in run_reminders(site, None)[0] if q.kind == "digest"] == []


def test_date_week_01_digest_for_the_week_of_new_year_2027(tmp_path, db_url: str) -> None:
    """date-week-01: the digest for the week containing 2027-01-01 is labelled 2026-W53."""
    from .conftest import make_site_dir

    clock = SimulatedClock()
    clock.set_date(date(2026, 12, 28), time(9))  # Monday of that week
    site = Site.open(make_site_dir(tmp_path, db_url) / "config.toml", clock)
    services.create_plan(site, None, "hp", "H", PROPOSAL, {"municipalities": date(2027, 2, 1)})
    services.submit_plan(site, None, "hp")
    digest = [q for q in run_reminders(site, None)[0] if q.kind == "digest"]
    assert digest and digest[0].subject.endswith("Vekeoversikt 2026-W53")
    site.engine.dispose()


def test_dry_run_stores_nothing(site: Site, clock: SimulatedClock) -> None:
    _setup(site)
    before = queries.outbox(site, None)
    clock.set_date(date(2025, 6, 5), time(9))
    queued, _ = run_reminders(site, None, dry_run=True)
    assert queued and queries.outbox(site, None) == before


def test_alerts_wait_for_the_send_window(site: Site, clock: SimulatedClock) -> None:
    clock.set_date(date(2025, 5, 2), time(19, 30))  # Friday evening
    _setup(site)
    rows = queries.outbox(site, None)
    assert rows and {r["kind"] for r in rows} == {"no_meeting_before_deadline"}
    from sqlmodel import Session, select

    from bvflow.models import OutboxMessage

    with Session(site.engine) as s:
        due = {m.due_at for m in s.exec(select(OutboxMessage))}
    assert due == {oslo(2025, 5, 5, 8, 0)}  # Monday 08:00


def test_mail_template_01_a_broken_site_template_fails_at_start(tmp_path) -> None:
    """mail-template-01: an undefined variable fails loudly at start-up, no blank mail."""
    from bvflow.errors import DeliveryError
    from bvflow.notify import check_templates

    from .conftest import make_site_dir

    d = make_site_dir(tmp_path, f"sqlite:///{tmp_path}/t.db")
    assert check_templates(str(d)) == 15
    (d / "notifications" / "nb" / "reminder.txt.j2").write_text("Hei {{ recipent }}\n", encoding="utf-8")
    with pytest.raises(DeliveryError, match="nb/reminder"):
        check_templates(str(d))


def test_a_reminder_to_a_party_that_has_since_passed_is_withdrawn(site: Site, clock: SimulatedClock) -> None:
    _setup(site)
    clock.set_date(date(2025, 6, 5), time(7, 30))
    queued, _ = run_reminders(site, None)
    assert "politisk@vinje.example" in _kinds(queued, "reminder")
    clock.set_date(date(2025, 6, 5), time(7, 45))  # before the 08:00 send
    services.record_resolution(site, None, "hp", "vinje", "kommunestyre", date(2025, 6, 5), "passed",
                               as_proposed=True)
    vinje = [r for r in queries.outbox(site, None)
             if r["kind"] == "reminder" and r["recipient"] == "politisk@vinje.example"]
    assert [r["status"] for r in vinje] == ["withdrawn"]
    tokke = [r for r in queries.outbox(site, None)
             if r["kind"] == "reminder" and r["recipient"] == "politisk@tokke.example"]
    assert [r["status"] for r in tokke] == ["pending"]


@pytest.mark.parametrize(("snippet", "key"), [
    ('send_window = ["16:00", "08:00"]', "reminders.send_window"),
    ('before_deadline = [-3, 5]', "reminders.before_deadline[0]"),
    ('[wheel]\nrevisions = [{ name = "x", opens = "02-30" }]', "wheel.revisions[0].opens"),
    ('[wheel]\nrevisions = [{ name = "x", opens = "03-01", deadlines = { kommunar = "05-01" } }]',
     "wheel.revisions[0].deadlines.kommunar"),
])
def test_bad_wheel_and_reminder_settings_are_refused_on_load(tmp_path, snippet: str, key: str) -> None:
    from bvflow.config import load_site
    from bvflow.errors import DefinitionError

    from .conftest import make_site_dir

    d = make_site_dir(tmp_path, f"sqlite:///{tmp_path}/x.db")
    p = d / "partnerships" / "vest-telemark.toml"
    text = p.read_text(encoding="utf-8")
    text = text[: text.index("[wheel]")] if "[wheel]" in text else text
    section = snippet if snippet.startswith("[wheel]") else "[reminders]\n" + snippet
    p.write_text(text + "\n" + section + "\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_site(d / "config.toml")
    assert err.value.file == str(p) and err.value.key == key
