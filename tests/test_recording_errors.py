"""Bad input to recording: a clear error naming field and value, and nothing stored."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bvflow import services
from bvflow.clock import SimulatedClock
from bvflow.errors import InputError, NotFoundError, TransitionNotAllowed
from bvflow.site import Site

from .conftest import DEADLINES, PROPOSAL, snapshot

PLAN = "handlingsplan-2025"
OK: dict[str, Any] = dict(plan_ref=PLAN, party="seljord", body="kommunestyre",
                          meeting_date=date(2025, 6, 5), outcome="passed", text=PROPOSAL)


@pytest.fixture
def ready(site: Site, clock: SimulatedClock) -> Site:
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    services.submit_plan(site, None, PLAN, "sg")
    clock.set_date(date(2025, 6, 10))
    return site


CASES = [
    ("unknown party", dict(party="skien"), NotFoundError, "party", "skien", "not a party"),
    ("unknown body", dict(body="bystyre"), NotFoundError, "body", "bystyre", "no such stage"),
    ("body not of this party", dict(party="telemark"), InputError, "body", "kommunestyre",
     "telemark has no kommunestyre"),
    ("approval body", dict(party="telemark", body="fylkeskommune"), InputError, "body",
     "fylkeskommune", "bvflow decide"),
    ("date in the future", dict(meeting_date=date(2025, 6, 11)), InputError, "meeting_date",
     "2025-06-11", "in the future"),
    ("date before submission", dict(meeting_date=date(2025, 4, 30)), InputError, "meeting_date",
     "2025-04-30", "before the plan was submitted"),
    ("empty text", dict(text=" \n\t "), InputError, "text", " \n\t ", "empty"),
    ("no text", dict(text=None), InputError, "text", None, "--as-proposed"),
    ("unknown outcome", dict(outcome="adopted"), InputError, "outcome", "adopted", "use one of"),
    ("unknown plan", dict(plan_ref="handlingsplan-2024"), NotFoundError, "plan",
     "handlingsplan-2024", "no such plan"),
    ("unknown version", dict(plan_ref=PLAN + "@7"), NotFoundError, "plan", PLAN + "@7",
     "no such version"),
    ("amended but identical", dict(outcome="passed_with_amendments"), InputError, "outcome",
     "passed_with_amendments", "identical to the proposal"),
]


@pytest.mark.parametrize(("name", "change", "exc", "field", "value", "words"), CASES,
                         ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_nothing_stored(
    ready: Site, name: str, change: dict[str, Any], exc: type, field: str, value: object, words: str
) -> None:
    before = snapshot(ready.engine)
    args = OK | change
    with pytest.raises(exc) as err:
        services.record_resolution(ready, None, args.pop("plan_ref"), args.pop("party"),
                                   args.pop("body"), args.pop("meeting_date"), args.pop("outcome"),
                                   args.pop("text"), actor="x")
    assert (err.value.field, err.value.value) == (field, value)
    assert words in str(err.value)
    assert field in str(err.value)
    assert snapshot(ready.engine) == before


def test_plan_not_at_that_stage(site: Site, clock: SimulatedClock) -> None:
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    before = snapshot(site.engine)
    with pytest.raises(InputError) as err:
        services.record_resolution(site, None, PLAN, "seljord", "kommunestyre", date(2025, 5, 2),
                                   "passed", as_proposed=True)
    assert err.value.field == "plan" and "'draft'" in str(err.value)
    assert snapshot(site.engine) == before


def test_stage_already_passed_names_the_state(ready: Site) -> None:
    services.record_resolution(ready, None, PLAN, "seljord", "kommunestyre", date(2025, 6, 5),
                               "passed", as_proposed=True)
    before = snapshot(ready.engine)
    with pytest.raises(TransitionNotAllowed) as err:
        services.record_resolution(ready, None, PLAN, "seljord", "formannskap", date(2025, 6, 6),
                                   "passed", as_proposed=True)
    assert err.value.state == "passed" and "seljord" in str(err.value)
    assert snapshot(ready.engine) == before


def test_text_and_as_proposed_together(ready: Site) -> None:
    with pytest.raises(InputError) as err:
        services.record_resolution(ready, None, PLAN, "seljord", "kommunestyre", date(2025, 6, 5),
                                   "passed", PROPOSAL, as_proposed=True)
    assert err.value.field == "text"


def test_create_plan_bad_input(site: Site) -> None:
    before = snapshot(site.engine)
    for kwargs, field in (
        (dict(key="Plan 2025"), "plan"),
        (dict(proposal="   "), "proposal"),
        (dict(deadlines={"municipality": date(2025, 6, 20)}), "deadline"),
    ):
        args = dict(key=PLAN, title="T", proposal=PROPOSAL, deadlines={}) | kwargs
        with pytest.raises(InputError) as err:
            services.create_plan(site, None, args["key"], args["title"], args["proposal"],
                                 args["deadlines"])
        assert err.value.field == field
    assert snapshot(site.engine) == before


def test_control_characters_and_huge_text_are_refused(ready: Site) -> None:
    before = snapshot(ready.engine)
    for text, words in ((PROPOSAL + "\x00", "U+0000"), ("x " * 150_000, "limit")):
        with pytest.raises(InputError) as err:
            services.record_resolution(ready, None, PLAN, "seljord", "kommunestyre",
                                       date(2025, 6, 5), "passed", text)
        assert err.value.field == "text" and words in str(err.value)
    with pytest.raises(InputError) as err:
        services.create_plan(ready, None, "hp2", "T", "1. Vedteke.\x00")
    assert err.value.field == "proposal"
    assert snapshot(ready.engine) == before


@pytest.mark.parametrize("ref", ["handlingsplan-2025@²", "handlingsplan-2025@", "handlingsplan-2025@x",
                                 "handlingsplan-2025@99999999999999999999"])
def test_bad_version_reference(ready: Site, ref: str) -> None:
    with pytest.raises(InputError) as err:
        services.record_resolution(ready, None, ref, "seljord", "kommunestyre", date(2025, 6, 5),
                                   "passed", as_proposed=True)
    assert err.value.field == "plan" and "KEY@N" in str(err.value)


def test_plan_key_with_a_trailing_newline_is_refused(site: Site) -> None:
    with pytest.raises(InputError) as err:
        services.create_plan(site, None, "kk\n", "T", PROPOSAL)
    assert err.value.field == "plan"


def test_dates_out_of_process_order_are_refused(ready: Site, clock: SimulatedClock) -> None:
    services.record_resolution(ready, None, PLAN, "seljord", "formannskap", date(2025, 5, 15),
                               "passed", as_proposed=True)
    with pytest.raises(InputError) as err:
        services.record_resolution(ready, None, PLAN, "seljord", "kommunestyre", date(2025, 5, 14),
                                   "passed", as_proposed=True)
    assert err.value.field == "meeting_date" and "2025-05-15" in str(err.value)
    clock.set_date(date(2025, 6, 20))
    for m in ("seljord", "kviteseid", "nissedal", "fyresdal", "tokke", "vinje"):
        services.record_resolution(ready, None, PLAN, m, "kommunestyre", date(2025, 6, 20), "passed",
                                   as_proposed=True)
    before = snapshot(ready.engine)
    with pytest.raises(InputError) as err:
        services.decide(ready, None, PLAN, "telemark", "approved", date(2025, 6, 19))
    assert err.value.field == "decided_on" and "before the plan reached" in str(err.value)
    assert snapshot(ready.engine) == before


def test_recorded_meeting_joins_the_calendar(ready: Site) -> None:
    from bvflow import queries

    services.record_resolution(ready, None, PLAN, "seljord", "kommunestyre", date(2025, 6, 6),
                               "passed", as_proposed=True)
    rows = [m for m in queries.meetings(ready, None, "seljord") if m["date"] == "2025-06-06"]
    assert [(m["stage"], m["source"]) for m in rows] == [("kommunestyre", "record")]


def test_deadlines_past_or_out_of_order_are_refused(site: Site) -> None:
    with pytest.raises(InputError) as err:
        services.create_plan(site, None, "a", "A", PROPOSAL, {"municipalities": date(2025, 5, 1)})
    assert err.value.field == "deadline.municipalities" and "already past" in str(err.value)
    with pytest.raises(InputError) as err:
        services.create_plan(site, None, "b", "B", PROPOSAL, {"municipalities": date(2025, 6, 20),
                                                               "kdd": date(2025, 6, 1)})
    assert err.value.field == "deadline.kdd" and "municipalities" in str(err.value)


def test_scan_cannot_decide_notifications_for_a_future_day(ready: Site) -> None:
    with pytest.raises(InputError) as err:
        services.raise_findings(ready, None, date(2030, 1, 1))
    assert err.value.field == "at"


def test_status_shows_the_last_recorded_not_the_latest_dated(ready: Site) -> None:
    from bvflow import queries

    services.record_resolution(ready, None, PLAN, "vinje", "kommunestyre", date(2025, 6, 2),
                               "postponed")
    services.record_resolution(ready, None, PLAN, "vinje", "kommunestyre", date(2025, 6, 9),
                               "passed", PROPOSAL.replace("2025", "2026"))
    services.record_resolution(ready, None, PLAN, "vinje", "kommunestyre", date(2025, 6, 9),
                               "passed", as_proposed=True)
    (st,) = queries.status(ready, None, PLAN)
    cell = next(p for p in st.parties if p.party == "vinje").cells[-1]
    assert (cell.verdict, cell.outcome) == ("identical", "passed")
