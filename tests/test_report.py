"""The yearly report to KDD: measures, money per sub-goal, ended measures, approvals."""

from __future__ import annotations

import csv
import io

from bvflow import content, report, services
from bvflow.clock import SimulatedClock
from bvflow.site import Site

from .test_casedoc import assert_accessible
from .test_content import PLAN, approved_with_content


def test_report_of_2025(site: Site, clock: SimulatedClock) -> None:
    approved_with_content(site, clock)
    services.revise_plan(site, None, PLAN, "sg")
    content.set_measure(site, None, PLAN, "jobs-network", {"status": "ended", "spent.2025": "180000",
                                                          "assessment": "25 bedrifter på tre samlingar."})
    rep = report.yearly_report(site, None, 2025)
    (p,) = rep.plans
    assert (p.plan, p.version, p.state) == (PLAN, 1, "approved")  # the approved version's measures
    rows = list(csv.DictReader(io.StringIO(report.render_csv(rep))))
    measures = {r["subject"]: r for r in rows if r["section"] == "measure"}
    assert measures["housing-rental"]["allocated_nok"] == "400000"
    goals = {r["subject"]: (r["allocated_nok"], r["spent_nok"]) for r in rows if r["section"] == "sub_goal"}
    assert goals == {"housing": ("1000000", "0"), "jobs": ("300000", "0"), "competence": ("500000", "0")}
    approvals = [(r["date"], r["subject"], r["name"], r["status"])
                 for r in rows if r["section"] == "approval"]
    assert ("2025-08-12", "kdd", "decide", "passed") in approvals
    assert ("2025-08-12", "plan", "approve", "approved") in approvals
    assert ("2025-09-10", "plan", "create", "draft") in approvals  # the revision, version 2
    # once version 2 is approved, its measures (with the ended one) are reported
    html = report.render_html(rep)
    assert_accessible(html)
    assert "Årsrapport 2025" in html and "Desentralisert helsefagutdanning (eksempel)" in html


def test_ended_measure_in_report_of_the_newest_version(site: Site, clock: SimulatedClock) -> None:
    approved_with_content(site, clock)
    services.revise_plan(site, None, PLAN, "sg")
    content.set_measure(site, None, PLAN, "jobs-network", {"status": "ended", "spent.2025": "180000",
                                                          "assessment": "25 bedrifter på tre samlingar."})
    content.set_measure(site, None, PLAN, "housing-survey", {"spent.2025": "50000"})
    services.submit_plan(site, None, PLAN, "sg")
    rep = report.yearly_report(site, None, 2025)
    (p,) = rep.plans
    assert p.version == 1  # version 2 is not approved yet
    rows = list(csv.DictReader(io.StringIO(report.render_csv(rep))))
    assert not [r for r in rows if r["section"] == "ended"]
    from sqlmodel import Session

    from bvflow.models import PlanVersion
    with Session(site.engine) as s:  # pretend version 2 went through: the report follows it
        pv = s.get(PlanVersion, 2)
        assert pv is not None and pv.number == 2
        pv.state = "approved"
        s.add(pv)
        s.commit()
    rep = report.yearly_report(site, None, 2025)
    rows = list(csv.DictReader(io.StringIO(report.render_csv(rep))))
    assert [(r["subject"], r["text"]) for r in rows if r["section"] == "ended"] == [
        ("jobs-network", "25 bedrifter på tre samlingar.")]
    goals = {r["subject"]: (r["allocated_nok"], r["spent_nok"]) for r in rows if r["section"] == "sub_goal"}
    assert goals["jobs"] == ("300000", "180000") and goals["housing"] == ("1000000", "50000")
    assert report.yearly_report(site, None, 2031).plans == []


def test_csv_cells_never_start_a_formula() -> None:
    """A measure titled like a spreadsheet formula is written as text (CSV injection)."""
    out = io.StringIO()
    report._SafeWriter(out).writerow(["=1+1", "ok"])
    assert out.getvalue() == "'=1+1,ok\r\n"
    values = ["=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3", "@SUM(1)", "\tx", "plain", 120000, "a=b"]
    assert [report._cell(v) for v in values] == [
        "'=cmd|' /C calc'!A0", "'+SUM(1+1)", "'-2+3", "'@SUM(1)", "'\tx", "plain", 120000, "a=b"]
