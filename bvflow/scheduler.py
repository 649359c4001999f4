"""The scheduler: one process at a time runs the wheel, the reminders and delivery.

Design (PITFALLS A1–A7, R5):

* The database is the source of truth. APScheduler 3.x runs a single job,
  ``bvflow-tick``, on an *interval* trigger (no cron, so no DST fault), kept in
  memory and added at start-up with a stable id and ``replace_existing`` — no
  pickled job, nothing to lose or double on restart; its function is a textual
  reference with a primitive argument (the config path).
* Each tick first takes the database lease (``SchedulerLease``); only the holder
  works, so several processes (or web workers) never run it twice.
* The *daily run* — open revisions from the wheel, compute findings,
  reminders, escalations and the digest — happens once per local day, at the
  first tick at or after ``daily_at`` Europe/Oslo, keyed by the local date in
  ``JobRun``. A day's run is neither skipped nor doubled by a DST switch: its
  instant is computed per local date (a time in the spring gap is read with
  the offset before the switch; a repeated autumn time is its first
  occurrence). A run missed while the service was down is done at the first
  tick after the restart.
* Delivery runs at every tick, outside any database transaction.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .clock import OSLO, Clock, SystemClock
from .db import unit_of_work
from .errors import BvflowError, ConflictError
from .models import AuditRecord, JobRun, Plan, PlanVersion, SchedulerLease
from .notify import Notice, queue_notices
from .plans import revise_plan
from .reminders import run_reminders
from .sendwindow import local_instant, send_slot
from .site import Site
from .wheel import month_day, revision_deadlines

__all__ = ["TickReport", "acquire_lease", "daily_due", "open_due_revisions", "serve", "tick"]

log = logging.getLogger("bvflow.scheduler")
JOB_ID = "bvflow-tick"
LEASE = "scheduler"


@dataclass
class TickReport:
    """What one tick did. ``ran`` is False when another process holds the lease."""

    ran: bool
    daily: list[str] = field(default_factory=list)  # partnerships whose daily run happened
    revisions: list[str] = field(default_factory=list)  # "partnership:plan@N" opened
    queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def acquire_lease(site: Site, holder: str, now: datetime, ttl: timedelta = timedelta(minutes=10)) -> bool:
    """Take or renew the scheduler lease for ``holder`` until ``now + ttl``.

    Returns False while another holder's lease has not expired.
    """
    try:
        with unit_of_work(site.engine, "the scheduler lease", immediate=True) as s:
            q = select(SchedulerLease).where(SchedulerLease.name == LEASE)
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update()
            lease = s.exec(q).first()
            if lease is None:
                s.add(SchedulerLease(name=LEASE, holder=holder, expires_at=now + ttl))
                return True
            if lease.holder != holder and lease.expires_at > now:
                return False
            lease.holder, lease.expires_at = holder, now + ttl
            return True
    except (ConflictError, IntegrityError):
        return False


def daily_due(day: date, at: time) -> datetime:
    """The UTC instant of the daily run of local ``day`` at local ``at``."""
    return local_instant(day, at)


def _has_plans(site: Site, partnership_id: int) -> bool:
    with Session(site.engine) as s:
        return s.exec(select(Plan.id).where(Plan.partnership_id == partnership_id)).first() is not None


def _done(site: Site, partnership_id: int, job: str, key: str) -> bool:
    with Session(site.engine) as s:
        return s.exec(select(JobRun).where(JobRun.partnership_id == partnership_id, JobRun.job == job,
                                           JobRun.run_key == key)).first() is not None


def _claim(site: Site, partnership_id: int, job: str, key: str, now: datetime) -> bool:
    """Record that ``job`` ran for ``key``; False if it already had."""
    try:
        with unit_of_work(site.engine, f"{job} {key}", immediate=True) as s:
            if s.exec(select(JobRun).where(JobRun.partnership_id == partnership_id,
                                           JobRun.job == job, JobRun.run_key == key)).first():
                return False
            s.add(JobRun(partnership_id=partnership_id, job=job, run_key=key, done_at=now))
            return True
    except ConflictError:
        return False


def open_due_revisions(site: Site, partnership: str | None, today: date, now: datetime) -> list[str]:
    """Open every wheel revision whose opening day has come (within the last
    30 days, for catch-up): for each plan whose newest version was approved
    before that day, a new draft version with the revision's deadlines, and a
    notice to the steering group. Once per plan and opening (``JobRun``)."""
    scope = site.scope(partnership)
    opened: list[str] = []
    for rev in scope.config.wheel.revisions:
        for year in (today.year - 1, today.year):
            opens = month_day(rev.opens, year)
            if not (today - timedelta(days=30) <= opens <= today):
                continue
            with Session(site.engine) as s:
                rows = s.exec(select(Plan, PlanVersion).join(PlanVersion, col(PlanVersion.plan_id) == Plan.id)
                              .where(Plan.partnership_id == scope.id)
                              .order_by(col(Plan.key), col(PlanVersion.number))).all()
                newest = {plan.key: pv for plan, pv in rows}
                approved_on = {
                    key: s.exec(select(AuditRecord.at).where(
                        AuditRecord.plan_version_id == pv.id, AuditRecord.to_state == "approved",
                        AuditRecord.subject == "plan")).first()
                    for key, pv in newest.items() if pv.state == "approved"
                }
            for key, at in approved_on.items():
                if at is None or at.astimezone(OSLO).date() >= opens:
                    continue
                if not _claim(site, scope.id, "revision", f"{key}:{rev.name}:{opens.isoformat()}", now):
                    continue
                deadlines = {k: v for k, v in revision_deadlines(scope.config, rev.name, opens).items()
                             if v >= today}
                pv = revise_plan(site, scope.key, key, "bvflow (årshjul)",
                                 reason=f"Revisjon «{rev.name}» opna {opens.isoformat()}",
                                 deadlines=deadlines)
                _notify_revision(site, scope.key, key, pv, rev.name, opens, deadlines, now)
                opened.append(f"{scope.key}:{key}@{pv.number}")
    return opened


def _notify_revision(site: Site, partnership: str, plan: str, pv: PlanVersion, revision: str,
                     opens: date, deadlines: dict[str, date], now: datetime) -> None:
    from .messages import fmt_date  # noqa: PLC0415

    scope = site.scope(partnership)
    titles = {p.name: p.title for p in scope.config.workflow.phases}

    def values(lang: str) -> dict[str, object]:
        return {"plan": plan, "version": pv.number, "revision": revision,
                "date": fmt_date(opens, lang),
                "deadlines": ", ".join(f"{titles.get(k, k)} {fmt_date(v, lang)}"
                                       for k, v in deadlines.items()) or "–"}

    with unit_of_work(site.engine, f"plan {plan}") as s:
        queue_notices(s, scope, [Notice(kind="revision_opened", key=f"{pv.id}:revision_opened",
                                        concerns=("steering_group",), values=values,
                                        plan_version_id=pv.id)],
                      now, str(site.config.path.parent))


def tick(site: Site, holder: str, now: datetime | None = None, *, deliver: bool = True) -> TickReport:
    """One scheduler tick at ``now`` (default the site clock): lease, daily run
    per partnership when due, then delivery of what is due."""
    now = now or site.clock.now()
    if not acquire_lease(site, holder, now):
        return TickReport(ran=False)
    report = TickReport(ran=True)
    today = now.astimezone(OSLO).date()
    at = time.fromisoformat(site.config.scheduler.daily_at)
    for pc in site.config.partnerships:
        scope = site.scope(pc.key)
        if now < daily_due(today, at) or _done(site, scope.id, "daily", today.isoformat()):
            continue
        if not _has_plans(site, scope.id):
            continue  # nothing to do yet; not marked done, so a plan made later today is seen
        try:
            revisions = open_due_revisions(site, pc.key, today, now)
            queued, _ = run_reminders(site, pc.key, now)
        except ConflictError as exc:  # a writer held the database: the next tick tries again
            log.warning("daily run of %s postponed: %s", pc.key, exc)
            continue
        except BvflowError as exc:  # one partnership's problem must not stop the others
            log.error("daily run of %s failed: %s", pc.key, exc)
            continue
        # marked done only after it succeeded; it is idempotent, so a crash in
        # between only means it runs again
        _claim(site, scope.id, "daily", today.isoformat(), now)
        report.daily.append(pc.key)
        report.revisions += revisions
        report.queued += len(queued)
    if deliver:
        from .delivery import deliver_due_sync  # noqa: PLC0415 - optional at import time

        for pc in site.config.partnerships:
            # mail goes out only inside the partnership's send window on working days: a message
            # due while the service was down waits for the next slot (issue: send window)
            if send_slot(now, pc.reminders.send_window) != now:
                continue
            r = deliver_due_sync(site.engine, site.config.mail, now, domain=_domain(),
                                 partnership_id=site.scope(pc.key).id)
            report.sent += r.sent
            report.retried += r.retried
            report.failed += r.failed
    return report


def _domain() -> str:
    fqdn = socket.getfqdn()
    return fqdn if fqdn and fqdn.isascii() and "." in fqdn else "bvflow.local"


_SITES: dict[str, Site] = {}


def scheduled_tick(config_path: str) -> None:
    """The APScheduler job: a textual reference with a primitive argument."""
    site = _SITES.get(config_path)
    if site is None:
        site = _SITES[config_path] = Site.open(config_path)
    report = tick(site, _holder())
    if report.ran and (report.daily or report.sent or report.failed):
        log.info("tick: daily=%s revisions=%s queued=%d sent=%d retried=%d failed=%d",
                 report.daily, report.revisions, report.queued, report.sent, report.retried,
                 report.failed)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def build_scheduler(config_path: str | Path, tick_minutes: int, clock: Clock | None = None):  # type: ignore[no-untyped-def]
    """A BackgroundScheduler with the single ``bvflow-tick`` job (not started)."""
    from apscheduler.schedulers.background import BackgroundScheduler  # noqa: PLC0415

    sched = BackgroundScheduler(timezone=OSLO, job_defaults={
        "coalesce": True, "misfire_grace_time": 3600, "max_instances": 1})
    sched.add_job("bvflow.scheduler:scheduled_tick", trigger="interval", minutes=tick_minutes,
                  id=JOB_ID, replace_existing=True, kwargs={"config_path": str(config_path)},
                  next_run_time=(clock or SystemClock()).now().astimezone(UTC))
    return sched


def serve(config_path: str | Path, tick_minutes: int) -> None:  # pragma: no cover - runs forever
    """Run the scheduler in the foreground until interrupted (``bvflow serve``)."""
    import time as _time  # noqa: PLC0415

    sched = build_scheduler(config_path, tick_minutes)
    sched.start()
    try:
        while True:
            _time.sleep(3600)
    except KeyboardInterrupt:
        sched.shutdown()
