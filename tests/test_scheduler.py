"""The scheduler: daily runs across DST, restarts, downtime, several processes, the wheel."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bvflow import queries, services
from bvflow.clock import OSLO, SimulatedClock
from bvflow.scheduler import JOB_ID, build_scheduler, daily_due, tick
from bvflow.site import Site

from .conftest import DEADLINES, MUNICIPALITIES, PROPOSAL, SHARED, make_site_dir


def _case(name: str) -> dict:
    return json.loads((SHARED / "cases" / f"{name}.json").read_text(encoding="utf-8"))


def _ticks(start: datetime, end: datetime, minutes: int = 5):
    t = start
    while t <= end:
        yield t
        t += timedelta(minutes=minutes)


def _daily_fires(at: time, first: date, last: date) -> list[datetime]:
    """Simulate the tick loop every 5 minutes (UTC) and record when each local
    day's run happens: the first tick at or after its instant, once per day."""
    fired: dict[date, datetime] = {}
    start = datetime.combine(first, time(0), tzinfo=OSLO).astimezone(UTC) - timedelta(hours=1)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=OSLO).astimezone(UTC)
    for now in _ticks(start, end):
        day = now.astimezone(OSLO).date()
        if first <= day <= last and day not in fired and now >= daily_due(day, at):
            fired[day] = now
    return [fired[d] for d in sorted(fired)]


def test_scheduler_dst_01_one_run_per_local_day_across_the_spring_switch() -> None:
    case = _case("scheduler-dst-01")
    fires = _daily_fires(time(0, 30), date(2027, 3, 26), date(2027, 3, 31))
    assert [f.astimezone(OSLO).isoformat(timespec="minutes") for f in fires] == case["expected"]


def test_scheduler_dst_02_repeated_and_missing_hour() -> None:
    """scheduler-dst-02: 02:30 daily — exactly one run each local day, including
    2027-10-31 (02:30 happens twice) and 2027-03-28 (02:30 does not exist)."""
    autumn = _daily_fires(time(2, 30), date(2027, 10, 30), date(2027, 11, 1))
    assert [f.astimezone(OSLO).date() for f in autumn] == [date(2027, 10, 30), date(2027, 10, 31),
                                                          date(2027, 11, 1)]
    assert autumn[1].astimezone(OSLO).strftime("%H:%M%z") == "02:30+0200"  # the first 02:30
    spring = _daily_fires(time(2, 30), date(2027, 3, 27), date(2027, 3, 29))
    assert [f.astimezone(OSLO).date() for f in spring] == [date(2027, 3, 27), date(2027, 3, 28),
                                                          date(2027, 3, 29)]
    assert spring[1].astimezone(OSLO).strftime("%H:%M%z") == "03:30+0200"  # the gap, read forward


@pytest.fixture
def busy(tmp_path: Path, db_url: str) -> tuple[Site, SimulatedClock]:
    clock = SimulatedClock()
    clock.set_date(date(2025, 5, 2), time(12))
    site = Site.open(make_site_dir(tmp_path, db_url) / "config.toml", clock)
    services.create_plan(site, None, "hp", "Handlingsplan", PROPOSAL, DEADLINES)
    services.submit_plan(site, None, "hp")
    yield site, clock
    site.engine.dispose()


def test_daily_run_once_per_day_and_caught_up_after_downtime(busy) -> None:
    site, _ = busy
    day = date(2025, 6, 5)
    before = datetime.combine(day, time(7, 25), tzinfo=OSLO)
    assert tick(site, "a", before, deliver=False).daily == []
    # the service was down at 07:30 and comes back at 09:10: the day's run happens once
    r = tick(site, "a", datetime.combine(day, time(9, 10), tzinfo=OSLO), deliver=False)
    assert r.daily == ["vest-telemark"] and r.queued > 0
    r = tick(site, "a", datetime.combine(day, time(9, 15), tzinfo=OSLO), deliver=False)
    assert r.daily == [] and r.queued == 0


