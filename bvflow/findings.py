"""Out-of-step findings, computed from stored state, meeting calendars and deadlines.

For a date ``at`` (Oslo), each plan version in a phase is checked party by
party (issue "Approval engine …", *Out-of-step findings*):

=============================  ========  =============================================
kind                           severity  when
=============================  ========  =============================================
``no_meeting_before_deadline`` critical  a stage still needed has no meeting between
                                         the last recorded meeting and the deadline
``missing_record``             warning   a meeting of the body the party waits on has
                                         passed, ``missing_record_working_days`` working
                                         days ago or more, and nothing is recorded since
``deviating_resolution``       warning   the resolution is not identical and not accepted
``postponed``                  warning   the last outcome was *utsett*
``rejected``                   critical  the body rejected the plan
``deadline_passed``            critical  ``at`` is after the phase deadline, party open
=============================  ========  =============================================

Every finding concerns its party and the steering group. The whole
computation issues a constant number of queries, whatever the number of
plan versions (benchmarked in ``bench/``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select

from .messages import fmt_date, text
from .models import Body, Deadline, Meeting, PartyCase, Plan, PlanVersion, Resolution
from .site import Scope
from .workdays import working_days_between

__all__ = ["FINDING_KINDS", "Finding", "compute_findings"]

FINDING_KINDS = (
    "no_meeting_before_deadline",
    "missing_record",
    "deviating_resolution",
    "postponed",
    "rejected",
    "deadline_passed",
)
_SEVERITY = {
    "no_meeting_before_deadline": "critical",
    "missing_record": "warning",
    "deviating_resolution": "warning",
    "postponed": "warning",
    "rejected": "critical",
    "deadline_passed": "critical",
}


@dataclass(frozen=True)
class Finding:
    """One out-of-step finding.

    ``key_date`` is the Oslo date the finding is about (the deadline, or the
    meeting); with plan version, party and kind it identifies the finding.
    ``concerns`` lists who must hear of it: the party key and ``"steering_group"``.
    ``message`` is its text in ``language``, made when first read (a scan of
    100,000 cases need not format the words of findings nobody shows).
    """

    kind: str
    severity: str
    party: str
    plan: str
    version: int
    plan_version_id: int
    stage: str
    key_date: date
    concerns: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)
    language: str = "nn"

    @property
    def message(self) -> str:
        """The message in the language the findings were computed for."""
        return _message(self.kind, self.language, self.key_date, self.details)

    def message_in(self, lang: str) -> str:
        """The message in ``lang`` (nn, nb, en)."""
        return _message(self.kind, lang, self.key_date, self.details)

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON shape: kind, severity, party, plan, version, stage,
        date (ISO), message, concerns."""
        return {
            "kind": self.kind, "severity": self.severity, "party": self.party,
            "plan": self.plan, "version": self.version, "stage": self.stage,
            "date": self.key_date.isoformat(), "message": self.message,
            "concerns": list(self.concerns),
        }


