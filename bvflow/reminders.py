"""Reminder rules: what to tell whom at a given moment, computed from stored state.

Rules (``[reminders]`` in a partnership file; issue "The annual wheel,
reminders …"):

* **before a deadline** — each party of the current phase that has not passed
  the plan is reminded ``before_deadline`` working days (default 10, 5, 2)
  before its phase deadline; after downtime only the nearest threshold passed
  is sent, not a burst of old ones;
* **alerts** — every out-of-step finding, to the party and the steering group
  (queued by :mod:`bvflow.notify` as soon as the finding appears);
* **escalation** — when an alert has had no effect (the finding still holds)
  after ``escalate_after`` working days, to the steering group;
* **weekly digest** — on ``digest_weekday``, where everything stands, to the
  steering group, labelled with the ISO week (``%G-W%V``, PITFALLS R3).

Nothing here depends on a job having run before: every call recomputes what
is due from the database, the calendars and the deadlines, and the outbox's
unique keys make a rerun, a restart or a second process add nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from .clock import OSLO
from .db import unit_of_work
from .findings import FINDING_KINDS, Finding, compute_findings
from .messages import fmt_date
from .models import Deadline, Meeting, OutboxMessage, PartyCase, Plan, PlanVersion
from .notify import Notice, finding_notice, queue_notices, withdraw_stale
from .sendwindow import local_instant, parse_window
from .site import Scope, Site
from .workdays import add_working_days, working_days_between

__all__ = [
    "Queued", "describe", "digest_notice", "escalation_notices", "reminder_notices", "run_reminders",
]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Queued:
    """A notification decided on by :func:`run_reminders`: kind, recipient,
    subject, and when it goes out (``due_at``, UTC)."""

    kind: str
    recipient: str
    subject: str
    due_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "recipient": self.recipient, "subject": self.subject,
                "due_at": self.due_at.isoformat()}


def reminder_notices(s: Session, scope: Scope, today: date) -> list[Notice]:
    """Deadline reminders due on ``today`` (Oslo) for every open party."""
    wf = scope.config.workflow
    rules = sorted(set(scope.config.reminders.before_deadline))
    if not rules:
        return []
    start, end = parse_window(scope.config.reminders.send_window)
    phases = {p.state: p for p in wf.phases}
    rows = s.exec(select(PlanVersion, Plan.key).join(Plan, col(Plan.id) == PlanVersion.plan_id).where(
        PlanVersion.partnership_id == scope.id, col(PlanVersion.state).in_(list(phases)))).all()
    ids = [pv.id for pv, _ in rows]
    deadlines = {(d.plan_version_id, d.phase): d.due_date
                 for d in s.exec(select(Deadline).where(col(Deadline.plan_version_id).in_(ids)))}
    cases = s.exec(select(PartyCase).where(col(PartyCase.plan_version_id).in_(ids))).all()
    upcoming: dict[int, date] = {}
    for m in s.exec(select(Meeting).where(Meeting.partnership_id == scope.id,
                                          Meeting.meeting_date >= today)
                    .order_by(col(Meeting.meeting_date).desc())):
        upcoming[m.body_id] = m.meeting_date
    by_pv: dict[int, list[PartyCase]] = defaultdict(list)
    for c in cases:
        by_pv[c.plan_version_id].append(c)
    names = {p.key: p.name for p in scope.config.parties}
    out: list[Notice] = []
    for pv, plan_key in rows:
        phase = phases[pv.state]
        due = deadlines.get((pv.id, phase.name))  # type: ignore[arg-type]
        if due is None or today > due:
            continue
        passed = [n for n in rules if add_working_days(due, -n) <= today]
        if not passed:
            continue
        n = min(passed)
        for case in by_pv[pv.id]:  # type: ignore[index]
            party = scope.party_key(case.party_id)
            path = scope.config.paths.get(party, ())
            if case.state in ("passed", "waiting", "returned") or not path or path[0] not in phase.stages:
                continue
            stage = case.state if case.state in path else path[-1]
            body = scope.body_ids.get((party, stage))
            nxt = upcoming.get(body) if body else None

            def values(lang: str, *, _stage: str = stage, _nxt: date | None = nxt, _party: str = party,
                       _pv: PlanVersion = pv, _key: str = plan_key, _due: date = due,
                       _phase: str = phase.title,
                       _identical: bool = wf.stages[path[-1]].kind == "resolution") -> dict[str, Any]:
                return {"plan": _key, "version": _pv.number, "party": names[_party],
                        "phase": _phase, "deadline": fmt_date(_due, lang),
                        "days": working_days_between(today, _due),
                        "waiting_on": wf.stages[_stage].title,
                        "identical_required": _identical,
                        "next_meeting": fmt_date(_nxt, lang) if _nxt else "–"}

            out.append(Notice(
                kind="reminder", key=f"{pv.id}:{party}:reminder-{n}:{due.isoformat()}",
                concerns=(party,), values=values, plan_version_id=pv.id, party=party,
                due_at=local_instant(add_working_days(due, -n), start),
                latest_at=local_instant(due, end),
            ))
    return out


def escalation_notices(s: Session, scope: Scope, today: date, findings: list[Finding]) -> list[Notice]:
    """Escalations to the steering group for findings whose first alert is
    ``escalate_after`` working days old or more and that still hold."""
    after = scope.config.reminders.escalate_after
    if not findings:
        return []
    first: dict[str, datetime] = {}
    for key, created in s.exec(
        select(OutboxMessage.dedupe_key, OutboxMessage.created_at).where(
            OutboxMessage.partnership_id == scope.id, col(OutboxMessage.kind).in_(FINDING_KINDS),
            col(OutboxMessage.status).in_(["pending", "sent"]))
    ):
        prefix = key[: key.rindex(":")]
        if prefix not in first or created < first[prefix]:
            first[prefix] = created
    out = []
    for f in findings:
        alert = finding_notice(scope, f)
        created = first.get(alert.key)
        if created is None:
            continue
        since = created.astimezone(OSLO).date()
        if working_days_between(since, today) < after:
            continue

        def values(lang: str, *, _f: Finding = f, _since: date = since) -> dict[str, Any]:
            base = finding_notice(scope, _f).values(lang)
            return base | {"since": fmt_date(_since, lang),
                           "working_days": working_days_between(_since, today)}

        out.append(Notice(kind="escalation", key=f"{f.plan_version_id}:{f.party}:escalation:"
                          f"{f.kind}:{f.key_date.isoformat()}", concerns=("steering_group",),
                          values=values, plan_version_id=f.plan_version_id, party=f.party,
                          severity=f.severity))
    return out


def digest_notice(scope: Scope, today: date, status_text: str) -> Notice | None:
    """The weekly digest on the configured weekday, keyed by ISO week."""
    if _WEEKDAYS[today.weekday()] != scope.config.reminders.digest_weekday:
        return None
    week = f"{today:%G-W%V}"
    start, _ = parse_window(scope.config.reminders.send_window)

    def values(lang: str) -> dict[str, Any]:
        return {"week": week, "date": fmt_date(today, lang), "status": status_text}

    return Notice(kind="digest", key=f"digest:{week}", concerns=("steering_group",), values=values,
                  due_at=local_instant(today, start))


class _DryRun(Exception):
    pass


def run_reminders(site: Site, partnership: str | None, now: datetime | None = None, *,
                  dry_run: bool = False) -> tuple[list[Queued], int]:
    """Decide every notification due at ``now`` (default the clock's now) for
    one partnership, in one transaction: findings' alerts (and withdrawals of
    solved ones), deadline reminders, escalations, the weekly digest.

    Returns (what was queued anew, how many pending alerts were withdrawn).
    With ``dry_run`` nothing is stored: the same answer, then a rollback.
    """
    from .queries import status  # noqa: PLC0415 - queries builds on services, which imports us
    from .render import render_status  # noqa: PLC0415

    scope = site.scope(partnership)
    now = now or site.clock.now()
    today = now.astimezone(OSLO).date()
    site_dir = str(site.config.path.parent)
    digest_text = ""
    if _WEEKDAYS[today.weekday()] == scope.config.reminders.digest_weekday:
        active = [v for v in status(site, scope.key, at=today) if v.state != "superseded"]
        digest_text = render_status(active, scope.config.workflow, site.config.language)
    result: list[Queued] = []
    withdrawn = 0
    try:
        with unit_of_work(site.engine, f"reminders of {scope.key}", immediate=True) as s:
            found = compute_findings(
                s, scope, today, language=site.config.language,
                missing_record_working_days=site.config.missing_record_working_days)
            notices = [finding_notice(scope, f) for f in found]
            notices += reminder_notices(s, scope, today)
            notices += escalation_notices(s, scope, today, found)
            digest = digest_notice(scope, today, digest_text)
            if digest is not None:
                notices.append(digest)
            new = queue_notices(s, scope, notices, now, site_dir)
            withdrawn = withdraw_stale(s, scope, found, None)
            result = [Queued(m.kind, m.recipient, m.subject, m.due_at) for m in new]
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result, withdrawn


def describe(q: Queued, lang: str = "nn") -> str:
    """One line for ``bvflow remind``."""
    return f"{q.due_at.astimezone(OSLO):%Y-%m-%d %H:%M}  {q.kind:<26} {q.recipient:<36} {q.subject}"