def test_scheduler_multi_01_two_processes_one_lease(busy) -> None:
    """scheduler-multi-01: two service processes on one database: each reminder once."""
    site, _ = busy
    now = datetime.combine(date(2025, 6, 5), time(7, 35), tzinfo=OSLO)
    reports = {}

    def run(holder: str) -> None:
        reports[holder] = tick(site, holder, now, deliver=False)

    threads = [threading.Thread(target=run, args=(h,)) for h in ("host-a:1", "host-b:2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r.ran for r in reports.values()) == [False, True], reports
    # the loser takes over only when the lease has expired; the day's work is not redone
    later = now + timedelta(minutes=5)  # the lease lasts ten minutes
    loser = next(h for h, r in reports.items() if not r.ran)
    assert not tick(site, loser, later, deliver=False).ran
    r = tick(site, loser, later + timedelta(hours=1), deliver=False)
    assert r.ran and r.daily == [], (reports, r)
    keys = [(row["recipient"], row["subject"]) for row in queries.outbox(site, None)]
    assert len(keys) == len(set(keys))


def test_scheduler_restart_01_same_jobs_after_five_starts(tmp_path: Path) -> None:
    """scheduler-restart-01: five starts and stops, the same single job each time."""
    cfg = make_site_dir(tmp_path, f"sqlite:///{tmp_path}/s.db") / "config.toml"
    seen = []
    for _ in range(5):
        sched = build_scheduler(cfg, 5)
        sched.start(paused=True)
        seen.append([(j.id, str(j.trigger), j.func_ref) for j in sched.get_jobs()])
        sched.shutdown(wait=False)
    assert seen == [[(JOB_ID, "interval[0:05:00]", "bvflow.scheduler:scheduled_tick")]] * 5


def test_wheel_opens_the_autumn_revision_once(busy) -> None:
    site, clock = busy
    clock.set_date(date(2025, 6, 12))
    for m in MUNICIPALITIES:
        services.record_resolution(site, None, "hp", m, "kommunestyre", date(2025, 6, 12), "passed",
                                   as_proposed=True)
    clock.set_date(date(2025, 6, 27))
    for p in ("telemark", "husbanken"):
        services.decide(site, None, "hp", p, "approved", date(2025, 6, 27))
    clock.set_date(date(2025, 8, 26))
    services.decide(site, None, "hp", "kdd", "approved", date(2025, 8, 26))
    r = tick(site, "a", datetime.combine(date(2025, 9, 1), time(7, 30), tzinfo=OSLO), deliver=False)
    assert r.revisions == ["vest-telemark:hp@2"]
    (st,) = queries.status(site, None, "hp")
    assert (st.version, st.state) == (2, "draft")
    assert st.deadlines == {"municipalities": date(2025, 11, 14), "county": date(2025, 11, 28),
                            "partners": date(2025, 11, 28), "kdd": date(2025, 12, 19)}
    told = [row for row in queries.outbox(site, None) if row["kind"] == "revision_opened"]
    assert sorted(row["recipient"] for row in told) == ["bygdevekst@vest-telemark.example",
                                                        "styringsgruppa@vest-telemark.example"]
    r = tick(site, "a", datetime.combine(date(2025, 9, 2), time(7, 30), tzinfo=OSLO), deliver=False)
    assert r.revisions == []


def _folder_site(tmp_path: Path, db_url: str, clock: SimulatedClock) -> Site:
    d = make_site_dir(tmp_path, db_url)
    cfg = d / "config.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + '\n[mail]\ntransport = "folder"\nfolder = "mail"\n',
                   encoding="utf-8")
    return Site.open(cfg, clock)


def test_scheduler_downtime_01_reminder_sent_once_after_restart(tmp_path: Path, db_url: str) -> None:
    """scheduler-downtime-01: a reminder due at 08:00; the service is down 07:55–08:10."""
    clock = SimulatedClock()
    clock.set_date(date(2025, 5, 2), time(12))
    site = _folder_site(tmp_path, db_url, clock)
    services.create_plan(site, None, "hp", "H", PROPOSAL, DEADLINES)
    services.submit_plan(site, None, "hp")
    mail = Path(site.config.mail.folder)
    day = date(2025, 6, 5)  # ten working days before the municipal deadline
    at = lambda hh, mm: datetime.combine(day, time(hh, mm), tzinfo=OSLO)  # noqa: E731
    tick(site, "svc", at(7, 30))  # the daily run queues the reminders, due 08:00
    tick(site, "svc", at(7, 55))  # nothing due yet; then the service stops
    def reminders() -> list[str]:
        import email
        import email.policy

        msgs = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in mail.glob("*.eml")] if mail.exists() else []
        return sorted(str(m["To"]) for m in msgs if str(m["Subject"]).split("] ")[1].startswith("Påminn"))

    assert reminders() == []
    r = tick(site, "svc", at(8, 10))  # back up
    assert r.sent > 0
    sent = reminders()
    assert len(sent) == 6  # each open municipality, once (Nissedal's in bokmål)
    tick(site, "svc", at(8, 15))
    assert len(reminders()) == len(sent)
    site.engine.dispose()


_TICK = """
import sys
from datetime import datetime
from bvflow.site import Site
from bvflow.scheduler import tick
site = Site.open(sys.argv[1])
for stamp in sys.argv[3:]:
    r = tick(site, sys.argv[2], datetime.fromisoformat(stamp))
    print(int(r.ran), r.sent)
"""