def compute_findings(
    session: Session,
    scope: Scope,
    at: date,
    *,
    missing_record_working_days: int = 2,
    plan_version_ids: list[int] | None = None,
    language: str = "nn",
) -> list[Finding]:
    """All findings of the partnership's active plan versions on date ``at``.

    Args:
        plan_version_ids: limit to these versions (default: every version in a phase).
    Returns: findings sorted by plan, version, party order, kind.
    """
    wf = scope.config.workflow
    phase_states = {p.state: p for p in wf.phases}
    # Plain column rows, not ORM objects: the computation only reads, and
    # building 100,000 tracked objects (with their JSON and texts) cost more
    # than the findings themselves (bench/NOTES.md).
    # The versions are named by a condition, not by a list of ids: 100,000 party
    # case ids as bound parameters exceed what SQLite and psycopg accept.
    vcond = [PlanVersion.partnership_id == scope.id, col(PlanVersion.state).in_(list(phase_states))]
    if plan_version_ids is not None:
        vcond.append(col(PlanVersion.id).in_(plan_version_ids))
    rows = session.connection().execute  # Core rows: no ORM loading step for plain columns
    versions = rows(
        select(PlanVersion.id, PlanVersion.number, PlanVersion.state, PlanVersion.submitted_on,
               Plan.key).join(Plan, col(Plan.id) == PlanVersion.plan_id).where(*vcond)
    ).all()
    if not versions:
        return []
    deadlines: dict[tuple[int, str], date] = {
        (d.plan_version_id, d.phase): d.due_date
        for d in rows(select(Deadline.plan_version_id, Deadline.phase, Deadline.due_date)
                              .join(PlanVersion, col(PlanVersion.id) == Deadline.plan_version_id)
                              .where(*vcond))
    }
    cases = rows(select(PartyCase.id, PartyCase.plan_version_id, PartyCase.party_id,
                                PartyCase.state)
                         .join(PlanVersion, col(PlanVersion.id) == PartyCase.plan_version_id)
                         .where(*vcond)).all()
    res_by_case: dict[int, list[Any]] = defaultdict(list)
    for r in rows(
        select(Resolution.party_case_id, Resolution.body_id, Resolution.stage,
               Resolution.meeting_date, Resolution.outcome, Resolution.verdict)
        .join(PartyCase, col(PartyCase.id) == Resolution.party_case_id)
        .join(PlanVersion, col(PlanVersion.id) == PartyCase.plan_version_id)
        .where(*vcond)
        .order_by(col(Resolution.id))
    ).fetchall():
        res_by_case[r.party_case_id].append(r)
    bodies = {b.id: b for b in rows(
        select(Body.id, Body.name).where(Body.partnership_id == scope.id))}
    meetings: dict[int, list[date]] = defaultdict(list)
    for m in rows(
        select(Meeting.body_id, Meeting.meeting_date).where(
            Meeting.partnership_id == scope.id).order_by(col(Meeting.meeting_date))
    ):
        meetings[m.body_id].append(m.meeting_date)

    party_pos = {k: i for i, k in enumerate(p.key for p in scope.config.parties)}
    party_of = {v: k for k, v in (scope.former_party_ids | scope.party_ids).items()}
    party_names = {p.key: p.name for p in scope.config.parties}
    paths = scope.config.paths
    body_ids = {k: {s: scope.body_ids.get((k, s)) for s in path} for k, path in paths.items()}
    cases_by_pv: dict[int, list[Any]] = defaultdict(list)
    for c in cases:
        cases_by_pv[c.plan_version_id].append(c)

    routes: dict[tuple[str, str], Any] = {}
    out: list[Finding] = []
    for pv in versions:
        plan_key = pv.key
        phase = phase_states[pv.state]
        deadline = deadlines.get((pv.id, phase.name))  # type: ignore[arg-type]
        start = pv.submitted_on or at
        day_before_start = start - timedelta(days=1)
        for case in cases_by_pv[pv.id]:  # type: ignore[index]
            if case.state in ("passed", "waiting", "returned"):
                continue
            party = party_of[case.party_id]
            if party not in paths or paths[party][0] not in phase.stages:
                continue
            ctx = _CaseCtx(scope, pv, plan_key, party, party_names[party], language)
            path = paths[party]
            body_of = body_ids[party]
            history = res_by_case.get(case.id, [])  # type: ignore[arg-type]
            last = history[-1] if history else None
            if case.state == "deviating":
                dev = next((r for r in reversed(history) if r.verdict not in (None, "identical")), last)
                if dev is not None:
                    out.append(ctx.make("deviating_resolution", dev.stage, dev.meeting_date,
                                        bodies[dev.body_id].name,
                                        verdict=dev.verdict))
            elif case.state == "rejected" and last is not None:
                out.append(ctx.make("rejected", last.stage, last.meeting_date, bodies[last.body_id].name))
            elif last is not None and last.outcome == "postponed":
                out.append(ctx.make("postponed", last.stage, last.meeting_date, bodies[last.body_id].name))
            # stages the party still needs, in order, with their calendars (once per party and state)
            route_key = (party, case.state)
            route = routes.get(route_key)
            if route is None:
                route = routes[route_key] = _route(wf, path, case.state, body_of, meetings, bodies)
            current, watched, required = route
            since = last.meeting_date if last else day_before_start
            unrecorded = []  # the first meeting of each watched body in (since, at), not before start
            for s, dates, _name in watched:
                i = max(bisect_right(dates, since), bisect_left(dates, start))
                if i < len(dates) and dates[i] < at:
                    unrecorded.append((dates[i], s))
            if unrecorded:
                d, s = min(unrecorded)
                if _working_days_between(d, at) >= missing_record_working_days:
                    out.append(ctx.make("missing_record", s, d, bodies[body_of[s]].name))  # type: ignore[index]
            if deadline is None:
                continue
            if at > deadline:
                out.append(ctx.make("deadline_passed", current, deadline, "", deadline=deadline))
                continue
            lower = max(start, since + timedelta(days=1))
            for s, dates, name, approval in required:
                if not dates and approval:
                    break  # no calendar kept for this approver: nothing to judge by
                i = bisect_left(dates, lower)
                hit = dates[i] if i < len(dates) and dates[i] <= deadline else None
                if hit is None:
                    out.append(ctx.make("no_meeting_before_deadline", s, deadline, name,
                                        deadline=deadline))
                    break
                lower = hit
    out.sort(key=lambda f: (f.plan, f.version, party_pos.get(f.party, 99), FINDING_KINDS.index(f.kind)))
    return out


