"""Out-of-step findings for given dates, from the Vest-Telemark example calendars."""

from __future__ import annotations

from datetime import date

from bvflow import queries, services
from bvflow.clock import SimulatedClock
from bvflow.findings import FINDING_KINDS
from bvflow.site import Site

from .conftest import DEADLINES, MUNICIPALITIES, PROPOSAL

PLAN = "handlingsplan-2025"


def kinds(site: Site, at: date) -> list[tuple[str, str]]:
    (st,) = queries.status(site, None, PLAN, at)
    return [(f.kind, f.party) for f in st.findings]


def setup(site: Site) -> None:
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    services.submit_plan(site, None, PLAN, "sg")


def test_no_meeting_before_deadline_seen_weeks_ahead(site: Site) -> None:
    setup(site)
    assert kinds(site, date(2025, 5, 2)) == [("no_meeting_before_deadline", "tokke")]
    (st,) = queries.status(site, None, PLAN, date(2025, 5, 2))
    f = st.findings[0].to_dict()
    assert f["severity"] == "critical" and f["date"] == "2025-06-20"
    assert f["message"] == ("Tokke kommune: Kommunestyret i Tokke har inkje møte att før fristen "
                            "20. juni 2025.")
    assert f["concerns"] == ["tokke", "steering_group"]
    assert set(f) >= {"kind", "party", "severity", "message"}


def test_missing_record_after_working_days(site: Site, clock: SimulatedClock) -> None:
    setup(site)
    clock.set_date(date(2025, 5, 20))
    services.record_resolution(site, None, PLAN, "seljord", "formannskap", date(2025, 5, 15),
                               "passed", as_proposed=True)
    # Kviteseid and Vinje met on Tue 20 May; one working day later: nothing yet
    assert ("missing_record", "vinje") not in kinds(site, date(2025, 5, 21))
    at22 = kinds(site, date(2025, 5, 22))
    assert ("missing_record", "kviteseid") in at22 and ("missing_record", "vinje") in at22
    assert ("missing_record", "fyresdal") not in at22  # met 21 May
    assert ("missing_record", "seljord") not in at22  # recorded


def test_missing_record_skips_public_holidays(site: Site, clock: SimulatedClock) -> None:
    setup(site)
    services.add_meeting(site, None, "tokke", "formannskap", date(2025, 5, 28))
    # 29 May 2025 is Ascension Day: Friday 30 May is only the first working day after
    assert ("missing_record", "tokke") not in kinds(site, date(2025, 5, 30))
    assert ("missing_record", "tokke") not in kinds(site, date(2025, 6, 1))  # Sunday
    assert ("missing_record", "tokke") in kinds(site, date(2025, 6, 2))


def test_deadline_passed_for_every_open_party(site: Site, clock: SimulatedClock) -> None:
    setup(site)
    clock.set_date(date(2025, 6, 19))
    for m in MUNICIPALITIES[:4]:
        services.record_resolution(site, None, PLAN, m, "kommunestyre", date(2025, 6, 12), "passed",
                                   as_proposed=True)
    assert ("deadline_passed", "tokke") not in kinds(site, date(2025, 6, 20))
    found = kinds(site, date(2025, 6, 21))
    assert [p for k, p in found if k == "deadline_passed"] == ["tokke", "vinje"]


def test_every_kind_is_documented_and_translated() -> None:
    from bvflow.messages import text

    for kind in FINDING_KINDS:
        for lang in ("nn", "nb", "en"):
            assert text(lang, f"kind.{kind}")


def test_findings_are_queued_once_per_recipient(site: Site, clock: SimulatedClock) -> None:
    setup(site)
    first = queries.outbox(site, None)
    # Tokke's no-meeting finding: Tokke's secretary and the two steering-group contacts
    assert sorted(r["recipient"] for r in first) == [
        "bygdevekst@vest-telemark.example", "politisk@tokke.example",
        "styringsgruppa@vest-telemark.example"]
    for _ in range(3):
        services.raise_findings(site, None, date(2025, 5, 2))
    assert queries.outbox(site, None) == first
    nb = next(r for r in queries.outbox(site, None) if r["recipient"] == "politisk@tokke.example")
    assert nb["subject"].startswith("[Bygdevekst Vest-Telemark] Tokke kommune: inkje møte")


def test_notifications_of_solved_findings_are_withdrawn(site: Site, clock: SimulatedClock) -> None:
    setup(site)
    clock.set_date(date(2025, 6, 12))
    services.record_resolution(site, None, PLAN, "vinje", "kommunestyre", date(2025, 6, 12), "passed",
                               PROPOSAL.replace("Vedlagde", "vedlagde"))
    dev = [r for r in queries.outbox(site, None) if r["kind"] == "deviating_resolution"]
    assert len(dev) == 3 and {r["status"] for r in dev} == {"pending"}
    services.accept_equivalent(site, None, PLAN, "vinje", "Berre stor/liten bokstav")
    dev = [r for r in queries.outbox(site, None) if r["kind"] == "deviating_resolution"]
    assert {r["status"] for r in dev} == {"withdrawn"}
    # Tokke's problem still holds: still pending
    tokke = [r for r in queries.outbox(site, None) if r["party"] == "tokke"]
    assert {r["status"] for r in tokke} == {"pending"}
    result = services.raise_findings(site, None, date(2025, 6, 12))
    assert (result.queued, result.withdrawn) == (0, 0)