def test_two_processes_on_one_database_deliver_each_reminder_once(tmp_path: Path, db_url: str) -> None:
    """Two service processes, one database: every message is delivered exactly once."""
    import subprocess
    import sys

    clock = SimulatedClock()
    clock.set_date(date(2025, 5, 2), time(12))
    site = _folder_site(tmp_path, db_url, clock)
    services.create_plan(site, None, "hp", "H", PROPOSAL, DEADLINES)
    services.submit_plan(site, None, "hp")
    stamps = [datetime.combine(day, time(hh, mm), tzinfo=OSLO).isoformat()
              for day, hh, mm in ((date(2025, 6, 5), 7, 30), (date(2025, 6, 5), 8, 5),
                                  (date(2025, 6, 5), 15, 55), (date(2025, 6, 13), 7, 30),
                                  (date(2025, 6, 13), 8, 5), (date(2025, 6, 16), 8, 5))]
    outs = []
    for stamp in stamps:  # both processes live at the same moment, as on one real clock
        procs = [subprocess.Popen([sys.executable, "-c", _TICK, str(site.config.path), f"p{i}", stamp],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(2)]
        pair = [p.communicate(timeout=300) for p in procs]
        assert all(p.returncode == 0 for p in procs), pair[0][1][-3000:] + pair[1][1][-3000:]
        outs += pair
    rows = queries.outbox(site, None)
    sent = [r for r in rows if r["status"] == "sent"]
    files = list(Path(site.config.mail.folder).glob("*.eml"))
    from collections import Counter

    assert sent and len(files) == len(sent), Counter((r["status"], r["kind"]) for r in rows)
    ids = [next(line for line in f.read_text("ascii").splitlines() if line.startswith("Message-ID:"))
           for f in files]
    assert len(set(ids)) == len(ids)
    ran = [int(line.split()[0]) for out, _ in outs for line in out.splitlines()]
    assert len(ran) == 2 * len(stamps) and sum(ran) >= len(stamps)  # someone worked at each moment
    site.engine.dispose()


def test_mail_waits_for_the_send_window_after_downtime(tmp_path: Path, db_url: str) -> None:
    """A message due at 08:00 while the service was down until 17:00 goes out
    the next working morning, not in the evening."""
    clock = SimulatedClock()
    clock.set_date(date(2025, 5, 2), time(12))
    site = _folder_site(tmp_path, db_url, clock)
    services.create_plan(site, None, "hp", "H", PROPOSAL, DEADLINES)
    services.submit_plan(site, None, "hp")
    thursday = date(2025, 6, 5)
    tick(site, "svc", datetime.combine(thursday, time(7, 30), tzinfo=OSLO), deliver=False)
    assert tick(site, "svc", datetime.combine(thursday, time(17, 0), tzinfo=OSLO)).sent == 0
    assert tick(site, "svc", datetime.combine(date(2025, 6, 6), time(7, 55), tzinfo=OSLO)).sent == 0
    assert tick(site, "svc", datetime.combine(date(2025, 6, 6), time(8, 0), tzinfo=OSLO)).sent > 0
    site.engine.dispose()


def test_serve_on_the_real_clock_moved_by_time_machine(tmp_path: Path, db_url: str) -> None:
    """The service path as `bvflow serve` runs it — system clock, real SMTP server
    (aiosmtpd on loopback) — with the clock moved by time-machine: the reminders
    decided at the daily run go out once, at 08:00, and not again."""
    import time_machine

    from bvflow.scheduler import scheduled_tick

    from .test_delivery import SmtpServer

    server = SmtpServer()
    server.start()
    try:
        d = make_site_dir(tmp_path, db_url)
        cfg = d / "config.toml"
        cfg.write_text(cfg.read_text(encoding="utf-8") + (
            f'\n[mail]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {server.port}\n'
            'security = "none"\nsender = "bvflow <bvflow@example.org>"\n'), encoding="utf-8")
        with time_machine.travel(datetime(2025, 5, 2, 12, 0, tzinfo=OSLO), tick=False) as traveller:
            site = Site.open(cfg)  # the system clock, as in production
            services.create_plan(site, None, "hp", "H", PROPOSAL, DEADLINES)
            services.submit_plan(site, None, "hp")
            site.engine.dispose()
            for hh, mm in ((7, 30), (7, 55), (8, 0), (8, 5), (12, 0)):
                traveller.move_to(datetime(2025, 6, 5, hh, mm, tzinfo=OSLO))
                scheduled_tick(str(cfg))
                if (hh, mm) == (7, 55):
                    assert server.handler.received == []  # nothing before the send window
        msgs = server.handler.parsed()
        reminders = [m for m in msgs if "Påminn" in str(m["Subject"])]
        assert len(reminders) == 6  # each open municipality, once
        ids = [str(m["Message-ID"]) for m in msgs]
        assert len(ids) == len(set(ids))
    finally:
        server.stop()
