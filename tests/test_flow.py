"""The approval flow end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from bvflow import queries, services
from bvflow.clock import SimulatedClock
from bvflow.errors import InputError, TransitionNotAllowed
from bvflow.site import Site

from .conftest import DEADLINES, MUNICIPALITIES, PROPOSAL, snapshot

PLAN = "handlingsplan-2025"


def submitted(site: Site) -> None:
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    services.submit_plan(site, None, PLAN, "sg")


def pass_all_municipalities(site: Site, clock: SimulatedClock, day: date = date(2025, 6, 12)) -> None:
    clock.set_date(day)
    for m in MUNICIPALITIES:
        services.record_resolution(site, None, PLAN, m, "kommunestyre", day, "passed",
                                   as_proposed=True, case_number="PS 25/1", actor=m)


def states(site: Site) -> dict[str, str]:
    (st,) = queries.status(site, None, PLAN)
    return {p.party: p.state for p in st.parties} | {"plan": st.state}


def test_submit_opens_the_municipal_phase(site: Site) -> None:
    submitted(site)
    s = states(site)
    assert s["plan"] == "in_municipalities"
    assert {s[m] for m in MUNICIPALITIES} == {"formannskap"}
    assert s["telemark"] == s["husbanken"] == s["kdd"] == "waiting"


def test_full_flow_to_approval(site: Site, clock: SimulatedClock) -> None:
    submitted(site)
    clock.set_date(date(2025, 5, 20))
    r = services.record_resolution(site, None, PLAN, "seljord", "formannskap", date(2025, 5, 15),
                                   "passed", as_proposed=True)
    assert (r.verdict, r.case_state, r.plan_state) == ("identical", "kommunestyre", "in_municipalities")
    pass_all_municipalities(site, clock)
    assert states(site)["plan"] == "at_county"
    clock.set_date(date(2025, 6, 27))
    assert services.decide(site, None, PLAN, "telemark", "approved", date(2025, 6, 27)).state == "at_partners"
    assert services.decide(site, None, PLAN, "husbanken", "approved", date(2025, 6, 27)).state == "at_kdd"
    clock.set_date(date(2025, 8, 26))
    pv = services.decide(site, None, PLAN, "kdd", "approved", date(2025, 8, 26))
    assert (pv.number, pv.state) == (1, "approved")
    s = states(site)
    assert all(s[p] == "passed" for p in (*MUNICIPALITIES, "telemark", "husbanken", "kdd"))
    events = [(e.event, e.party, e.from_state, e.to_state) for e in queries.history(site, None, PLAN)]
    assert ("approve", None, "at_kdd", "approved") in events
    assert ("record", "tokke", "formannskap", "passed") in events  # formannskap is optional


def at_kdd(site: Site, clock: SimulatedClock) -> None:
    submitted(site)
    pass_all_municipalities(site, clock)
    clock.set_date(date(2025, 6, 27))
    services.decide(site, None, PLAN, "telemark", "approved", date(2025, 6, 27))
    services.decide(site, None, PLAN, "husbanken", "approved", date(2025, 6, 27))
    clock.set_date(date(2025, 8, 12))


def test_kdd_returns_non_principled_then_steering_group_resubmits(site: Site, clock: SimulatedClock) -> None:
    at_kdd(site, clock)
    pv = services.decide(site, None, PLAN, "kdd", "returned_non_principled", date(2025, 8, 12),
                         reason="Presiser målindikatorane")
    assert (pv.number, pv.state) == (1, "returned")
    with pytest.raises(InputError) as err:
        services.resubmit(site, None, PLAN, "  ")
    assert err.value.field == "reason"
    services.resubmit(site, None, PLAN, "Endra under fullmakta")
    assert states(site)["plan"] == "at_kdd" and states(site)["kdd"] == "kdd"
    # no new municipal round: the six cases are untouched
    assert all(states(site)[m] == "passed" for m in MUNICIPALITIES)
    pv = services.decide(site, None, PLAN, "kdd", "approved", date(2025, 8, 12))
    assert pv.state == "approved"


def test_kdd_returns_principled_supersedes_and_opens_new_draft(site: Site, clock: SimulatedClock) -> None:
    at_kdd(site, clock)
    pv = services.decide(site, None, PLAN, "kdd", "returned_principled", date(2025, 8, 12),
                         reason="Delmål 2 må endrast")
    assert (pv.number, pv.state) == (2, "draft")
    all_versions = {(s.version, s.state) for s in queries.status(site, None, PLAN + "@1")}
    assert all_versions == {(1, "superseded")}
    # the new version needs a full new round
    services.submit_plan(site, None, PLAN)
    assert states(site)["plan"] == "in_municipalities"
    assert states(site)["seljord"] == "formannskap"


def test_kdd_approval_before_county_is_rejected_with_state_named(site: Site, clock: SimulatedClock) -> None:
    submitted(site)
    before = snapshot(site.engine)
    with pytest.raises(InputError) as err:
        services.decide(site, None, PLAN, "kdd", "approved", date(2025, 5, 2))
    assert "in_municipalities" in str(err.value) and err.value.field == "plan"
    pass_all_municipalities(site, clock)
    before = snapshot(site.engine)
    with pytest.raises(InputError) as err:
        services.decide(site, None, PLAN, "kdd", "approved", date(2025, 6, 12))
    assert "'at_county'" in str(err.value)
    assert snapshot(site.engine) == before


def test_case_event_not_allowed_names_current_state(site: Site, clock: SimulatedClock) -> None:
    submitted(site)
    pass_all_municipalities(site, clock, date(2025, 6, 5))
    # accept-equivalent on a case that already passed: 'passed' is named
    with pytest.raises(TransitionNotAllowed) as err:
        services.accept_equivalent(site, None, PLAN, "seljord", "no reason needed")
    assert err.value.state == "passed" and "'passed'" in str(err.value)


def test_deviating_blocks_until_accepted(site: Site, clock: SimulatedClock) -> None:
    submitted(site)
    clock.set_date(date(2025, 6, 12))
    bokmaal = PROPOSAL.replace("vert vedteken", "blir vedtatt")
    for m in MUNICIPALITIES:
        if m == "nissedal":
            r = services.record_resolution(site, None, PLAN, m, "kommunestyre", date(2025, 6, 12),
                                           "passed", bokmaal)
            assert (r.verdict, r.case_state) == ("different", "deviating")
            assert [d.to_dict()["kind"] for d in r.comparison.differences] == ["changed"]
        else:
            services.record_resolution(site, None, PLAN, m, "kommunestyre", date(2025, 6, 12),
                                       "passed", as_proposed=True)
    assert states(site)["plan"] == "in_municipalities"
    services.accept_equivalent(site, None, PLAN, "nissedal", "Same innhald på bokmål", "sg")
    assert states(site)["plan"] == "at_county"
    (st,) = queries.status(site, None, PLAN + "@1")
    cell = next(p for p in st.parties if p.party == "nissedal").cells[-1]
    assert (cell.verdict, cell.accepted, cell.accepted_reason) == ("different", True,
                                                                   "Same innhald på bokmål")


def test_amended_then_passed_again(site: Site, clock: SimulatedClock) -> None:
    submitted(site)
    clock.set_date(date(2025, 6, 19))
    amended = PROPOSAL + "\n3. Kommunestyret ber om at bustadtiltak blir prioriterte.\n"
    r = services.record_resolution(site, None, PLAN, "fyresdal", "kommunestyre", date(2025, 6, 5),
                                   "passed_with_amendments", amended)
    assert (r.verdict, r.case_state) == ("different", "deviating")
    assert any(f.kind == "deviating_resolution" and f.party == "fyresdal" for f in r.findings)
    r = services.record_resolution(site, None, PLAN, "fyresdal", "kommunestyre", date(2025, 6, 19),
                                   "passed", as_proposed=True)
    assert (r.verdict, r.case_state) == ("identical", "passed")
    assert not any(f.kind == "deviating_resolution" and f.party == "fyresdal" for f in r.findings)


def test_minor_verdict_blocks_too(site: Site, clock: SimulatedClock) -> None:
    submitted(site)
    clock.set_date(date(2025, 6, 12))
    r = services.record_resolution(site, None, PLAN, "vinje", "kommunestyre", date(2025, 6, 12),
                                   "passed", PROPOSAL.replace("Vedlagde", "vedlagde"))
    assert (r.verdict, r.case_state) == ("minor", "deviating")


def test_postponed_and_rejected(site: Site, clock: SimulatedClock) -> None:
    submitted(site)
    clock.set_date(date(2025, 6, 12))
    r = services.record_resolution(site, None, PLAN, "tokke", "formannskap", date(2025, 6, 10),
                                   "postponed")
    assert r.case_state == "formannskap"
    # Tokke's council meets only after the deadline, and the formannskap postponed
    assert [f.kind for f in r.findings if f.party == "tokke"] == [
        "no_meeting_before_deadline", "postponed"]
    r = services.record_resolution(site, None, PLAN, "vinje", "kommunestyre", date(2025, 6, 12),
                                   "rejected")
    assert r.case_state == "rejected"
    assert "rejected" in [f.kind for f in r.findings if f.party == "vinje"]
    # the council can pass it later
    r = services.record_resolution(site, None, PLAN, "vinje", "kommunestyre", date(2025, 6, 12),
                                   "passed", as_proposed=True)
    assert r.case_state == "passed"


def test_revision_opens_new_draft_from_approved(site: Site, clock: SimulatedClock) -> None:
    at_kdd(site, clock)
    with pytest.raises(InputError) as err:
        services.revise_plan(site, None, PLAN)
    assert "'at_kdd'" in str(err.value)
    services.decide(site, None, PLAN, "kdd", "approved", date(2025, 8, 12))
    pv = services.revise_plan(site, None, PLAN, "sg", reason="Hausten 2025")
    assert (pv.number, pv.state, pv.proposal) == (2, "draft", PROPOSAL)
    versions = {(s.version, s.state) for s in queries.status(site, None)}
    assert versions == {(1, "approved"), (2, "draft")}


def test_every_state_change_has_its_audit_record(site: Site, clock: SimulatedClock) -> None:
    submitted(site)
    pass_all_municipalities(site, clock)
    hist = queries.history(site, None, PLAN)
    recs = [e for e in hist if e.event == "record"]
    assert len(recs) == 6
    assert all(e.actor in MUNICIPALITIES and e.to_state == "passed" for e in recs)
    assert [e.event for e in hist if e.subject == "plan"] == ["create", "submit", "advance"]


def test_principled_return_then_edit_the_new_draft(site: Site, clock: SimulatedClock) -> None:
    at_kdd(site, clock)
    with pytest.raises(InputError) as err:
        services.decide(site, None, PLAN, "kdd", "returned_principled", date(2025, 8, 12))
    assert err.value.field == "reason"
    services.decide(site, None, PLAN, "kdd", "returned_principled", date(2025, 8, 12),
                    reason="Delmål 2 må endrast")
    new_text = PROPOSAL.replace("for 2025", "for 2025 (revidert)")
    with pytest.raises(InputError) as err:
        services.edit_draft(site, None, PLAN + "@1", proposal=new_text)
    assert "'superseded'" in str(err.value)
    pv = services.edit_draft(site, None, PLAN, proposal=new_text,
                             deadlines={"municipalities": date(2025, 10, 31)}, actor="sg",
                             reason="KDD: prinsipielle endringar")
    (st,) = queries.status(site, None, PLAN)
    assert (pv.number, st.proposal, st.deadlines) == (2, new_text, {"municipalities": date(2025, 10, 31)})
    edits = [e for e in queries.history(site, None, PLAN + "@2") if e.event == "edit"]
    assert [(e.actor, e.reason, e.details["changed"]) for e in edits] == [
        ("sg", "KDD: prinsipielle endringar", "proposal, deadlines")]
    assert {e.version for e in queries.history(site, None, PLAN + "@2")} == {2}
    services.submit_plan(site, None, PLAN)
    r = services.record_resolution(site, None, PLAN, "seljord", "kommunestyre", date(2025, 8, 12),
                                   "passed", PROPOSAL)
    assert r.verdict == "different"  # compared with the edited proposal


def test_revision_carries_new_deadlines(site: Site, clock: SimulatedClock) -> None:
    at_kdd(site, clock)
    services.decide(site, None, PLAN, "kdd", "approved", date(2025, 8, 12))
    services.revise_plan(site, None, PLAN, deadlines={"municipalities": date(2025, 11, 28)})
    (st,) = queries.status(site, None, PLAN)
    assert (st.version, st.deadlines) == (2, {"municipalities": date(2025, 11, 28)})
