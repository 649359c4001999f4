"""The notification outbox: deciding what to tell whom, in the same transaction.

Findings become :class:`~bvflow.models.OutboxMessage` rows, one per finding and
recipient, rendered from the Jinja2 templates in ``notifications/<lang>/``.
The dedupe key (plan version, party, kind, key date, recipient) is unique per
partnership (PITFALLS R5), so computing the same findings again adds nothing.
Delivery (SMTP or a folder of ``.eml`` files) reads the outbox later and never
runs inside a database transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    select_autoescape,
)
from sqlmodel import Session, col, select

from .config import Contact
from .defaults import default_path
from .errors import DeliveryError
from .findings import Finding
from .messages import fmt_date, text
from .models import OutboxMessage
from .sendwindow import send_slot
from .site import Scope

__all__ = [
    "Notice", "check_templates", "finding_notice", "queue_findings", "queue_notices", "recipients_for",
    "template_environment", "withdraw_stale",
]


@lru_cache(maxsize=8)
def template_environment(site_dir: str | None) -> Environment:
    """Jinja2 environment over ``<site_dir>/notifications`` then the defaults.

    ``StrictUndefined`` (J2); autoescape only for ``.html``/``.html.j2`` (J1).
    """
    paths = []
    if site_dir:
        local = Path(site_dir) / "notifications"
        if local.is_dir():
            paths.append(str(local))
    paths.append(str(default_path("notifications")))
    return Environment(
        loader=FileSystemLoader(paths),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2", "htm"),
                                     default_for_string=False, default=False),
        keep_trailing_newline=True,
    )


def recipients_for(scope: Scope, concerns: Iterable[str]) -> list[Contact]:
    """Contacts of the parties and groups a finding concerns, without duplicates."""
    seen: dict[str, Contact] = {}
    for who in concerns:
        if who == "steering_group":
            contacts = scope.config.steering_group.contacts
        else:
            party = scope.config.party(who)
            contacts = party.contacts if party else []
        for c in contacts:
            seen.setdefault(c.email.lower(), c)
    return list(seen.values())


def _render(env: Environment, lang: str, kind: str, values: dict[str, object]) -> tuple[str, str, str]:
    """(subject, text, html) of template ``kind`` in ``lang``; html is "" when
    the language has no ``.html.j2`` for it."""
    try:
        subject = env.get_template(f"{lang}/{kind}.subject.j2").render(values)
        body = env.get_template(f"{lang}/{kind}.txt.j2").render(values)
        try:
            html_template = env.get_template(f"{lang}/{kind}.html.j2")
        except TemplateNotFound:
            html = ""
        else:
            html = html_template.render(values)
    except TemplateError as exc:
        raise DeliveryError(f"template {lang}/{kind}: {exc}") from exc
    return " ".join(subject.split()), body, html


@dataclass(frozen=True)
class Notice:
    """Something to tell people, before it is addressed and rendered.

    ``key`` identifies it (the recipient is added for the dedupe key);
    ``values(lang)`` gives the template variables in a recipient's language
    (``recipient`` and ``partnership`` are added); ``due_at``/``latest_at`` are
    UTC instants (None: now / no limit) and are moved into the send window.
    """

    kind: str
    key: str
    concerns: tuple[str, ...]
    values: Callable[[str], dict[str, object]]
    plan_version_id: int | None = None
    party: str | None = None
    severity: str = ""
    due_at: datetime | None = None
    latest_at: datetime | None = None


def queue_notices(session: Session, scope: Scope, notices: Iterable[Notice], now: datetime,
                  site_dir: str | None) -> list[OutboxMessage]:
    """Add an outbox row per notice and recipient not yet queued (dedupe key
    ``<key>:<email>``); return the new rows. Runs in the caller's transaction.

    Raises: DeliveryError when a template fails (nothing is queued then).
    """
    notices = list(notices)
    if not notices:
        return []
    env = template_environment(site_dir)
    window = scope.config.reminders.send_window
    wanted: dict[str, tuple[Notice, Contact]] = {}
    for n in notices:
        for c in recipients_for(scope, n.concerns):
            wanted[f"{n.key}:{c.email.lower()}"] = (n, c)
    existing = set(session.exec(
        select(OutboxMessage.dedupe_key).where(
            OutboxMessage.partnership_id == scope.id,
            col(OutboxMessage.dedupe_key).in_(list(wanted)),
        )
    ))
    new: list[OutboxMessage] = []
    for key, (n, c) in wanted.items():
        if key in existing:
            continue
        values = {"recipient": c.name, "partnership": scope.config.name, **n.values(c.language)}
        subject, body, html = _render(env, c.language, n.kind if n.kind in _TEMPLATES else "finding",
                                      values)
        due = send_slot(max(n.due_at or now, now), window, n.latest_at)
        msg = OutboxMessage(
            partnership_id=scope.id, plan_version_id=n.plan_version_id,
            party_id=scope.party_ids.get(n.party) if n.party else None, kind=n.kind,
            severity=n.severity, dedupe_key=key, recipient=c.email, recipient_name=c.name,
            language=c.language, subject=subject, body_text=body, body_html=html,
            created_at=now, due_at=due, latest_at=n.latest_at,
        )
        session.add(msg)
        new.append(msg)
    return new


#: Templates other than "finding" (every finding kind uses "finding").
_TEMPLATES = {"reminder", "escalation", "digest", "revision_opened"}


def finding_notice(scope: Scope, f: Finding) -> Notice:
    """The alert for a finding: to the party and the steering group."""
    party_names = {p.key: p.name for p in scope.config.parties}

    def values(lang: str) -> dict[str, object]:
        return {
            "plan": f.plan, "version": f.version, "party": party_names.get(f.party, f.party),
            "kind": f.kind, "kind_label": text(lang, f"kind.{f.kind}"),
            "severity": f.severity, "severity_label": text(lang, f"severity.{f.severity}"),
            "message": f.message_in(lang), "date": fmt_date(f.key_date, lang),
        }

    return Notice(kind=f.kind, key=f"{f.plan_version_id}:{f.party}:{f.kind}:{f.key_date.isoformat()}",
                  concerns=f.concerns, values=values, plan_version_id=f.plan_version_id,
                  party=f.party, severity=f.severity)


def queue_findings(
    session: Session, scope: Scope, findings: Iterable[Finding], now: datetime, site_dir: str | None
) -> list[OutboxMessage]:
    """Add outbox rows for findings not yet queued; return the new rows.

    Runs inside the caller's transaction (the state change that caused the
    findings commits with them).
    """
    return queue_notices(session, scope, [finding_notice(scope, f) for f in findings], now, site_dir)


def withdraw_stale(session: Session, scope: Scope, findings: Iterable[Finding],
                   plan_version_ids: list[int] | None) -> int:
    """Mark pending notifications ``withdrawn`` when what they are about has
    gone: an alert or escalation whose finding no longer holds, a reminder to a
    party that has passed the plan (or a plan that moved on), so no one is
    told about a solved problem. Limited to ``plan_version_ids``
    when given. Returns how many were withdrawn."""
    from .findings import FINDING_KINDS
    from .models import PartyCase, PlanVersion

    live = {f"{f.plan_version_id}:{f.party}:{f.kind}:{f.key_date.isoformat()}" for f in findings}
    q = select(OutboxMessage).where(OutboxMessage.partnership_id == scope.id,
                                    OutboxMessage.status == "pending",
                                    col(OutboxMessage.kind).in_([*FINDING_KINDS, "escalation", "reminder"]))
    if plan_version_ids is not None:
        q = q.where(col(OutboxMessage.plan_version_id).in_(plan_version_ids))
    pending = list(session.exec(q))
    phase_states = {p.state for p in scope.config.workflow.phases}
    ids = {m.plan_version_id for m in pending if m.kind == "reminder"}
    open_cases = {
        (c.plan_version_id, c.party_id)
        for c, state in session.exec(
            select(PartyCase, PlanVersion.state)
            .join(PlanVersion, col(PlanVersion.id) == PartyCase.plan_version_id)
            .where(col(PartyCase.plan_version_id).in_(ids)))
        if state in phase_states and c.state not in ("passed", "returned", "waiting")
    } if ids else set()
    n = 0
    for msg in pending:
        parts = msg.dedupe_key.split(":")
        if msg.kind == "reminder":
            still = (msg.plan_version_id, msg.party_id) in open_cases
        elif msg.kind == "escalation":  # "<pv>:<party>:escalation:<kind>:<date>:<email>"
            still = ":".join([parts[0], parts[1], parts[3], parts[4]]) in live
        else:
            still = ":".join(parts[:4]) in live
        if not still:
            msg.status = "withdrawn"
            n += 1
    return n


#: Every variable a shipped template may use, with a sample value.
_SAMPLE = {
    "recipient": "Kari Nordmann", "partnership": "Bygdevekst", "plan": "handlingsplan-2025",
    "version": 1, "party": "Seljord kommune", "kind": "missing_record", "kind_label": "vedtak manglar",
    "severity": "warning", "severity_label": "åtvaring", "message": "…", "date": "2. mai 2025",
    "deadline": "20. juni 2025", "days": 5, "phase": "Kommunane", "waiting_on": "Kommunestyre",
    "next_meeting": "5. juni 2025", "since": "2. mai 2025", "working_days": 5, "week": "2025-W19",
    "status": "…", "revision": "haust", "deadlines": "Kommunane 14. november 2025",
    "identical_required": True,
}


def check_templates(site_dir: str | None) -> int:
    """Render every message kind in every language once, so that a broken or
    incomplete template fails at start-up rather than as a blank mail
    (case mail-template-01). Returns the number of templates rendered.

    Raises: DeliveryError naming the template.
    """
    env = template_environment(site_dir)
    n = 0
    for lang in ("nn", "nb", "en"):
        for kind in ("finding", *_TEMPLATES):
            _render(env, lang, kind, _SAMPLE)
            n += 1
    return n
