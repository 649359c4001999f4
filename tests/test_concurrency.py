"""Two writers on the same case: exactly one wins, the other gets ConflictError, nothing is lost."""

from __future__ import annotations

import threading
import time
from datetime import date

from sqlalchemy import event
from sqlmodel import Session, select

from bvflow import services
from bvflow.clock import SimulatedClock
from bvflow.errors import ConflictError
from bvflow.models import AuditRecord, Resolution
from bvflow.site import Site

from .conftest import DEADLINES, PROPOSAL

PLAN = "handlingsplan-2025"


def test_second_writer_gets_conflict(site: Site, clock: SimulatedClock) -> None:
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    services.submit_plan(site, None, PLAN, "sg")
    clock.set_date(date(2025, 6, 12))
    barrier = threading.Barrier(2, timeout=20)
    local = threading.local()

    def wait_once(session: Session, *_: object) -> None:
        # both writers have read the case before either writes
        if getattr(local, "armed", False):
            local.armed = False
            barrier.wait()

    results: dict[str, object] = {}

    def writer(name: str, text: str) -> None:
        local.armed = True
        try:
            results[name] = services.record_resolution(
                site, None, PLAN, "seljord", "kommunestyre", date(2025, 6, 5), "passed", text,
                actor=name).verdict
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[name] = exc

    event.listen(Session, "before_flush", wait_once)
    try:
        threads = [threading.Thread(target=writer, args=("a", PROPOSAL)),
                   threading.Thread(target=writer, args=("b", PROPOSAL + "\n3. Tillegg.\n"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        event.remove(Session, "before_flush", wait_once)
    winners = [k for k, v in results.items() if isinstance(v, str)]
    losers = [k for k, v in results.items() if isinstance(v, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "changed by someone else" in str(results[losers[0]])
    with Session(site.engine) as s:
        rows = s.exec(select(Resolution)).all()
        audits = s.exec(select(AuditRecord).where(AuditRecord.event == "record")).all()
    assert [r.recorded_by for r in rows] == winners
    assert [a.actor for a in audits] == winners


def test_concurrent_writers_on_different_parties_serialise(site: Site, clock: SimulatedClock) -> None:
    """Writers on one plan version serialise, so that the last municipality's
    resolution always moves the plan on: run all six at once, retrying conflicts."""
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    services.submit_plan(site, None, PLAN, "sg")
    clock.set_date(date(2025, 6, 12))
    errors: list[Exception] = []

    def writer(party: str) -> None:
        for attempt in range(200):
            try:
                services.record_resolution(site, None, PLAN, party, "kommunestyre",
                                           date(2025, 6, 12), "passed", as_proposed=True)
                return
            except ConflictError:
                time.sleep(0.005 * (attempt % 10))
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
                return
        errors.append(RuntimeError(f"{party}: still conflicting after 200 attempts"))

    threads = [threading.Thread(target=writer, args=(p,)) for p in
               ("seljord", "kviteseid", "nissedal", "fyresdal", "tokke", "vinje")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    from bvflow import queries

    (st,) = queries.status(site, None, PLAN)
    assert st.state == "at_county"
