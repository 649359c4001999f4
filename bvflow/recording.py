"""Recording what bodies decided: resolutions (secretaries), acceptance as
equivalent and approvers' decisions (steering group).

Each function is one unit of work (see :mod:`bvflow.services`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select

from .db import unit_of_work
from .engine import (
    advance,
    after_change,
    case_at_stage,
    case_of,
    cases_of,
    check_stage,
    clean_line,
    clean_text,
    find_version,
    fire_case,
    fire_plan,
    new_version,
    party_id_of,
)
from .errors import InputError
from .findings import Finding
from .models import Meeting, PlanVersion, Resolution
from .site import Site
from .textcompare import Comparison, compare_texts
from .workflow import OUTCOMES

__all__ = [
    "RecordResult",
    "record_resolution",
    "accept_equivalent",
    "decide"
]

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


def record_resolution(
    site: Site, partnership: str | None, plan_ref: str, party: str, body: str,
    meeting_date: date, outcome: str, text: str | None = None, *, as_proposed: bool = False,
    case_number: str = "", actor: str = "", source: str = "cli",
    import_key: str | None = None, meeting_external_id: str | None = None,
) -> RecordResult:
    """Record what ``party``'s ``body`` (a stage: formannskap, kommunestyre …) decided.

    The text is compared with the plan version's proposal (``identical`` /
    ``minor`` / ``different``); for the resolution stage anything but
    identical leaves the party ``deviating`` until the steering group accepts
    it or the body passes the text again.

    ``import_key``: the fingerprint of an imported message (unique per
    partnership: the same message is never recorded twice); ``meeting_external_id``:
    the case system's id of the meeting, remembered in the calendar.

    Raises:
        NotFoundError: unknown ``party`` or ``body``.
        InputError: body not on the party's path, ``outcome`` not allowed,
            empty ``text``, ``meeting_date`` in the future or before submission,
            plan version not at that stage.
        TransitionNotAllowed: the party's case is not at that stage.
    """
    scope = site.scope(partnership)
    party_id = party_id_of(scope, party)
    check_stage(scope, party, body, ("recommendation", "resolution"),
               f"{body} gives an approval: use `bvflow decide`")
    kind = scope.config.workflow.stages[body].kind
    if outcome not in OUTCOMES[kind]:
        raise InputError("outcome", outcome, f"use one of {', '.join(OUTCOMES[kind])}")
    if text is not None and as_proposed:
        raise InputError("text", text, "give either a text or --as-proposed, not both")
    if text is not None and not text.strip():
        raise InputError("text", text, "the resolution text is empty")
    if text is not None:
        clean_text("text", text)
    clean_line("case_number", case_number)
    needs_text = outcome in ("passed", "passed_with_amendments")
    if needs_text and text is None and not as_proposed:
        raise InputError("text", None, "give the resolution text (or --as-proposed)")
    if as_proposed and outcome == "passed_with_amendments":
        raise InputError("outcome", outcome, "an amended resolution needs its text, not --as-proposed")
    now = site.clock.now()
    with unit_of_work(site.engine, f"{party} in {plan_ref}") as s:
        plan, pv, case = case_at_stage(s, site, scope, plan_ref, party, party_id, body,
                                       "meeting_date", meeting_date)
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
        fire_case(s, scope, pv, case, "record", now, actor, stage=body, result=result,
                   outcome=outcome, source=source)
        body_id = scope.body_ids[(party, body)]
        meeting = s.exec(select(Meeting).where(Meeting.body_id == body_id,
                                               Meeting.meeting_date == meeting_date)).first()
        if meeting is None:
            # a meeting that was held belongs in the calendar, even if nobody planned it there
            meeting = Meeting(partnership_id=scope.id, body_id=body_id, meeting_date=meeting_date,
                              source="record")
            s.add(meeting)
        if meeting_external_id and not meeting.external_id and not s.exec(
                select(Meeting.id).where(Meeting.body_id == body_id,
                                         Meeting.external_id == meeting_external_id)).first():
            meeting.external_id = meeting_external_id  # the case system's id of that meeting
        s.add(Resolution(
            partnership_id=scope.id, party_case_id=case.id, body_id=body_id,  # type: ignore[arg-type]
            stage=body, meeting_date=meeting_date, case_number=case_number.strip(),
            outcome=outcome, text=resolution_text, verdict=verdict,
            differences=[d.to_dict() for d in comparison.differences] if comparison else [],
            recorded_at=now, recorded_by=actor, source=source, import_key=import_key,
        ))
        cases = cases_of(s, pv)
        advance(s, scope, plan, pv, cases, now, actor)
        found = after_change(s, site, scope, pv)
        return RecordResult(plan.key, pv.number, party, body, outcome, verdict, comparison,
                            case.state, pv.state, found)


def accept_equivalent(site: Site, partnership: str | None, plan_ref: str, party: str,
                      reason: str, actor: str = "") -> list[Finding]:
    """Steering group accepts ``party``'s deviating resolution as equivalent.

    Raises: InputError (empty ``reason``), TransitionNotAllowed (not deviating).
    """
    scope = site.scope(partnership)
    party_id = party_id_of(scope, party)
    if not reason.strip():
        raise InputError("reason", reason, "say why the resolution is equivalent")
    clean_text("reason", reason)
    now = site.clock.now()
    with unit_of_work(site.engine, f"{party} in {plan_ref}") as s:
        plan, pv = find_version(s, scope, plan_ref)
        case = case_of(s, scope, pv, party, party_id)
        stage = scope.config.paths[party][-1]
        fire_case(s, scope, pv, case, "accept_equivalent", now, actor, reason.strip(), stage=stage)
        res = s.exec(select(Resolution).where(Resolution.party_case_id == case.id)
                     .order_by(col(Resolution.id).desc())).first()
        if res is not None:
            res.accepted_reason, res.accepted_by, res.accepted_at = reason.strip(), actor, now
        advance(s, scope, plan, pv, cases_of(s, pv), now, actor)
        return after_change(s, site, scope, pv)


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
    party_id = party_id_of(scope, party)
    stage = scope.config.paths[party][-1]
    check_stage(scope, party, stage, ("approval", "final_approval"),
               f"{party} passes resolutions: use `bvflow record`")
    kind = scope.config.workflow.stages[stage].kind
    if outcome not in OUTCOMES[kind]:
        raise InputError("outcome", outcome, f"use one of {', '.join(OUTCOMES[kind])}")
    result, plan_event = _DECISIONS[outcome]
    if outcome.startswith("returned") and not reason.strip():
        raise InputError("reason", reason, "say what the approver asked to change")
    clean_text("reason", reason)
    clean_line("case_number", case_number)
    now = site.clock.now()
    with unit_of_work(site.engine, f"{party} in {plan_ref}") as s:
        plan, pv, case = case_at_stage(s, site, scope, plan_ref, party, party_id, stage,
                                       "decided_on", decided_on)
        fire_case(s, scope, pv, case, "decide", now, actor, reason, stage=stage, result=result,
                   outcome=outcome, source=source)
        s.add(Resolution(
            partnership_id=scope.id, party_case_id=case.id, body_id=scope.body_ids[(party, stage)],  # type: ignore[arg-type]
            stage=stage, meeting_date=decided_on, case_number=case_number.strip(), outcome=outcome,
            text=reason, recorded_at=now, recorded_by=actor, source=source,
        ))
        cases = cases_of(s, pv)
        current = pv
        if kind == "final_approval" and plan_event:
            fire_plan(s, scope, plan, pv, cases, plan_event, now, actor, reason)
            if plan_event == "return_principled":
                current = new_version(s, scope, plan, pv, now, actor, "principled changes from "
                                       f"{party}: {reason}".strip())
        else:
            advance(s, scope, plan, pv, cases, now, actor)
        after_change(s, site, scope, pv)
        return current