def _route(wf: Any, path: tuple[str, ...], state: str, body_of: dict[str, int | None],
           meetings: dict[int, list[date]], bodies: dict[int, Any]) -> tuple[str, list[Any], list[Any]]:
    """What a party in ``state`` still needs: its current stage; the stages
    whose meetings are watched for a missing record (the current one, and past
    an optional stage the next), each (stage, meeting dates, body name); and
    the required stages still ahead, each (stage, dates, body name, is an approval)."""
    current = state if state in path else path[-1]
    remaining = list(path[path.index(current):])
    watched_stages = [remaining[0]]
    for s in remaining[:-1]:
        if wf.stages[s].optional:
            watched_stages.append(remaining[remaining.index(s) + 1])
        else:
            break

    def dates_of(s: str) -> list[date]:
        return meetings.get(body_of[s] or -1, [])

    def name_of(s: str) -> str:
        body_id = body_of[s]
        return bodies[body_id].name if body_id in bodies else s

    watched = [(s, dates_of(s), name_of(s)) for s in watched_stages]
    required = [(s, dates_of(s), name_of(s), wf.stages[s].kind in ("approval", "final_approval"))
                for s in remaining if not wf.stages[s].optional]
    return current, watched, required


@dataclass
class _CaseCtx:
    scope: Scope
    pv: Any  # a row with ``id`` and ``number``
    plan_key: str
    party: str
    party_name: str
    language: str

    def make(self, kind: str, stage: str, key_date: date, body: str, **extra: Any) -> Finding:
        details: dict[str, Any] = {"party": self.party_name, "body": body, **extra}
        return Finding(
            kind=kind, severity=_SEVERITY[kind], party=self.party, plan=self.plan_key,
            version=self.pv.number, plan_version_id=self.pv.id or 0, stage=stage,
            key_date=key_date, concerns=(self.party, "steering_group"), details=details,
            language=self.language,
        )


def _message(kind: str, lang: str, key_date: date, details: dict[str, Any]) -> str:
    try:
        return _message_cached(kind, lang, key_date, tuple(details.items()))
    except TypeError:  # an unhashable detail value
        return _message_text(kind, lang, key_date, details)


@lru_cache(maxsize=4096)
def _message_cached(kind: str, lang: str, key_date: date, details: tuple[tuple[str, Any], ...]) -> str:
    # the same few dates, bodies and deadlines recur over thousands of cases;
    # formatting a date with Babel is the slow part
    return _message_text(kind, lang, key_date, dict(details))


@lru_cache(maxsize=4096)
def _working_days_between(start: date, end: date) -> int:
    return working_days_between(start, end)


def _message_text(kind: str, lang: str, key_date: date, details: dict[str, Any]) -> str:
    values: dict[str, Any] = {"meeting": fmt_date(key_date, lang)}
    for k, v in details.items():
        if isinstance(v, date):
            v = fmt_date(v, lang)
        elif k == "verdict":
            v = text(lang, f"verdict.{v}")
        values[k] = v
    return text(lang, f"finding.{kind}", **values)
