"""Stored content of a plan version: rows ↔ :class:`~bvflow.contentmodel.PlanContent`.

Runs inside a caller's unit of work and commits nothing. Saving replaces the
version's content as a whole (its rows are deleted and written anew), so a
version's content is always exactly one imported or edited whole.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session, col, delete, select

from .contentmodel import BudgetYearContent, MeasureContent, PlanContent, SubGoalContent
from .models import BudgetYear, ContentHeader, Measure, MeasureBudget, SubGoal

__all__ = ["copy_for_revision", "load", "save"]


def load(s: Session, plan_version_id: int) -> PlanContent | None:
    """The content of a plan version, or None when it has none (a plain proposal)."""
    head = s.exec(select(ContentHeader).where(ContentHeader.plan_version_id == plan_version_id)).first()
    if head is None:
        return None
    goals = s.exec(select(SubGoal).where(SubGoal.plan_version_id == plan_version_id)
                   .order_by(col(SubGoal.position))).all()
    years = s.exec(select(BudgetYear).where(BudgetYear.plan_version_id == plan_version_id)
                   .order_by(col(BudgetYear.year))).all()
    rows = s.exec(select(Measure).where(Measure.plan_version_id == plan_version_id)
                  .order_by(col(Measure.position))).all()
    money: dict[int, list[MeasureBudget]] = {}
    if rows:
        for b in s.exec(select(MeasureBudget).where(col(MeasureBudget.measure_id).in_([m.id for m in rows]))
                        .order_by(col(MeasureBudget.year))):
            money.setdefault(b.measure_id, []).append(b)
    measures = tuple(
        MeasureContent(
            key=m.key, sub_goal=m.sub_goal, title=m.title, start=m.start_date, end=m.end_date,
            funding=m.funding, status=m.status, description=m.description, responsible=m.responsible,
            budget={b.year: b.allocated for b in money.get(m.id, []) if b.allocated},  # type: ignore[arg-type]
            spent={b.year: b.spent for b in money.get(m.id, []) if b.spent},  # type: ignore[arg-type]
            reason=m.reason, assessment=m.assessment)
        for m in rows)
    return PlanContent(
        first_year=head.first_year, last_year=head.last_year, background=head.background,
        weight_tolerance_pct=head.weight_tolerance_pct,
        sub_goals=tuple(SubGoalContent(g.key, g.title, g.weight_pct) for g in goals),
        years=tuple(BudgetYearContent(y.year, y.operating_grant, y.measure_funds, y.closed) for y in years),
        measures=measures)


def _clear(s: Session, plan_version_id: int) -> None:
    ids = s.exec(select(Measure.id).where(Measure.plan_version_id == plan_version_id)).all()
    if ids:
        s.exec(delete(MeasureBudget).where(col(MeasureBudget.measure_id).in_(ids)))  # type: ignore[call-overload]
    for table in (Measure, SubGoal, BudgetYear, ContentHeader):
        s.exec(delete(table).where(table.plan_version_id == plan_version_id))  # type: ignore[call-overload, attr-defined]


def save(s: Session, partnership_id: int, plan_version_id: int, content: PlanContent) -> None:
    """Replace the content of a plan version."""
    _clear(s, plan_version_id)
    s.flush()
    ids = {"partnership_id": partnership_id, "plan_version_id": plan_version_id}
    s.add(ContentHeader(**ids, background=content.background, first_year=content.first_year,
                        last_year=content.last_year, weight_tolerance_pct=content.weight_tolerance_pct))
    for i, g in enumerate(content.sub_goals):
        s.add(SubGoal(**ids, key=g.key, position=i, title=g.title, weight_pct=g.weight_pct))
    for y in content.years:
        s.add(BudgetYear(**ids, year=y.year, operating_grant=y.operating_grant,
                         measure_funds=y.measure_funds, closed=y.closed))
    for i, m in enumerate(content.measures):
        row = Measure(**ids, key=m.key, position=i, sub_goal=m.sub_goal, title=m.title,
                      description=m.description, responsible=m.responsible, start_date=m.start,
                      end_date=m.end, funding=m.funding, status=m.status, reason=m.reason,
                      assessment=m.assessment)
        s.add(row)
        s.flush()
        for year in sorted(set(m.budget) | set(m.spent)):
            s.add(MeasureBudget(partnership_id=partnership_id, measure_id=row.id, year=year,  # type: ignore[arg-type]
                                allocated=m.budget.get(year, 0), spent=m.spent.get(year, 0)))
    s.flush()


def copy_for_revision(s: Session, partnership_id: int, old_id: int, new_id: int) -> None:
    """Copy a version's content into its revision. The reasons belonged to
    the old version's changes and are cleared; an assessment stays with a
    measure that had ended (it needs none again)."""
    content = load(s, old_id)
    if content is None:
        return
    measures = tuple(replace(m, reason="", assessment=m.assessment if m.status == "ended" else "")
                     for m in content.measures)
    save(s, partnership_id, new_id, replace(content, measures=measures))
