"""The inside of every service function: lookups, checks, firing events, audit.

Shared by :mod:`bvflow.plans` and :mod:`bvflow.recording`, which are the only
callers; everything here runs inside a caller's unit of work and commits
nothing itself. Dates are Oslo dates; instants are aware UTC datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, col, select

from .clock import OSLO
from .contentstore import copy_for_revision
from .errors import InputError, NotFoundError, TransitionNotAllowed
from .findings import Finding, compute_findings
from .machines import CaseFSM, PlanFSM
from .models import AuditRecord, Deadline, PartyCase, Plan, PlanVersion, Resolution
from .notify import queue_findings, withdraw_stale
from .site import Scope, Site

__all__ = [
    "MAX_TEXT",
    "PLAN_KEY",
    "VERSION_REF",
    "advance",
    "after_change",
    "audit",
    "case_of",
    "cases_of",
    "check_span",
    "clean_line",
    "check_day",
    "check_order",
    "check_stage",
    "clean_text",
    "find_version",
    "fire_case",
    "fire_plan",
    "new_version",
    "open_phase_cases",
    "party_id_of",
    "set_deadlines",
    "touch",
    "case_at_stage",
]

PLAN_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


VERSION_REF = re.compile(r"[0-9]{1,6}")


#: Longest text stored as a proposal, resolution or reason (characters).
MAX_TEXT = 200_000


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# one-line values (case numbers, keys): no line breaks, no bidirectional overrides
# that would show a number other than the one stored
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_text(field: str, value: str) -> str:
    """Refuse text no person wrote: control characters (NUL …) and huge input."""
    if len(value) > MAX_TEXT:
        raise InputError(field, f"{value[:40]}…", f"is {len(value)} characters; the limit is {MAX_TEXT}")
    bad = _CONTROL.search(value)
    if bad:
        raise InputError(field, f"…{value[max(0, bad.start() - 20):bad.start() + 1]}",
                         f"contains the control character U+{ord(bad.group()):04X}; "
                         "save the text as plain UTF-8 and try again")
    return value


def clean_line(field: str, value: str) -> str:
    """Refuse what does not belong in a one-line value (a case number, a key):
    line breaks, control characters, bidirectional overrides; then as
    :func:`clean_text`."""
    bad = _LINE_CONTROL.search(value)
    if bad:
        raise InputError(field, value[:60], f"contains the character U+{ord(bad.group()):04X}; "
                         "a one-line value takes no line breaks or direction marks")
    return clean_text(field, value)


def find_version(s: Session, scope: Scope, plan_ref: str) -> tuple[Plan, PlanVersion]:
    """Resolve ``plan_ref`` (``KEY`` for the newest version, ``KEY@N`` for version N).

    Raises: NotFoundError (field ``plan``).
    """
    key, sep, num = plan_ref.partition("@")
    plan = s.exec(select(Plan).where(Plan.partnership_id == scope.id, Plan.key == key)).first()
    if plan is None:
        known = s.exec(select(Plan.key).where(Plan.partnership_id == scope.id)).all()
        raise NotFoundError("plan", plan_ref, f"no such plan; known: {', '.join(known) or 'none'}")
    q = select(PlanVersion).where(PlanVersion.plan_id == plan.id)
    if sep:
        if not VERSION_REF.fullmatch(num):
            raise InputError("plan", plan_ref, "write the version as KEY@N, e.g. handlingsplan-2025@2")
        pv = s.exec(q.where(PlanVersion.number == int(num))).first()
    else:
        pv = s.exec(q.order_by(col(PlanVersion.number).desc())).first()
    if pv is None:
        raise NotFoundError("plan", plan_ref, "no such version")
    return plan, pv


def party_id_of(scope: Scope, party: str) -> int:
    pid = scope.party_ids.get(party)
    if pid is None:
        raise NotFoundError(
            "party", party, f"not a party of {scope.key}; parties: {', '.join(scope.party_ids)}"
        )
    return pid


def check_stage(scope: Scope, party: str, stage: str, kinds: tuple[str, ...], hint: str) -> None:
    wf = scope.config.workflow
    if stage not in wf.stages:
        raise NotFoundError("body", stage, f"no such stage in workflow '{wf.name}'; stages: "
                            f"{', '.join(wf.stages)}")
    path = scope.config.paths[party]
    if stage not in path:
        raise InputError("body", stage, f"{party} has no {stage} in workflow '{wf.name}'; "
                         f"its stages: {', '.join(path)}")
    if wf.stages[stage].kind not in kinds:
        raise InputError("body", stage, hint)


def cases_of(s: Session, pv: PlanVersion) -> list[PartyCase]:
    return list(s.exec(select(PartyCase).where(PartyCase.plan_version_id == pv.id)))


def case_of(s: Session, scope: Scope, pv: PlanVersion, party: str, party_id: int) -> PartyCase:
    case = next((c for c in cases_of(s, pv) if c.party_id == party_id), None)
    if case is None:
        if pv.state == "draft":
            raise InputError("plan", f"v{pv.number}", "is a draft: submit it first")
        raise InputError("party", party, f"was not a party when version {pv.number} was submitted; "
                         "it takes part from the next version")
    return case


def _phase_entered(s: Session, pv: PlanVersion, state: str) -> date | None:
    """The Oslo date the plan version last entered ``state`` (from the audit trail)."""
    at = s.exec(select(AuditRecord.at).where(
        AuditRecord.plan_version_id == pv.id, AuditRecord.subject == "plan",
        AuditRecord.to_state == state).order_by(col(AuditRecord.id).desc())).first()
    return at.astimezone(OSLO).date() if at else None


def check_order(s: Session, field: str, day: date, pv: PlanVersion, case: PartyCase,
                 phase_state: str) -> None:
    """A recorded date may not lie before the plan reached that phase, nor
    before what this party already recorded."""
    entered = _phase_entered(s, pv, phase_state)
    if entered and day < entered:
        raise InputError(field, day.isoformat(), f"is before the plan reached this body "
                         f"({entered.isoformat()})")
    last = s.exec(select(Resolution.meeting_date).where(Resolution.party_case_id == case.id)
                  .order_by(col(Resolution.id).desc())).first()
    if last and day < last:
        raise InputError(field, day.isoformat(), f"is before the last recorded meeting of this "
                         f"party ({last.isoformat()}); record in the order the meetings were held")


def _plan_fsm(scope: Scope, pv: PlanVersion, cases: list[PartyCase]) -> PlanFSM:
    by_phase: dict[str, list[str]] = {}
    wf = scope.config.workflow
    for c in cases:
        phase = wf.phase_of_role(scope.config.party(scope.party_key(c.party_id)).role)  # type: ignore[union-attr]
        if phase is not None:
            by_phase.setdefault(phase.name, []).append(c.state)
    populated = {wf.phase_of_role(p.role).name for p in scope.config.parties}  # type: ignore[union-attr]
    return PlanFSM(pv, by_phase, populated)


def _subject(plan: Plan, pv: PlanVersion) -> str:
    return f"plan {plan.key}@{pv.number}"


def audit(s: Session, scope: Scope, pv: PlanVersion, at: datetime, actor: str, event: str,
           subject: str, before: str, after: str, reason: str = "", party_id: int | None = None,
           **details: Any) -> None:
    s.add(AuditRecord(
        partnership_id=scope.id, plan_version_id=pv.id, party_id=party_id, at=at, actor=actor,
        event=event, subject=subject, from_state=before, to_state=after, reason=reason,
        details=details,
    ))


_CASE_HINTS = {
    "record": "record the body this party waits on (see `bvflow status`); "
              "a stage that has passed cannot be recorded again",
    "decide": "this party has decided already (see `bvflow status`)",
    "accept_equivalent": "only a resolution that is not identical (deviating) can be accepted",
    "resubmit": "only a returned plan can be resubmitted",
}


def touch(pv: PlanVersion, at: datetime) -> None:
    """Mark the plan version changed even when nothing else on it changes, so its
    row version is bumped: writers on one plan version serialise, and the last
    municipality's resolution always sees the others' (moves the plan on)."""
    pv.updated_at = at
    flag_modified(pv, "updated_at")


def fire_plan(s: Session, scope: Scope, plan: Plan, pv: PlanVersion, cases: list[PartyCase],
               event: str, at: datetime, actor: str, reason: str = "", **kw: Any) -> str:
    fsm = _plan_fsm(scope, pv, cases)
    before = pv.state
    after = scope.machines.fire("plan", fsm, event, _subject(plan, pv), **kw)
    touch(pv, at)
    audit(s, scope, pv, at, actor, event, "plan", before, after, reason)
    return after


def fire_case(s: Session, scope: Scope, pv: PlanVersion, case: PartyCase, event: str,
               at: datetime, actor: str, reason: str = "", **kw: Any) -> str:
    party = scope.party_key(case.party_id)
    fsm = CaseFSM(case, scope.config.paths[party])
    before = case.state
    try:
        after = scope.machines.fire("case", fsm, event, party, **kw)
    except TransitionNotAllowed as exc:
        raise TransitionNotAllowed(party, event, before, _CASE_HINTS.get(event, "")) from exc
    touch(pv, at)
    audit(s, scope, pv, at, actor, event, "case", before, after, reason, party_id=case.party_id,
           **{k: v for k, v in kw.items() if isinstance(v, str | int)})
    return after


def open_phase_cases(s: Session, scope: Scope, pv: PlanVersion, cases: list[PartyCase],
                      at: datetime, actor: str) -> None:
    phase = scope.config.workflow.phase_by_state(pv.state)
    if phase is None:
        return
    for c in cases:
        party = scope.config.party(scope.party_key(c.party_id))
        if c.state == "waiting" and party is not None and party.role == phase.role:
            fire_case(s, scope, pv, c, "open", at, actor)


def advance(s: Session, scope: Scope, plan: Plan, pv: PlanVersion, cases: list[PartyCase],
             at: datetime, actor: str) -> None:
    """Move the plan through every phase that is complete, opening the next."""
    while scope.machines.can("plan", _plan_fsm(scope, pv, cases), "advance"):
        fire_plan(s, scope, plan, pv, cases, "advance", at, actor)
        open_phase_cases(s, scope, pv, cases, at, actor)


def after_change(s: Session, site: Site, scope: Scope, pv: PlanVersion) -> list[Finding]:
    s.flush()
    found = compute_findings(
        s, scope, site.clock.today(), plan_version_ids=[pv.id],  # type: ignore[list-item]
        missing_record_working_days=site.config.missing_record_working_days,
        language=site.config.language,
    )
    queue_findings(s, scope, found, site.clock.now(), str(site.config.path.parent))
    withdraw_stale(s, scope, found, [pv.id])  # type: ignore[list-item]
    return found


#: the dates bvflow accepts anywhere (meetings, deadlines, content periods): a
#: wider year is a typing error, and date arithmetic near date.max overflows
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
#: how far ahead a deadline may be set (years)
DEADLINE_HORIZON_YEARS = 10


def check_span(field: str, day: date) -> date:
    """Refuse a date outside :data:`EARLIEST`–:data:`LATEST` (InputError naming ``field``)."""
    if not EARLIEST <= day <= LATEST:
        raise InputError(field, day.isoformat(), f"is outside {EARLIEST.isoformat()} – "
                         f"{LATEST.isoformat()}; check the year")
    return day


def check_day(field: str, day: date, site: Site, pv: PlanVersion) -> None:
    today = site.clock.today()
    if day > today:
        raise InputError(field, day.isoformat(), f"is in the future (today is {today.isoformat()})")
    if pv.submitted_on is not None and day < pv.submitted_on:
        raise InputError(field, day.isoformat(),
                         f"is before the plan was submitted ({pv.submitted_on.isoformat()})")


def set_deadlines(s: Session, scope: Scope, pv: PlanVersion, deadlines: Mapping[str, date],
                   today: date | None = None) -> None:
    """Set phase deadlines. Refused: an unknown phase, a date already past
    (``today`` given), and deadlines that fall earlier for a later phase."""
    wf = scope.config.workflow
    existing = {d.phase: d for d in s.exec(select(Deadline).where(Deadline.plan_version_id == pv.id))}
    for phase, day in deadlines.items():
        if today is not None and isinstance(day, date) and day < today:
            raise InputError(f"deadline.{phase}", day.isoformat(),
                             f"is already past (today is {today.isoformat()})")
        if phase not in {p.name for p in wf.phases}:
            raise InputError("deadline", phase, "no such phase; phases: "
                             + ", ".join(p.name for p in wf.phases))
        if not isinstance(day, date):
            raise InputError(f"deadline.{phase}", day, "must be a date (YYYY-MM-DD)")
        check_span(f"deadline.{phase}", day)
        if today is not None and day.year > today.year + DEADLINE_HORIZON_YEARS:
            raise InputError(f"deadline.{phase}", day.isoformat(),
                             f"is more than {DEADLINE_HORIZON_YEARS} years ahead; check the year")
        if phase in existing:
            existing[phase].due_date = day
        else:
            existing[phase] = Deadline(partnership_id=scope.id, plan_version_id=pv.id,  # type: ignore[arg-type]
                                       phase=phase, due_date=day)
            s.add(existing[phase])
    ordered = [(p.name, existing[p.name].due_date) for p in wf.phases if p.name in existing]
    for (a, da), (b, db) in zip(ordered, ordered[1:], strict=False):
        if db < da:
            raise InputError(f"deadline.{b}", db.isoformat(),
                             f"is before the deadline of the earlier phase {a} ({da.isoformat()})")


def new_version(s: Session, scope: Scope, plan: Plan, old: PlanVersion, now: datetime,
                 actor: str, reason: str, proposal: str | None = None) -> PlanVersion:
    pv = PlanVersion(partnership_id=scope.id, plan_id=plan.id, number=old.number + 1,  # type: ignore[arg-type]
                     state="draft", proposal=proposal or old.proposal, revises_id=old.id,
                     created_at=now, updated_at=now)
    s.add(pv)
    s.flush()
    copy_for_revision(s, scope.id, old.id, pv.id)  # type: ignore[arg-type]
    audit(s, scope, pv, now, actor, "create", "plan", "", "draft", reason, revises=old.number)
    return pv


def case_at_stage(s: Session, site: Site, scope: Scope, plan_ref: str, party: str, party_id: int,
                  stage: str, field: str, day: date) -> tuple[Plan, PlanVersion, PartyCase]:
    """The plan, version and party case for recording ``stage`` on ``day``.

    Raises: InputError — the version is not in the stage's phase (field
    ``plan``), ``day`` (``field``) is in the future, before submission, before
    the plan reached the phase or before this party's last record; the party
    has no case in the version.
    """
    plan, pv = find_version(s, scope, plan_ref)
    phase = scope.config.workflow.phase_of_stage(stage)
    if phase is None or pv.state != phase.state:
        raise InputError("plan", plan_ref, f"version {pv.number} is '{pv.state}', not awaiting "
                         f"{party}'s {stage} (that is state '{phase.state if phase else '?'}')")
    check_day(field, day, site, pv)
    case = case_of(s, scope, pv, party, party_id)
    check_order(s, field, day, pv, case, phase.state)
    return plan, pv, case
