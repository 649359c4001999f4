"""Property: no sequence of events lets a plan leave the municipalities unless
every municipality passed an identical resolution or had it accepted."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from bvflow import services
from bvflow.clock import SimulatedClock
from bvflow.errors import BvflowError
from bvflow.models import AuditRecord, Party, PartyCase, PlanVersion, Resolution
from bvflow.site import Site

from .conftest import DEADLINES, MUNICIPALITIES, PROPOSAL, make_site_dir

TEXTS = [None, PROPOSAL, PROPOSAL.replace("Vedlagde", "vedlagde"),
         PROPOSAL.replace("2025", "2026"), PROPOSAL.replace("\n", " \r\n")]
record = st.tuples(st.just("record"), st.sampled_from(MUNICIPALITIES),
                   st.sampled_from(["formannskap", "kommunestyre"]),
                   st.sampled_from(["passed", "passed_with_amendments", "rejected", "postponed"]),
                   st.sampled_from(TEXTS))
accept = st.tuples(st.just("accept"), st.sampled_from(MUNICIPALITIES))
decide = st.tuples(st.just("decide"), st.sampled_from(["telemark", "husbanken", "kdd"]),
                   st.sampled_from(["approved", "rejected", "postponed", "returned_non_principled",
                                    "returned_principled"]))
resubmit = st.tuples(st.just("resubmit"))
# identical records for every municipality still at the council (others stay as they are)
sweep = st.tuples(st.just("sweep"))
events = st.lists(st.one_of(record, record, record, accept, decide, resubmit, sweep), max_size=30)

_counter = itertools.count()


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    tmp: Path = tmp_path_factory.mktemp("prop")
    clock = SimulatedClock()
    clock.set_date(date(2025, 6, 12))
    return Site.open(make_site_dir(tmp, f"sqlite:///{tmp}/p.db") / "config.toml", clock)


def _audits(site: Site) -> int:
    with Session(site.engine) as s:
        return s.exec(select(func.count()).select_from(AuditRecord)).one()


def _check(site: Site, key: str) -> None:
    with Session(site.engine) as s:
        from bvflow.models import Plan

        plan = s.exec(select(Plan).where(Plan.key == key)).one()
        for pv in s.exec(select(PlanVersion).where(PlanVersion.plan_id == plan.id)):
            if pv.state in ("draft", "in_municipalities"):
                continue
            if pv.state == "superseded" and pv.submitted_on is None:
                continue
            rows = s.exec(select(PartyCase, Party).join(Party, col(Party.id) == PartyCase.party_id)
                          .where(PartyCase.plan_version_id == pv.id, Party.role == "municipality"))
            for case, party in rows:
                assert case.state == "passed", (pv.state, party.key, case.state)
                last = s.exec(select(Resolution).where(Resolution.party_case_id == case.id,
                                                       Resolution.stage == "kommunestyre")
                              .order_by(col(Resolution.id).desc())).first()
                assert last is not None, party.key
                assert last.verdict == "identical" or last.accepted_at is not None, (
                    party.key, last.verdict)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events)
def test_no_plan_reaches_the_county_unless_all_municipalities_identical(shared_site: Site, seq) -> None:
    site = shared_site
    key = f"p{next(_counter)}"
    services.create_plan(site, None, key, "P", PROPOSAL, DEADLINES)
    services.submit_plan(site, None, key)
    for ev in seq:
        before = _audits(site)
        try:
            if ev[0] == "record":
                _, party, body, outcome, text = ev
                services.record_resolution(site, None, key, party, body, date(2025, 6, 12), outcome,
                                           text, as_proposed=text is None and outcome.startswith("passed")
                                           and outcome != "passed_with_amendments")
            elif ev[0] == "sweep":
                for party in MUNICIPALITIES:
                    try:
                        services.record_resolution(site, None, key, party, "kommunestyre",
                                                   date(2025, 6, 12), "passed", as_proposed=True)
                    except BvflowError:
                        pass
            elif ev[0] == "accept":
                services.accept_equivalent(site, None, key, ev[1], "godteke")
            elif ev[0] == "decide":
                services.decide(site, None, key, ev[1], ev[2], date(2025, 6, 12))
            else:
                services.resubmit(site, None, key, "fullmakt")
        except BvflowError:
            assert _audits(site) == before  # a refused event changes nothing
        _check(site, key)
    with Session(site.engine) as s:
        from bvflow.models import Plan

        plan = s.exec(select(Plan).where(Plan.key == key)).one()
        reached = {pv.state for pv in s.exec(select(PlanVersion).where(PlanVersion.plan_id == plan.id))}
    hypothesis.event("reached " + ",".join(sorted(reached)))
