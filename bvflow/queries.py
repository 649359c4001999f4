"""Read-only views for people: status matrix, history, meetings, plans.

Every function here reads inside one partnership's scope with a constant
number of queries (no query per row), and returns plain dataclasses with a
``to_dict()`` giving the stable JSON documented in the README.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from .db import unit_of_work
from .errors import NotFoundError
from .findings import Finding, compute_findings
from .models import AuditRecord, Body, Deadline, Meeting, PartyCase, Plan, PlanVersion, Resolution
from .services import find_version
from .site import Scope, Site

__all__ = [
    "Cell", "HistoryEntry", "OverviewRow", "PartyRow", "VersionRow", "VersionStatus",
    "deadlines", "history", "meetings", "outbox", "overview", "status", "versions",
]


@dataclass(frozen=True)
class Cell:
    """The latest recorded outcome of one party at one stage (or the next meeting)."""

    stage: str
    meeting_date: date | None = None
    case_number: str = ""
    outcome: str = ""
    verdict: str | None = None
    accepted: bool = False
    accepted_reason: str | None = None
    next_meeting: date | None = None
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "meeting_date": self.meeting_date.isoformat() if self.meeting_date else None,
            "case_number": self.case_number, "outcome": self.outcome or None,
            "verdict": self.verdict, "accepted_as_equivalent": self.accepted,
            "accepted_reason": self.accepted_reason,
            "next_meeting": self.next_meeting.isoformat() if self.next_meeting else None,
            "text": self.text,
        }


@dataclass(frozen=True)
class PartyRow:
    party: str
    name: str
    role: str
    state: str
    cells: list[Cell]

    def to_dict(self) -> dict[str, Any]:
        return {"party": self.party, "name": self.name, "role": self.role, "state": self.state,
                "stages": [c.to_dict() for c in self.cells]}


@dataclass(frozen=True)
class VersionStatus:
    """A plan version with its parties × stages matrix and open findings."""

    plan: str
    title: str
    version: int
    state: str
    submitted_on: date | None
    deadlines: dict[str, date]
    parties: list[PartyRow]
    findings: list[Finding] = field(default_factory=list)
    proposal: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan, "title": self.title, "version": self.version, "state": self.state,
            "proposal": self.proposal,
            "submitted_on": self.submitted_on.isoformat() if self.submitted_on else None,
            "deadlines": {k: v.isoformat() for k, v in self.deadlines.items()},
            "parties": [p.to_dict() for p in self.parties],
            "findings": [f.to_dict() for f in self.findings],
        }


def _versions(s: Session, scope: Scope, plan_ref: str | None) -> list[Any]:
    """Rows with ``key``, ``title`` (the plan's) and ``id``, ``number``, ``state``,
    ``submitted_on``, ``proposal`` (the version's)."""
    q = (select(Plan.key, Plan.title, PlanVersion.id, PlanVersion.number, PlanVersion.state,
                PlanVersion.submitted_on, PlanVersion.proposal)
         .join(PlanVersion, col(PlanVersion.plan_id) == Plan.id))
    if plan_ref:
        _plan, pv = find_version(s, scope, plan_ref)
        return list(s.connection().execute(q.where(PlanVersion.id == pv.id)))
    return list(s.connection().execute(
        q.where(Plan.partnership_id == scope.id, PlanVersion.state != "superseded")
        .order_by(col(Plan.key), col(PlanVersion.number))))


def status(site: Site, partnership: str | None, plan_ref: str | None = None,
           at: date | None = None) -> list[VersionStatus]:
    """Status of one plan version (``plan_ref``) or of every version not superseded.

    ``at`` (Oslo date, default today) is the date findings are computed for.
    """
    scope = site.scope(partnership)
    at = at or site.clock.today()
    with unit_of_work(site.engine) as s:
        versions = _versions(s, scope, plan_ref)
        ids = [pv.id for pv in versions]
        rows = s.connection().execute  # Core rows: no ORM loading step for plain columns
        # plain column rows, not ORM objects: nothing here is changed (bench/NOTES.md)
        # the versions by condition, not by a list of ids (too many bound parameters at scale)
        vcond = ([col(PlanVersion.id).in_(ids)] if plan_ref else
                 [PlanVersion.partnership_id == scope.id, PlanVersion.state != "superseded"])
        cases = rows(select(PartyCase.id, PartyCase.plan_version_id, PartyCase.party_id,
                            PartyCase.state)
                       .join(PlanVersion, col(PlanVersion.id) == PartyCase.plan_version_id)
                       .where(*vcond)).all()
        res: dict[int, dict[str, Any]] = defaultdict(dict)
        for r in rows(select(Resolution.party_case_id, Resolution.stage, Resolution.meeting_date,
                             Resolution.case_number, Resolution.outcome, Resolution.verdict,
                               Resolution.accepted_at, Resolution.accepted_reason, Resolution.text)
                        .join(PartyCase, col(PartyCase.id) == Resolution.party_case_id)
                        .join(PlanVersion, col(PlanVersion.id) == PartyCase.plan_version_id)
                        .where(*vcond)
                        .order_by(col(Resolution.id))):
            res[r.party_case_id][r.stage] = r  # the last recorded per stage wins
        deadlines: dict[int, dict[str, date]] = defaultdict(dict)
        for d in rows(select(Deadline.plan_version_id, Deadline.phase, Deadline.due_date)
                      .join(PlanVersion, col(PlanVersion.id) == Deadline.plan_version_id)
                      .where(*vcond)):
            deadlines[d.plan_version_id][d.phase] = d.due_date
        upcoming: dict[int, date] = {}
        for m in rows(select(Meeting.body_id, Meeting.meeting_date)
                        .where(Meeting.partnership_id == scope.id, Meeting.meeting_date >= at)
                        .order_by(col(Meeting.meeting_date).desc())):
            upcoming[m.body_id] = m.meeting_date  # ascending overwrite → earliest remains
        # every version in a phase is one not superseded: no id list needed then
        found = compute_findings(s, scope, at, plan_version_ids=ids if plan_ref else None,
                                 language=site.config.language,
                                 missing_record_working_days=site.config.missing_record_working_days)
    by_pv: dict[int, list[Finding]] = defaultdict(list)
    for f in found:
        by_pv[f.plan_version_id].append(f)
    case_of = {(c.plan_version_id, c.party_id): c for c in cases}
    # per party, once: its id and, per stage of its path, the next meeting of that body
    parties = [(party, scope.party_ids[party.key],
                [(stage, upcoming.get(scope.body_ids[(party.key, stage)]))
                 for stage in scope.config.paths[party.key]])
               for party in scope.config.parties]
    no_res: dict[str, Any] = {}
    out = []
    for pv in versions:
        party_rows = []
        for party, pid, stages in parties:
            case = case_of.get((pv.id, pid))
            if case is None and pv.submitted_on is not None:
                continue  # joined after this version went out: not one of its parties
            recorded = res.get(case.id, no_res) if case else no_res
            cells = []
            for stage, nxt in stages:
                r = recorded.get(stage)
                if r is None:
                    cells.append(Cell(stage, next_meeting=nxt))
                else:
                    cells.append(Cell(stage, r.meeting_date, r.case_number, r.outcome, r.verdict,
                                      r.accepted_at is not None, r.accepted_reason, nxt, r.text))
            party_rows.append(PartyRow(party.key, party.name, party.role,
                                       case.state if case else "—", cells))
        out.append(VersionStatus(pv.key, pv.title, pv.number, pv.state, pv.submitted_on,
                                 deadlines.get(pv.id, {}), party_rows, by_pv.get(pv.id, []),
                                 pv.proposal))
    return out


@dataclass(frozen=True)
class HistoryEntry:
    at: str
    actor: str
    event: str
    subject: str
    party: str | None
    from_state: str
    to_state: str
    reason: str
    details: dict[str, Any]
    version: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def history(site: Site, partnership: str | None, plan_ref: str) -> list[HistoryEntry]:
    """The audit trail of a plan, oldest first: every version for ``KEY``, one
    version for ``KEY@N``."""
    scope = site.scope(partnership)
    with unit_of_work(site.engine) as s:
        plan, pv = find_version(s, scope, plan_ref)
        q = (select(AuditRecord, PlanVersion.number)
             .join(PlanVersion, col(PlanVersion.id) == AuditRecord.plan_version_id)
             .where(PlanVersion.plan_id == plan.id, AuditRecord.partnership_id == scope.id))
        if "@" in plan_ref:
            q = q.where(PlanVersion.id == pv.id)
        rows = s.exec(q.order_by(col(AuditRecord.at), col(AuditRecord.id))).all()
    return [
        HistoryEntry(a.at.isoformat(), a.actor, a.event, a.subject,
                     scope.party_key(a.party_id) if a.party_id else None,
                     a.from_state, a.to_state, a.reason, a.details, number)
        for a, number in rows
    ]


def meetings(site: Site, partnership: str | None, party: str | None = None
             ) -> list[dict[str, Any]]:
    """Meeting calendar rows: party, stage, body, date (ISO), source; by date."""
    scope = site.scope(partnership)
    with unit_of_work(site.engine) as s:
        q = select(Meeting, Body).join(Body, col(Body.id) == Meeting.body_id).where(
            Meeting.partnership_id == scope.id)
        if party:
            if party not in scope.party_ids:
                raise NotFoundError("party", party, f"not a party of {scope.key}; parties: "
                                    f"{', '.join(scope.party_ids)}")
            q = q.where(Body.party_id == scope.party_ids[party])
        rows = s.exec(q.order_by(col(Meeting.meeting_date))).all()
    return [{"party": scope.party_key(b.party_id), "stage": b.stage, "body": b.name,
             "date": m.meeting_date.isoformat(), "source": m.source} for m, b in rows]


def outbox(site: Site, partnership: str | None) -> list[dict[str, Any]]:
    """Outbox rows, oldest first: created_at, due_at, sent_at (ISO, UTC), status,
    attempts, last_error, kind, severity, recipient, subject, party, plan_version_id."""
    from .models import OutboxMessage

    scope = site.scope(partnership)
    with unit_of_work(site.engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.partnership_id == scope.id)
                      .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))).all()
    return [{"created_at": m.created_at.isoformat(), "due_at": m.due_at.isoformat(),
             "sent_at": m.sent_at.isoformat() if m.sent_at else None, "last_error": m.last_error,
             "attempts": m.attempts, "status": m.status, "kind": m.kind,
             "severity": m.severity, "recipient": m.recipient, "subject": m.subject,
             "party": scope.party_key(m.party_id) if m.party_id else None,
             "plan_version_id": m.plan_version_id} for m in rows]


