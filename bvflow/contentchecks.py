"""Checks of a plan version's content before it may be submitted, and the
ledger of the state measure funds year by year.

Errors block submission; warnings are shown (the steering group may choose).
Each message names the measure, the sub-goal or the year (texts in
:mod:`bvflow.contentmessages`, in the site's language):

- every measure belongs to a sub-goal of the plan; amounts are non-negative
  whole NOK; a measure's budget years lie within its start–end (error);
- state funds per year do not exceed what is available (error):
  measure funds (*tiltaksmidlar*) granted that year plus what was carried over
  from earlier years (seed: "midlane kan overførast til seinare år"); the
  operating grant (*driftstilskot*) of that year alone (the seed makes only
  the measure funds transferable);
- the sub-goals' weights add up to 100 % (error); a sub-goal's share of the
  measure funds allocated over the whole period deviating from its weight by
  more than ``weight_tolerance_pct`` percentage points (warning; seed: the
  steering group chose 60/20/20);
- a revision accounts for every change against the version it revises
  (seed: new / changed with reason / ended with assessment; see
  :mod:`bvflow.contentdiff`): a changed measure without ``reason``, an ended
  one without ``assessment`` or a measure left out are errors.

Carry-over: ``available(Y) = measure_funds(Y) + carried_over(Y-1)``;
``carried_over(Y) = available(Y) - used(Y)``, where ``used(Y)`` is what was
spent when the year's accounts are ``closed``, otherwise the larger of what
is allocated and what is spent so far. A shortfall (negative carry-over) is
reported in its year and not carried on: the next year starts from 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import format_decimal

from .contentdiff import diff_content
from .contentmodel import STATE_FUNDING, PlanContent, amount_problem, fmt_nok
from .errors import InputError
from .messages import text

__all__ = ["CheckResult", "ContentRefused", "LedgerYear", "Problem", "check_content", "ledger"]


@dataclass(frozen=True)
class Problem:
    """One finding of the checks. ``severity``: ``error`` (blocks submission)
    or ``warning``; ``subject``: the measure key, ``sub_goal:KEY`` or the year."""

    code: str
    severity: str
    subject: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "subject": self.subject,
                "message": self.message}


@dataclass(frozen=True)
class CheckResult:
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


class ContentRefused(InputError):
    """Submission refused: the content has errors. ``problems``: the errors
    (:class:`Problem`), each message naming the measure or year."""

    def __init__(self, plan_ref: str, problems: list[Problem], lang: str = "nn") -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p.message}" for p in problems)
        super().__init__("content", plan_ref, f"{text(lang, 'content.refused', count=len(problems))}\n"
                         f"{lines}")


@dataclass(frozen=True)
class LedgerYear:
    """The state money of one year, whole NOK. ``allocated``/``spent``: by
    measures funded by the measure funds; ``operating_*``: the operating grant."""

    year: int
    granted: int
    carried_in: int
    available: int
    allocated: int
    spent: int
    closed: bool
    used: int
    carried_out: int
    operating_grant: int
    operating_allocated: int


def ledger(content: PlanContent) -> list[LedgerYear]:
    """The financing plan year by year, with carry-over (see the module docstring)."""
    rows = []
    carried = 0
    for y in content.years:
        allocated = sum(m.budget.get(y.year, 0) for m in content.measures
                        if m.funding == "state_measure_funds")
        spent = sum(m.spent.get(y.year, 0) for m in content.measures
                    if m.funding == "state_measure_funds")
        operating = sum(m.budget.get(y.year, 0) for m in content.measures if m.funding == "operating_grant")
        available = y.measure_funds + carried
        used = spent if y.closed else max(allocated, spent)
        rows.append(LedgerYear(y.year, y.measure_funds, carried, available, allocated, spent, y.closed,
                               used, available - used, y.operating_grant, operating))
        carried = max(0, available - used)  # a shortfall is reported in its own year, once
    return rows


def _pct(value: float, lang: str) -> str:
    return format_decimal(round(value, 1), format="#,##0.#", locale={"en": "en_GB"}.get(lang, "nn_NO"))


def check_content(content: PlanContent, previous: PlanContent | None = None,
                  previous_number: int | None = None, lang: str = "nn") -> CheckResult:
    """Every check of the module docstring; ``previous``: the content of the
    version this one revises (None for a first version)."""
    out: list[Problem] = []

    def add(code: str, severity: str, subject: str, msg_id: str, **values: object) -> None:
        out.append(Problem(code, severity, subject, text(lang, msg_id, **values)))

    goals = [g.key for g in content.sub_goals]
    plan_years = [y.year for y in content.years]
    for m in content.measures:
        if m.sub_goal not in goals:
            add("unknown_sub_goal", "error", m.key, "content.unknown_sub_goal", measure=m.key,
                sub_goal=m.sub_goal, known=", ".join(goals) or "–")
        for name in ("budget", "spent"):
            for year, amount in getattr(m, name).items():
                problem = amount_problem(amount, text(lang, "where.measure_year", measure=m.key, year=year),
                                         lang)
                if problem:
                    out.append(Problem("amount", "error", m.key, problem))
        last = m.end.year if m.end else content.last_year
        for year in sorted(set(m.budget) | set(m.spent)):
            if not m.start.year <= year <= last:
                add("year_outside_measure", "error", m.key, "content.year_outside_measure",
                    measure=m.key, year=year, first=m.start.year, last=last)
            elif m.funding in STATE_FUNDING and year not in plan_years and m.budget.get(year, 0):
                add("year_outside_plan", "error", m.key, "content.year_outside_plan", measure=m.key,
                    year=year, years=", ".join(map(str, plan_years)) or "–")
    for y in content.years:
        where = text(lang, "where.year", year=y.year)
        for name, label in (("operating_grant", "funding.operating_grant"),
                            ("measure_funds", "funding.state_measure_funds")):
            problem = amount_problem(getattr(y, name), f"{where}, {text(lang, label)}", lang)
            if problem:
                out.append(Problem("amount", "error", str(y.year), problem))
    if out:
        return CheckResult(tuple(out))  # the sums below need sound amounts
    nok = {"lang": lang}
    for row in ledger(content):
        if row.allocated > row.available:
            add("over_measure_funds", "error", str(row.year), "content.over_measure_funds",
                year=row.year, allocated=fmt_nok(row.allocated, **nok),
                available=fmt_nok(row.available, **nok), granted=fmt_nok(row.granted, **nok),
                carried=fmt_nok(row.carried_in, **nok), excess=fmt_nok(row.allocated - row.available, **nok))
        if row.closed and row.spent > row.available:
            add("spent_over_available", "error", str(row.year), "content.spent_over_available",
                year=row.year, spent=fmt_nok(row.spent, **nok), available=fmt_nok(row.available, **nok))
        if row.operating_allocated > row.operating_grant:
            add("over_operating_grant", "error", str(row.year), "content.over_operating_grant",
                year=row.year, allocated=fmt_nok(row.operating_allocated, **nok),
                grant=fmt_nok(row.operating_grant, **nok))
    total_weight = sum(g.weight_pct for g in content.sub_goals)
    if content.sub_goals and total_weight != 100:
        add("weights_sum", "error", "sub_goals", "content.weights_sum", total=total_weight)
    allocated = {g: 0 for g in goals}
    for m in content.measures:
        if m.funding == "state_measure_funds":
            allocated[m.sub_goal] += sum(m.budget.values())
    total = sum(allocated.values())
    if total:
        for g in content.sub_goals:
            share = 100 * allocated[g.key] / total
            deviation = share - g.weight_pct
            if abs(deviation) > content.weight_tolerance_pct:
                add("weight_deviation", "warning", f"sub_goal:{g.key}", "content.weight_deviation",
                    sub_goal=g.key, share=_pct(share, lang), weight=g.weight_pct,
                    deviation=("+" if deviation > 0 else "−") + _pct(abs(deviation), lang),
                    tolerance=content.weight_tolerance_pct)
    if previous is not None:
        old = previous_number if previous_number is not None else "?"
        cs = diff_content(previous, content)
        for key in cs.measures_removed:
            add("measure_removed", "error", key, "content.measure_removed", measure=key, old=old)
        for c in cs.of_kind("changed"):
            if not c.reason:
                add("missing_reason", "error", c.key, "content.missing_reason", measure=c.key, old=old,
                    fields=", ".join(c.plan_fields))
        for c in cs.of_kind("ended"):
            if not c.assessment:
                add("missing_assessment", "error", c.key, "content.missing_assessment", measure=c.key)
            # ending brings the end date forward and cuts later budgets: that is the
            # ending itself; any other change of plan in the same revision needs its reason
            other = [f.field for f in c.changes if f.field in c.plan_fields and f.field != "end"
                     and not (f.field.startswith("budget.") and (f.new or 0) <= (f.old or 0))]
            if other and not c.reason:
                add("missing_reason", "error", c.key, "content.missing_reason", measure=c.key, old=old,
                    fields=", ".join(other))
    return CheckResult(tuple(out))
