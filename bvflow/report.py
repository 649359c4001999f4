"""The yearly report to KDD (``bvflow report YEAR``), as HTML and CSV.

For every plan with a version created or submitted in YEAR (Oslo dates): the
status of every measure with its money allocated and spent in YEAR, the money
per sub-goal, what the ended measures achieved (their assessments) and the
approval history of that year's versions (seed: "årlege
rapporteringsfristar"). The measures come from the newest approved version of
those, else the newest one. Amounts are whole NOK.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from . import contentstore
from .clock import OSLO
from .contentmodel import PlanContent
from .messages import LANGUAGES, fmt_date, text
from .models import AuditRecord, Partnership, Plan, PlanVersion
from .site import Site

__all__ = ["PlanReport", "YearReport", "render_csv", "render_html", "yearly_report"]

#: case events that belong to the approval history (plan events are all kept)
_CASE_EVENTS = ("record", "decide", "accept_equivalent", "resubmit")


@dataclass(frozen=True)
class MeasureRow:
    key: str
    title: str
    sub_goal: str
    status: str
    responsible: str
    funding: str
    allocated: int  # in the year, NOK
    spent: int      # in the year, NOK
    allocated_total: int
    assessment: str


@dataclass(frozen=True)
class SubGoalRow:
    key: str
    title: str
    weight_pct: int
    allocated: int
    spent: int


@dataclass(frozen=True)
class ApprovalRow:
    day: date        # Oslo date
    version: int
    event: str
    party: str       # party key, or "" for the plan itself
    from_state: str
    to_state: str
    actor: str
    reason: str


@dataclass(frozen=True)
class PlanReport:
    plan: str
    title: str
    version: int     # the version the measures are taken from
    state: str
    measures: list[MeasureRow] = field(default_factory=list)
    sub_goals: list[SubGoalRow] = field(default_factory=list)
    approvals: list[ApprovalRow] = field(default_factory=list)

    @property
    def ended(self) -> list[MeasureRow]:
        return [m for m in self.measures if m.status == "ended"]


@dataclass(frozen=True)
class YearReport:
    year: int
    partnership: str
    made_on: date
    plans: list[PlanReport]


def _rows(content: PlanContent | None, year: int) -> tuple[list[MeasureRow], list[SubGoalRow]]:
    if content is None:
        return [], []
    measures = [MeasureRow(m.key, m.title, m.sub_goal, m.status, m.responsible, m.funding,
                           m.budget.get(year, 0), m.spent.get(year, 0), sum(m.budget.values()),
                           m.assessment) for m in content.measures]
    goals = [SubGoalRow(g.key, g.title, g.weight_pct,
                        sum(r.allocated for r in measures if r.sub_goal == g.key),
                        sum(r.spent for r in measures if r.sub_goal == g.key)) for g in content.sub_goals]
    return measures, goals


def yearly_report(site: Site, partnership: str | None, year: int) -> YearReport:
    """Collect the report of ``year`` (read only). A year without plan
    versions gives a report with no plans."""
    scope = site.scope(partnership)
    plans: list[PlanReport] = []
    with Session(site.engine) as s:
        name = s.get(Partnership, scope.id).name  # type: ignore[union-attr]
        rows = s.exec(select(PlanVersion, Plan).join(Plan, col(Plan.id) == PlanVersion.plan_id)
                      .where(PlanVersion.partnership_id == scope.id)
                      .order_by(col(Plan.key), col(PlanVersion.number))).all()
        by_plan: dict[str, list[tuple[PlanVersion, Plan]]] = {}
        for pv, plan in rows:
            made = pv.created_at.astimezone(OSLO).year
            if made == year or (pv.submitted_on and pv.submitted_on.year == year):
                by_plan.setdefault(plan.key, []).append((pv, plan))
        for key, versions in by_plan.items():
            approved = [v for v in versions if v[0].state == "approved"]
            pv, plan = (approved or versions)[-1]
            measures, goals = _rows(contentstore.load(s, pv.id), year)  # type: ignore[arg-type]
            ids = {v.id: v.number for v, _ in versions}
            audit = s.exec(select(AuditRecord).where(col(AuditRecord.plan_version_id).in_(list(ids)))
                           .order_by(col(AuditRecord.at), col(AuditRecord.id))).all()
            approvals = [
                ApprovalRow(a.at.astimezone(OSLO).date(), ids[a.plan_version_id], a.event,
                            scope.party_key(a.party_id) if a.party_id else "", a.from_state,
                            a.to_state, a.actor, a.reason)
                for a in audit if a.at.astimezone(OSLO).year == year
                and (a.subject == "plan" and a.event != "edit_content" or a.event in _CASE_EVENTS)]
            plans.append(PlanReport(key, plan.title, pv.number, pv.state, measures, goals, approvals))
    return YearReport(year, name, site.clock.today(), plans)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A text cell a spreadsheet will not run as a formula (OWASP CSV
    injection): text starting with = + - @, tab or CR gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, out: io.StringIO) -> None:
        self._w = csv.writer(out, lineterminator="\r\n")

    def writerow(self, row: list[object]) -> None:
        self._w.writerow([_cell(v) for v in row])


def render_csv(report: YearReport, lang: str = "nn") -> str:
    """One CSV table (UTF-8, comma, header row) with a ``section`` column:
    ``measure``, ``sub_goal``, ``ended``, ``approval``. Codes, not labels, so
    that it reads the same in every language; amounts whole NOK. Text that a
    spreadsheet would take for a formula is prefixed with ``'``."""
    out = io.StringIO()
    w = _SafeWriter(out)
    w.writerow(["section", "plan", "version", "date", "subject", "name", "sub_goal", "status",
                "allocated_nok", "spent_nok", "text"])
    for p in report.plans:
        for m in p.measures:
            w.writerow(["measure", p.plan, p.version, "", m.key, m.title, m.sub_goal, m.status,
                        m.allocated, m.spent, m.responsible])
        for g in p.sub_goals:
            w.writerow(["sub_goal", p.plan, p.version, "", g.key, g.title, g.key, "", g.allocated, g.spent,
                        f"weight {g.weight_pct} %"])
        for m in p.ended:
            w.writerow(["ended", p.plan, p.version, "", m.key, m.title, m.sub_goal, m.status, "", "",
                        m.assessment])
        for a in p.approvals:
            w.writerow(["approval", p.plan, a.version, a.day.isoformat(), a.party or "plan", a.event, "",
                        a.to_state, "", "", a.reason])
    return out.getvalue()


def render_html(report: YearReport, lang: str = "nn") -> str:
    """The report as a standalone accessible HTML page (template
    ``documents/report.html.j2``)."""
    from .casedoc import _environment
    from .contentmodel import fmt_nok

    if lang not in LANGUAGES:
        lang = "nn"
    return _environment("").get_template("report.html.j2").render(
        report=report, lang=lang, t=lambda msg_id, **kw: text(lang, msg_id, **kw),
        nok=lambda v: fmt_nok(v, lang), day=lambda d: fmt_date(d, lang),
        status=lambda s: text(lang, "mstatus." + s), funding=lambda f: text(lang, "funding." + f))