@dataclass(frozen=True)
class OverviewRow:
    """One plan's newest version in one partnership, for the county or ministry.

    ``next_deadline``: the deadline of the phase the version is in (else the
    next later one); ``findings`` / ``critical``: open findings on ``at``.
    """

    partnership: str
    partnership_name: str
    plan: str | None
    version: int | None
    state: str | None
    next_deadline: date | None
    findings: int
    critical: int

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["next_deadline"] = self.next_deadline.isoformat() if self.next_deadline else None
        return d


def overview(site: Site, at: date | None = None) -> list[OverviewRow]:
    """Every partnership's plans (newest version each) with state, next deadline
    and open findings; a partnership without plans gets one row with ``plan=None``."""
    at = at or site.clock.today()
    rows: list[OverviewRow] = []
    for pc in site.config.partnerships:
        scope = site.scope(pc.key)
        order = [p.name for p in pc.workflow.phases]
        with unit_of_work(site.engine) as s:
            newest: dict[int, tuple[Plan, PlanVersion]] = {}
            for plan, pv in s.exec(
                select(Plan, PlanVersion).join(PlanVersion, col(PlanVersion.plan_id) == Plan.id)
                .where(Plan.partnership_id == scope.id).order_by(col(Plan.key), col(PlanVersion.number))
            ):
                newest[plan.id] = (plan, pv)  # type: ignore[index]
            ids = [pv.id for _, pv in newest.values()]
            deadlines: dict[int, dict[str, date]] = defaultdict(dict)
            for d in s.exec(select(Deadline).where(col(Deadline.plan_version_id).in_(ids))):
                deadlines[d.plan_version_id][d.phase] = d.due_date
            found = compute_findings(s, scope, at, plan_version_ids=ids, language=site.config.language,
                                     missing_record_working_days=site.config.missing_record_working_days)
        if not newest:
            rows.append(OverviewRow(pc.key, pc.name, None, None, None, None, 0, 0))
        for plan, pv in newest.values():
            phase = pc.workflow.phase_by_state(pv.state)
            nxt = None
            if phase is not None:
                later = order[order.index(phase.name):]
                nxt = next((deadlines[pv.id][p] for p in later if p in deadlines[pv.id]), None)  # type: ignore[index]
            mine = [f for f in found if f.plan_version_id == pv.id]
            rows.append(OverviewRow(pc.key, pc.name, plan.key, pv.number, pv.state, nxt, len(mine),
                                    sum(f.severity == "critical" for f in mine)))
    return rows


