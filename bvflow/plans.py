"""Plan lifecycle: create, edit, submit, resubmit, revise; calendars; the daily scan.

Each function is one unit of work (see :mod:`bvflow.services`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from .content import check_submission
from .db import unit_of_work
from .engine import (
    PLAN_KEY,
    after_change,
    audit,
    case_of,
    cases_of,
    check_span,
    check_stage,
    clean_line,
    clean_text,
    find_version,
    fire_case,
    fire_plan,
    new_version,
    open_phase_cases,
    party_id_of,
    set_deadlines,
    touch,
)
from .errors import InputError
from .findings import Finding, compute_findings
from .models import Meeting, PartyCase, Plan, PlanVersion
from .notify import queue_findings, withdraw_stale
from .site import Site

__all__ = [
    "register_case",
    "create_plan",
    "edit_draft",
    "submit_plan",
    "resubmit",
    "revise_plan",
    "add_meeting",
    "ScanResult",
    "raise_findings"
]

def create_plan(site: Site, partnership: str | None, key: str, title: str, proposal: str,
                deadlines: Mapping[str, date] | None = None, actor: str = "") -> PlanVersion:
    """Create plan ``key`` with version 1 in ``draft``.

    Args:
        proposal: the proposed resolution (framlegg til vedtak); resolutions are compared with it.
        deadlines: phase name → Oslo date by which that phase must be complete.
    Raises: InputError (fields ``plan``, ``title``, ``proposal``, ``deadline``).
    """
    scope = site.scope(partnership)
    if not PLAN_KEY.fullmatch(key):
        raise InputError("plan", key, "use lower-case letters, digits, '-', '_' or '.', e.g. "
                         "handlingsplan-2025")
    if not title.strip():
        raise InputError("title", title, "must not be empty")
    if not proposal.strip():
        raise InputError("proposal", proposal, "the proposed resolution must not be empty")
    clean_text("proposal", proposal)
    clean_text("title", title)
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
        set_deadlines(s, scope, pv, deadlines or {}, site.clock.today())
        audit(s, scope, pv, now, actor, "create", "plan", "", "draft")
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
            clean_text(name, value)
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
            set_deadlines(s, scope, pv, deadlines, site.clock.today())
            changed.append("deadlines")
        touch(pv, now)
        audit(s, scope, pv, now, actor, "edit", "plan", "draft", "draft", reason,
               changed=", ".join(changed))
        return pv


def submit_plan(site: Site, partnership: str | None, plan_ref: str, actor: str = "",
                deadlines: Mapping[str, date] | None = None) -> list[Finding]:
    """Steering group submits a draft: every party gets a case, the first phase opens.

    Returns the findings open right after submission (e.g. a municipality with
    no council meeting before the deadline — seen weeks ahead).
    Raises: TransitionNotAllowed when the version is not a draft;
    ContentRefused (an InputError, field ``content``) when its content has
    errors (:mod:`bvflow.contentchecks`) — nothing is stored.
    """
    scope = site.scope(partnership)
    now = site.clock.now()
    with unit_of_work(site.engine, f"plan {plan_ref}") as s:
        plan, pv = find_version(s, scope, plan_ref)
        if pv.state == "draft":  # the content checks (sub-goals, money, revision account)
            check_submission(s, plan, pv, site.config.language)
        set_deadlines(s, scope, pv, deadlines or {}, site.clock.today())
        fire_plan(s, scope, plan, pv, [], "submit", now, actor)
        pv.submitted_on = site.clock.today()
        cases = []
        for party_id in scope.party_ids.values():
            case = PartyCase(partnership_id=scope.id, plan_version_id=pv.id, party_id=party_id,  # type: ignore[arg-type]
                             state="waiting")
            s.add(case)
            cases.append(case)
        s.flush()
        open_phase_cases(s, scope, pv, cases, now, actor)
        return after_change(s, site, scope, pv)


def resubmit(site: Site, partnership: str | None, plan_ref: str, reason: str,
             actor: str = "") -> None:
    """Steering group resubmits a version KDD returned with non-principled
    changes, using its mandate (fullmakt) — no new round in the municipalities.

    Raises: InputError (empty ``reason``), TransitionNotAllowed (not returned).
    """
    scope = site.scope(partnership)
    if not reason.strip():
        raise InputError("reason", reason, "say which non-principled changes were made")
    clean_text("reason", reason)
    now = site.clock.now()
    with unit_of_work(site.engine, f"plan {plan_ref}") as s:
        plan, pv = find_version(s, scope, plan_ref)
        cases = cases_of(s, pv)
        fire_plan(s, scope, plan, pv, cases, "resubmit", now, actor, reason.strip())
        for c in cases:
            if c.state == "returned":
                stage = scope.config.paths[scope.party_key(c.party_id)][-1]
                fire_case(s, scope, pv, c, "resubmit", now, actor, reason.strip(), stage=stage)


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
        clean_text("proposal", proposal)
    now = site.clock.now()
    with unit_of_work(site.engine, f"plan {plan_ref}") as s:
        plan, pv = find_version(s, scope, plan_ref.partition("@")[0])
        if pv.state != "approved":
            raise InputError("plan", plan_ref, f"the newest version ({pv.number}) is '{pv.state}'; "
                             "a revision starts from an approved version")
        new = new_version(s, scope, plan, pv, now, actor, reason or "revision", proposal)
        set_deadlines(s, scope, new, deadlines or {}, site.clock.today())
        return new


def add_meeting(site: Site, partnership: str | None, party: str, body: str, day: date,
                source: str = "cli") -> Meeting:
    """Add a planned meeting of ``party``'s ``body`` to the calendar (møteplan).

    Raises: NotFoundError, InputError (``meeting_date`` already in the calendar).
    """
    scope = site.scope(partnership)
    party_id_of(scope, party)
    check_stage(scope, party, body, ("recommendation", "resolution", "approval", "final_approval"), "")
    body_id = scope.body_ids[(party, body)]
    with unit_of_work(site.engine, f"calendar of {party}") as s:
        check_span("meeting_date", day)
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


def register_case(site: Site, partnership: str | None, plan_ref: str, party: str, *,
                  case_number: str | None = None, external_key: str | None = None,
                  actor: str = "") -> None:
    """Register ``party``'s own case for a submitted plan version: its case
    number (``PS 2025/34``) and/or its case system's external key, so that a
    resolution arriving from that system (KS Fiks) finds this version.

    Raises: InputError (nothing to register; a value in use by another version
    for the same party), NotFoundError (unknown party/plan).
    """
    scope = site.scope(partnership)
    pid = party_id_of(scope, party)
    values = {k: v.strip() for k, v in (("case_number", case_number),
                                        ("external_key", external_key)) if v and v.strip()}
    if not values:
        raise InputError("case_number", case_number, "give a case number or an external key")
    for k, v in values.items():
        clean_line(k, v)
    now = site.clock.now()
    with unit_of_work(site.engine, f"{party} in {plan_ref}") as s:
        _, pv = find_version(s, scope, plan_ref)
        case = case_of(s, scope, pv, party, pid)
        for k, v in values.items():
            other = s.exec(select(PartyCase).where(PartyCase.party_id == pid, PartyCase.id != case.id,
                                                   getattr(PartyCase, k) == v)).first()
            if other is not None:
                raise InputError(k, v, f"is registered for another plan version of {party}")
            setattr(case, k, v)
        touch(pv, now)
        audit(s, scope, pv, now, actor, "register", "case", case.state, case.state,
              party_id=pid, **values)
