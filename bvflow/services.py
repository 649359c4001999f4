"""Service functions: every change to a plan goes through here (CLI, demo, web).

Each function opens one unit of work: it validates the input, asks the
workflow's state machine whether the event is allowed, writes the new state,
an audit record and any notifications, and commits them together — or raises
and stores nothing. Dates are Oslo dates; instants come from ``site.clock``.

Errors: :class:`~bvflow.errors.InputError` / ``NotFoundError`` (field and
value named), :class:`~bvflow.errors.TransitionNotAllowed` (current state
named), :class:`~bvflow.errors.ConflictError` (a concurrent writer won).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, col, select

from .clock import OSLO
from .db import unit_of_work
from .errors import InputError, NotFoundError, TransitionNotAllowed
from .findings import Finding, compute_findings
from .machines import CaseFSM, PlanFSM
from .models import AuditRecord, Deadline, Meeting, PartyCase, Plan, PlanVersion, Resolution
from .notify import queue_findings, withdraw_stale
from .site import Scope, Site
from .textcompare import Comparison, compare_texts
from .workflow import OUTCOMES

__all__ = [
    "RecordResult",
    "accept_equivalent",
    "add_meeting",
    "ScanResult",
    "create_plan",
    "decide",
    "edit_draft",
    "find_version",
    "raise_findings",
    "record_resolution",
    "resubmit",
    "revise_plan",
    "submit_plan",
]

_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_VERSION = re.compile(r"[0-9]{1,6}")
#: Longest text stored as a proposal, resolution or reason (characters).
MAX_TEXT = 200_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(field: str, value: str) -> str:
    """Refuse text no person wrote: control characters (NUL …) and huge input."""
    if len(value) > MAX_TEXT:
        raise InputError(field, f"{value[:40]}…", f"is {len(value)} characters; the limit is {MAX_TEXT}")
    bad = _CONTROL.search(value)
    if bad:
        raise InputError(field, f"…{value[max(0, bad.start() - 20):bad.start() + 1]}",
                         f"contains the control character U+{ord(bad.group()):04X}; "
                         "save the text as plain UTF-8 and try again")
    return value


@dataclass(frozen=True)
class RecordResult:
    """What recording did: the verdict (None when no text was compared), the
    comparison, the party case's and plan version's new states, and the
    findings now open for that plan version."""

    plan: str
    version: int
    party: str
    stage: str
    outcome: str
    verdict: str | None
    comparison: Comparison | None
    case_state: str
    plan_state: str
    findings: list[Finding]


# -- lookups ---------------------------------------------------------------

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
        if not _VERSION.fullmatch(num):
            raise InputError("plan", plan_ref, "write the version as KEY@N, e.g. handlingsplan-2025@2")
        pv = s.exec(q.where(PlanVersion.number == int(num))).first()
    else:
        pv = s.exec(q.order_by(col(PlanVersion.number).desc())).first()
    if pv is None:
        raise NotFoundError("plan", plan_ref, "no such version")
    return plan, pv


def _party(scope: Scope, party: str) -> int:
    pid = scope.party_ids.get(party)
    if pid is None:
        raise NotFoundError(
            "party", party, f"not a party of {scope.key}; parties: {', '.join(scope.party_ids)}"
        )
    return pid


def _stage_for(scope: Scope, party: str, stage: str, kinds: tuple[str, ...], hint: str) -> None:
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


def _cases(s: Session, pv: PlanVersion) -> list[PartyCase]:
    return list(s.exec(select(PartyCase).where(PartyCase.plan_version_id == pv.id)))


def _case_of(s: Session, scope: Scope, pv: PlanVersion, party: str, party_id: int) -> PartyCase:
    case = next((c for c in _cases(s, pv) if c.party_id == party_id), None)
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


def _check_order(s: Session, field: str, day: date, pv: PlanVersion, case: PartyCase,
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


def _audit(s: Session, scope: Scope, pv: PlanVersion, at: datetime, actor: str, event: str,
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


def _touch(pv: PlanVersion, at: datetime) -> None:
    """Mark the plan version changed even when nothing else on it changes, so its
    row version is bumped: writers on one plan version serialise, and the last
    municipality's resolution always sees the others' (moves the plan on)."""
    pv.updated_at = at
    flag_modified(pv, "updated_at")


def _fire_plan(s: Session, scope: Scope, plan: Plan, pv: PlanVersion, cases: list[PartyCase],
               event: str, at: datetime, actor: str, reason: str = "", **kw: Any) -> str:
    fsm = _plan_fsm(scope, pv, cases)
    before = pv.state
    after = scope.machines.fire("plan", fsm, event, _subject(plan, pv), **kw)
    _touch(pv, at)
    _audit(s, scope, pv, at, actor, event, "plan", before, after, reason)
    return after


def _fire_case(s: Session, scope: Scope, pv: PlanVersion, case: PartyCase, event: str,
               at: datetime, actor: str, reason: str = "", **kw: Any) -> str:
    party = scope.party_key(case.party_id)
    fsm = CaseFSM(case, scope.config.paths[party])
    before = case.state
    try:
        after = scope.machines.fire("case", fsm, event, party, **kw)
    except TransitionNotAllowed as exc:
        raise TransitionNotAllowed(party, event, before, _CASE_HINTS.get(event, "")) from exc
    _touch(pv, at)
    _audit(s, scope, pv, at, actor, event, "case", before, after, reason, party_id=case.party_id,
           **{k: v for k, v in kw.items() if isinstance(v, str | int)})
    return after


def _open_phase_cases(s: Session, scope: Scope, pv: PlanVersion, cases: list[PartyCase],
                      at: datetime, actor: str) -> None:
    phase = scope.config.workflow.phase_by_state(pv.state)
    if phase is None:
        return
    for c in cases:
        party = scope.config.party(scope.party_key(c.party_id))
        if c.state == "waiting" and party is not None and party.role == phase.role:
            _fire_case(s, scope, pv, c, "open", at, actor)


def _advance(s: Session, scope: Scope, plan: Plan, pv: PlanVersion, cases: list[PartyCase],
             at: datetime, actor: str) -> None:
    """Move the plan through every phase that is complete, opening the next."""
    while scope.machines.can("plan", _plan_fsm(scope, pv, cases), "advance"):
        _fire_plan(s, scope, plan, pv, cases, "advance", at, actor)
        _open_phase_cases(s, scope, pv, cases, at, actor)


def _after(s: Session, site: Site, scope: Scope, pv: PlanVersion) -> list[Finding]:
    s.flush()
    found = compute_findings(
        s, scope, site.clock.today(), plan_version_ids=[pv.id],  # type: ignore[list-item]
        missing_record_working_days=site.config.missing_record_working_days,
        language=site.config.language,
    )
    queue_findings(s, scope, found, site.clock.now(), str(site.config.path.parent))
    withdraw_stale(s, scope, found, [pv.id])  # type: ignore[list-item]
    return found


def _check_day(field: str, day: date, site: Site, pv: PlanVersion) -> None:
    today = site.clock.today()
    if day > today:
        raise InputError(field, day.isoformat(), f"is in the future (today is {today.isoformat()})")
    if pv.submitted_on is not None and day < pv.submitted_on:
        raise InputError(field, day.isoformat(),
                         f"is before the plan was submitted ({pv.submitted_on.isoformat()})")


def _set_deadlines(s: Session, scope: Scope, pv: PlanVersion, deadlines: Mapping[str, date],
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


# -- plan lifecycle ---------------------------------------------------------

def create_plan(site: Site, partnership: str | None, key: str, title: str, proposal: str,
                deadlines: Mapping[str, date] | None = None, actor: str = "") -> PlanVersion:
    """Create plan ``key`` with version 1 in ``draft``.

    Args:
        proposal: the proposed resolution (framlegg til vedtak); resolutions are compared with it.
        deadlines: phase name → Oslo date by which that phase must be complete.
    Raises: InputError (fields ``plan``, ``title``, ``proposal``, ``deadline``).
    """
    scope = site.scope(partnership)
    if not _KEY.fullmatch(key):
        raise InputError("plan", key, "use lower-case letters, digits, '-', '_' or '.', e.g. "
                         "handlingsplan-2025")
    if not title.strip():
        raise InputError("title", title, "must not be empty")
    if not proposal.strip():
        raise InputError("proposal", proposal, "the proposed resolution must not be empty")
    _clean("proposal", proposal)
    _clean("title", title)
    now = site.clock.now()
    with unit_of_work(site.engine, f"plan {key}") as s:
        if s.exec(select(Plan).where(Plan.partnership_id == scope.id, Plan.key == key)).first():
            raise InputError("plan", key, "a plan with this key exists already")
        plan = Plan(partnership_id=scope.id, key=key, title=title.strip(), created_at=now)
        s.add(plan)
        s.flush()
        pv = PlanVersion(partnership_id=scope.id, plan_id=plan.id, number=1, state="draft",  # type: ignore[arg-type]
                         proposal=proposal, created_at=now, updated_at=now)
        s.add(pv)
        s.flush()
        _set_deadlines(s, scope, pv, deadlines or {}, site.clock.today())
        _audit(s, scope, pv, now, actor, "create", "plan", "", "draft")
    return pv


def edit_draft(site: Site, partnership: str | None, plan_ref: str, *, proposal: str | None = None,
               title: str | None = None, deadlines: Mapping[str, date] | None = None,
               actor: str = "", reason: str = "") -> PlanVersion:
    """Change a draft version before it is submitted: its proposal, the plan's
    title, its deadlines (e.g. the new version after KDD's principled return).

    Raises: InputError (``plan`` not a draft; empty ``proposal`` or ``title``;
    unknown ``deadline`` phase).
    """
    scope = site.scope(partnership)
    if proposal is not None and not proposal.strip():
        raise InputError("proposal", proposal, "the proposed resolution must not be empty")
    if title is not None and not title.strip():
        raise InputError("title", title, "must not be empty")
    for name, value in (("proposal", proposal), ("title", title)):
        if value is not None:
            _clean(name, value)
    now = site.clock.now()
    with unit_of_work(site.engine, f"plan {plan_ref}") as s:
        plan, pv = find_version(s, scope, plan_ref)
        if pv.state != "draft":
            raise InputError("plan", plan_ref, f"version {pv.number} is '{pv.state}'; only a draft "
                             "can be edited (open a revision with `bvflow plan revise`)")
        changed = []
        if proposal is not None and proposal != pv.proposal:
            pv.proposal = proposal
            changed.append("proposal")
        if title is not None and title.strip() != plan.title:
            plan.title = title.strip()
            changed.append("title")
        if deadlines:
            _set_deadlines(s, scope, pv, deadlines, site.clock.today())
            changed.append("deadlines")
        _touch(pv, now)
        _audit(s, scope, pv, now, actor, "edit", "plan", "draft", "draft", reason,
               changed=", ".join(changed))
        return pv


def submit_plan(site: Site, partnership: str | None, plan_ref: str, actor: str = "",
                deadlines: Mapping[str, date] | None = None) -> list[Finding]:
    """Steering group submits a draft: every party gets a case, the first phase opens.

    Returns the findings open right after submission (e.g. a municipality with
    no council meeting before the deadline — seen weeks ahead).
    Raises: TransitionNotAllowed when the version is not a draft.
    """
    scope = site.scope(partnership)
    now = site.clock.now()
    with unit_of_work(site.engine, f"plan {plan_ref}") as s:
        plan, pv = find_version(s, scope, plan_ref)
        _set_deadlines(s, scope, pv, deadlines or {}, site.clock.today())
        _fire_plan(s, scope, plan, pv, [], "submit", now, actor)
        pv.submitted_on = site.clock.today()
        cases = []
        for party_id in scope.party_ids.values():
            case = PartyCase(partnership_id=scope.id, plan_version_id=pv.id, party_id=party_id,  # type: ignore[arg-type]
                             state="waiting")
            s.add(case)
            cases.append(case)
        s.flush()
        _open_phase_cases(s, scope, pv, cases, now, actor)
        return _after(s, site, scope, pv)


def record_resolution(
    site: Site, partnership: str | None, plan_ref: str, party: str, body: str,
    meeting_date: date, outcome: str, text: str | None = None, *, as_proposed: bool = False,
    case_number: str = "", actor: str = "", source: str = "cli",
) -> RecordResult:
    """Record what ``party``'s ``body`` (a stage: formannskap, kommunestyre …) decided.

    The text is compared with the plan version's proposal (``identical`` /
    ``minor`` / ``different``); for the resolution stage anything but
    identical leaves the party ``deviating`` until the steering group accepts
    it or the body passes the text again.

    Raises:
        NotFoundError: unknown ``party`` or ``body``.
        InputError: body not on the party's path, ``outcome`` not allowed,
            empty ``text``, ``meeting_date`` in the future or before submission,
            plan version not at that stage.
        TransitionNotAllowed: the party's case is not at that stage.
    """
    scope = site.scope(partnership)
    party_id = _party(scope, party)
    _stage_for(scope, party, body, ("recommendation", "resolution"),
               f"{body} gives an approval: use `bvflow decide`")
    kind = scope.config.workflow.stages[body].kind
    if outcome not in OUTCOMES[kind]:
        raise InputError("outcome", outcome, f"use one of {', '.join(OUTCOMES[kind])}")
    if text is not None and as_proposed:
        raise InputError("text", text, "give either a text or --as-proposed, not both")
    if text is not None and not text.strip():
        raise InputError("text", text, "the resolution text is empty")
    if text is not None:
        _clean("text", text)
    needs_text = outcome in ("passed", "passed_with_amendments")
    if needs_text and text is None and not as_proposed:
        raise InputError("text", None, "give the resolution text (or --as-proposed)")
    if as_proposed and outcome == "passed_with_amendments":
        raise InputError("outcome", outcome, "an amended resolution needs its text, not --as-proposed")
    now = site.clock.now()
    with unit_of_work(site.engine, f"{party} in {plan_ref}") as s:
        plan, pv = find_version(s, scope, plan_ref)
        phase = scope.config.workflow.phase_of_stage(body)
        if phase is None or pv.state != phase.state:
            raise InputError("plan", plan_ref, f"version {pv.number} is '{pv.state}', "
                             f"not at the stage {body} (state '{phase.state if phase else '?'}')")
        _check_day("meeting_date", meeting_date, site, pv)
        case = _case_of(s, scope, pv, party, party_id)
        _check_order(s, "meeting_date", meeting_date, pv, case, phase.state)
        resolution_text = pv.proposal if as_proposed else (text or "")
        # only a passed text is compared: a postponement or rejection has no verdict
        comparison = (compare_texts(pv.proposal, resolution_text)
                      if resolution_text and needs_text else None)
        verdict = comparison.verdict if comparison else None
        if outcome == "passed_with_amendments" and verdict == "identical":
            raise InputError("outcome", outcome, "the text is identical to the proposal: "
                             "record it as passed, or give the amended text")
        if outcome == "postponed":
            result = "postponed"
        elif kind == "recommendation":
            result = "recommended"
        elif outcome == "rejected":
            result = "rejected"
        else:
            result = "identical" if verdict == "identical" else "deviating"
        _fire_case(s, scope, pv, case, "record", now, actor, stage=body, result=result,
                   outcome=outcome, source=source)
        body_id = scope.body_ids[(party, body)]
        if not s.exec(select(Meeting).where(Meeting.body_id == body_id,
                                            Meeting.meeting_date == meeting_date)).first():
            # a meeting that was held belongs in the calendar, even if nobody planned it there
            s.add(Meeting(partnership_id=scope.id, body_id=body_id, meeting_date=meeting_date,
                          source="record"))
        s.add(Resolution(
            partnership_id=scope.id, party_case_id=case.id, body_id=body_id,  # type: ignore[arg-type]
            stage=body, meeting_date=meeting_date, case_number=case_number.strip(),
            outcome=outcome, text=resolution_text, verdict=verdict,
            differences=[d.to_dict() for d in comparison.differences] if comparison else [],
            recorded_at=now, recorded_by=actor, source=source,
        ))
        cases = _cases(s, pv)
        _advance(s, scope, plan, pv, cases, now, actor)
        found = _after(s, site, scope, pv)
        return RecordResult(plan.key, pv.number, party, body, outcome, verdict, comparison,
                            case.state, pv.state, found)


def accept_equivalent(site: Site, partnership: str | None, plan_ref: str, party: str,
                      reason: str, actor: str = "") -> list[Finding]:
    """Steering group accepts ``party``'s deviating resolution as equivalent.

    Raises: InputError (empty ``reason``), TransitionNotAllowed (not deviating).
    """
    scope = site.scope(partnership)
    party_id = _party(scope, party)
    if not reason.strip():
        raise InputError("reason", reason, "say why the resolution is equivalent")
    _clean("reason", reason)
    now = site.clock.now()
    with unit_of_work(site.engine, f"{party} in {plan_ref}") as s:
        plan, pv = find_version(s, scope, plan_ref)
        case = _case_of(s, scope, pv, party, party_id)
        stage = scope.config.paths[party][-1]
        _fire_case(s, scope, pv, case, "accept_equivalent", now, actor, reason.strip(), stage=stage)
        res = s.exec(select(Resolution).where(Resolution.party_case_id == case.id)
                     .order_by(col(Resolution.id).desc())).first()
        if res is not None:
            res.accepted_reason, res.accepted_by, res.accepted_at = reason.strip(), actor, now
        _advance(s, scope, plan, pv, _cases(s, pv), now, actor)
        return _after(s, site, scope, pv)


_DECISIONS = {
    "approved": ("approved", "approve"),
    "rejected": ("rejected", None),
    "postponed": ("postponed", None),
    "returned_non_principled": ("returned", "return_non_principled"),
    "returned_principled": ("returned", "return_principled"),
}


def decide(site: Site, partnership: str | None, plan_ref: str, party: str, outcome: str,
           decided_on: date, case_number: str = "", reason: str = "", actor: str = "",
           source: str = "cli") -> PlanVersion:
    """Record an approver's decision (county, cooperation partner, KDD).

    KDD (the final approver): ``approved`` approves the plan version;
    ``returned_non_principled`` sends it back for the steering group's mandate
    (then :func:`resubmit`); ``returned_principled`` supersedes it and opens a
    new draft version (seed: the steering group's *fullmakt* covers only
    non-principled changes). Returns the plan version now current.

    Raises: NotFoundError, InputError (``outcome``, ``decided_on``), TransitionNotAllowed.
    """
    scope = site.scope(partnership)
    party_id = _party(scope, party)
    stage = scope.config.paths[party][-1]
    _stage_for(scope, party, stage, ("approval", "final_approval"),
               f"{party} passes resolutions: use `bvflow record`")
    kind = scope.config.workflow.stages[stage].kind
    if outcome not in OUTCOMES[kind]:
        raise InputError("outcome", outcome, f"use one of {', '.join(OUTCOMES[kind])}")
    result, plan_event = _DECISIONS[outcome]
    if outcome.startswith("returned") and not reason.strip():
        raise InputError("reason", reason, "say what the approver asked to change")
    _clean("reason", reason)
    _clean("case_number", case_number)
    now = site.clock.now()
    with unit_of_work(site.engine, f"{party} in {plan_ref}") as s:
        plan, pv = find_version(s, scope, plan_ref)
        phase = scope.config.workflow.phase_of_stage(stage)
        if phase is None or pv.state != phase.state:
            raise InputError("plan", plan_ref, f"version {pv.number} is '{pv.state}', "
                             f"not awaiting {party} (state '{phase.state if phase else '?'}')")
        _check_day("decided_on", decided_on, site, pv)
        case = _case_of(s, scope, pv, party, party_id)
        _check_order(s, "decided_on", decided_on, pv, case, phase.state)
        _fire_case(s, scope, pv, case, "decide", now, actor, reason, stage=stage, result=result,
                   outcome=outcome, source=source)
        s.add(Resolution(
            partnership_id=scope.id, party_case_id=case.id, body_id=scope.body_ids[(party, stage)],  # type: ignore[arg-type]
            stage=stage, meeting_date=decided_on, case_number=case_number.strip(), outcome=outcome,
            text=reason, recorded_at=now, recorded_by=actor, source=source,
        ))
        cases = _cases(s, pv)
        current = pv
        if kind == "final_approval" and plan_event:
            _fire_plan(s, scope, plan, pv, cases, plan_event, now, actor, reason)
            if plan_event == "return_principled":
                current = _new_version(s, scope, plan, pv, now, actor, "principled changes from "
                                       f"{party}: {reason}".strip())
        else:
            _advance(s, scope, plan, pv, cases, now, actor)
        _after(s, site, scope, pv)
        return current


def _new_version(s: Session, scope: Scope, plan: Plan, old: PlanVersion, now: datetime,
                 actor: str, reason: str, proposal: str | None = None) -> PlanVersion:
    pv = PlanVersion(partnership_id=scope.id, plan_id=plan.id, number=old.number + 1,  # type: ignore[arg-type]
                     state="draft", proposal=proposal or old.proposal, revises_id=old.id,
                     created_at=now, updated_at=now)
    s.add(pv)
    s.flush()
    _audit(s, scope, pv, now, actor, "create", "plan", "", "draft", reason, revises=old.number)
    return pv


def resubmit(site: Site, partnership: str | None, plan_ref: str, reason: str,
             actor: str = "") -> None:
    """Steering group resubmits a version KDD returned with non-principled
    changes, using its mandate (fullmakt) — no new round in the municipalities.

    Raises: InputError (empty ``reason``), TransitionNotAllowed (not returned).
    """
    scope = site.scope(partnership)
    if not reason.strip():
        raise InputError("reason", reason, "say which non-principled changes were made")
    _clean("reason", reason)
    now = site.clock.now()
    with unit_of_work(site.engine, f"plan {plan_ref}") as s:
        plan, pv = find_version(s, scope, plan_ref)
        cases = _cases(s, pv)
        _fire_plan(s, scope, plan, pv, cases, "resubmit", now, actor, reason.strip())
        for c in cases:
            if c.state == "returned":
                stage = scope.config.paths[scope.party_key(c.party_id)][-1]
                _fire_case(s, scope, pv, c, "resubmit", now, actor, reason.strip(), stage=stage)


def revise_plan(site: Site, partnership: str | None, plan_ref: str, actor: str = "",
                proposal: str | None = None, reason: str = "",
                deadlines: Mapping[str, date] | None = None) -> PlanVersion:
    """Open a revision: a new draft version from the newest, approved version.

    Raises: InputError (field ``plan``) when the newest version is not approved.
    """
    scope = site.scope(partnership)
    if proposal is not None and not proposal.strip():
        raise InputError("proposal", proposal, "the proposed resolution must not be empty")
    if proposal is not None:
        _clean("proposal", proposal)
    now = site.clock.now()
    with unit_of_work(site.engine, f"plan {plan_ref}") as s:
        plan, pv = find_version(s, scope, plan_ref.partition("@")[0])
        if pv.state != "approved":
            raise InputError("plan", plan_ref, f"the newest version ({pv.number}) is '{pv.state}'; "
                             "a revision starts from an approved version")
        new = _new_version(s, scope, plan, pv, now, actor, reason or "revision", proposal)
        _set_deadlines(s, scope, new, deadlines or {}, site.clock.today())
        return new


def add_meeting(site: Site, partnership: str | None, party: str, body: str, day: date,
                source: str = "cli") -> Meeting:
    """Add a planned meeting of ``party``'s ``body`` to the calendar (møteplan).

    Raises: NotFoundError, InputError (``meeting_date`` already in the calendar).
    """
    scope = site.scope(partnership)
    _party(scope, party)
    _stage_for(scope, party, body, ("recommendation", "resolution", "approval", "final_approval"), "")
    body_id = scope.body_ids[(party, body)]
    with unit_of_work(site.engine, f"calendar of {party}") as s:
        if s.exec(select(Meeting).where(Meeting.body_id == body_id, Meeting.meeting_date == day)).first():
            raise InputError("meeting_date", day.isoformat(), f"{party} {body} already meets that day")
        m = Meeting(partnership_id=scope.id, body_id=body_id, meeting_date=day, source=source)
        s.add(m)
    return m


@dataclass(frozen=True)
class ScanResult:
    """Findings open on the scanned date; how many notifications were queued
    anew, and how many pending ones were withdrawn because their finding no
    longer holds."""

    findings: list[Finding]
    queued: int
    withdrawn: int


def raise_findings(site: Site, partnership: str | None, at: date | None = None) -> ScanResult:
    """Compute the findings of every active plan version on ``at`` (default
    today), queue notifications for new ones and withdraw pending ones whose
    finding has gone. Used by the scheduler and the demo."""
    scope = site.scope(partnership)
    at = at or site.clock.today()
    if at > site.clock.today():
        raise InputError("at", at.isoformat(), "is in the future: notifications are decided on "
                         "the day; look ahead with `bvflow findings --at`")
    with unit_of_work(site.engine, f"findings of {scope.key}") as s:
        found = compute_findings(s, scope, at, language=site.config.language,
                                 missing_record_working_days=site.config.missing_record_working_days)
        new = queue_findings(s, scope, found, site.clock.now(), str(site.config.path.parent))
        gone = withdraw_stale(s, scope, found, None)
        return ScanResult(found, len(new), gone)