def deadlines(site: Site, partnership: str | None, since: date | None) -> list[dict[str, Any]]:
    """Deadlines of plan versions not superseded nor approved: plan, version,
    phase, title (the phase's), date (ISO); those before ``since`` left out."""
    scope = site.scope(partnership)
    titles = {p.name: p.title for p in scope.config.workflow.phases}
    with unit_of_work(site.engine) as s:
        q = (select(Deadline, PlanVersion, Plan.key)
             .join(PlanVersion, col(PlanVersion.id) == Deadline.plan_version_id)
             .join(Plan, col(Plan.id) == PlanVersion.plan_id)
             .where(Deadline.partnership_id == scope.id,
                    col(PlanVersion.state).not_in(["superseded", "approved"])))
        if since is not None:
            q = q.where(Deadline.due_date >= since)
        rows = s.exec(q.order_by(col(Deadline.due_date))).all()
    return [{"plan": key, "version": pv.number, "phase": d.phase,
             "title": titles.get(d.phase, d.phase), "date": d.due_date.isoformat()}
            for d, pv, key in rows]


@dataclass(frozen=True)
class VersionRow:
    """One plan version for the overview: state, next deadline, open findings.

    ``next_deadline`` (Oslo date): the deadline of the phase the version is in,
    else the next later one; None when approved, superseded or without deadlines.
    """

    partnership: str
    plan: str
    title: str
    version: int
    state: str
    submitted_on: date | None
    next_deadline: date | None
    findings: int
    critical: int

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        for k in ("submitted_on", "next_deadline"):
            d[k] = d[k].isoformat() if d[k] else None
        return d


