"""Schema and storage: migrations match the models; instants and dates round-trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

import bvflow
from bvflow.db import make_engine, schema_status, upgrade
from bvflow.errors import BvflowError
from bvflow.models import Partnership, Plan


def test_migrations_create_exactly_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    assert schema_status(engine)[0] is None
    upgrade(engine)
    current, head = schema_status(engine)
    assert current == head == "0007"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    upgrade(engine)  # idempotent
    engine.dispose()


def test_instants_come_back_aware_utc_and_dates_as_dates(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    at = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)  # the night Norway moves to summer time
    with Session(engine) as s:
        p = Partnership(key="x", name="X", workflow="handlingsplan")
        s.add(p)
        s.flush()
        s.add(Plan(partnership_id=p.id, key="k", title="T", created_at=at))
        s.commit()
    with Session(engine) as s:
        plan = s.exec(select(Plan)).one()
        assert plan.created_at == at and plan.created_at.tzinfo is UTC
    with Session(engine) as s, pytest.raises(Exception, match="naive datetime"):
        s.add(Plan(partnership_id=1, key="n", title="T", created_at=datetime(2025, 1, 1)))
        s.commit()
    engine.dispose()


def test_unreachable_database_is_a_clear_error() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(BvflowError, match="database_url"):
        schema_status(engine)


def test_public_api_is_exported() -> None:
    for name in bvflow.__all__:
        assert getattr(bvflow, name) is not None


def test_several_processes_opening_a_new_database_at_once(tmp_path, db_url: str) -> None:
    import subprocess
    import sys
    from pathlib import Path

    from .conftest import make_site_dir

    cfg = make_site_dir(tmp_path, db_url) / "config.toml"
    exe = str(Path(sys.executable).with_name("bvflow"))
    procs = [subprocess.Popen([exe, "status", "--json", "--config", str(cfg)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(5)]
    results = [(p.wait(120), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert [(rc, out.strip()) for rc, out, _ in results] == [(0, "[]")] * 5, results


def test_a_file_that_is_no_database_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "x.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BvflowError, match="cannot open the database"):
        schema_status(make_engine(f"sqlite:///{bad}"))


def test_date_allday_01_a_deadline_is_a_date_on_both_databases(site) -> None:
    """date-allday-01: a deadline 2026-06-30 reads back as 2026-06-30 and shows as '30. juni 2026'."""
    from datetime import date

    from bvflow import queries, services
    from bvflow.messages import fmt_date

    services.create_plan(site, None, "hp", "H", "1. Vedteke.\n", {"municipalities": date(2026, 6, 30)})
    (st,) = queries.status(site, None, "hp")
    assert st.deadlines == {"municipalities": date(2026, 6, 30)}
    assert fmt_date(st.deadlines["municipalities"]) == "30. juni 2026"
    (d,) = queries.deadlines(site, None, None)
    assert d["date"] == "2026-06-30"