def versions(site: Site, partnership: str | None, at: date | None = None) -> list[VersionRow]:
    """Every plan version of ``partnership`` (superseded ones too), by plan key
    and number, with findings open on ``at`` (Oslo date, default today).
    Four queries whatever the number of versions."""
    scope = site.scope(partnership)
    at = at or site.clock.today()
    order = [p.name for p in scope.config.workflow.phases]
    with unit_of_work(site.engine) as s:
        rows = s.exec(
            select(Plan, PlanVersion).join(PlanVersion, col(PlanVersion.plan_id) == Plan.id)
            .where(Plan.partnership_id == scope.id).order_by(col(Plan.key), col(PlanVersion.number))
        ).all()
        ids = [pv.id for _, pv in rows]
        due: dict[int, dict[str, date]] = defaultdict(dict)
        for d in s.exec(select(Deadline).where(Deadline.partnership_id == scope.id)):
            due[d.plan_version_id][d.phase] = d.due_date
        found = compute_findings(s, scope, at, plan_version_ids=ids, language=site.config.language,
                                 missing_record_working_days=site.config.missing_record_working_days)
    out = []
    for plan, pv in rows:
        phase = scope.config.workflow.phase_by_state(pv.state)
        nxt = None
        if phase is not None:
            nxt = next((due[pv.id][p] for p in order[order.index(phase.name):]  # type: ignore[index]
                        if p in due[pv.id]), None)  # type: ignore[index]
        mine = [f for f in found if f.plan_version_id == pv.id]
        out.append(VersionRow(scope.key, plan.key, plan.title, pv.number, pv.state, pv.submitted_on,
                              nxt, len(mine), sum(f.severity == "critical" for f in mine)))
    return out
