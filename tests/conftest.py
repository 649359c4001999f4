"""Shared fixtures: real SQLite files and the real PostgreSQL, a site folder per test.

Database-backed tests take the ``db_url`` fixture, parametrised over
``sqlite`` and ``postgresql``. PostgreSQL is the local server at
127.0.0.1:5432 (database ``test``, trust auth; override with
``BVFLOW_TEST_PG``); each test gets its own schema. When the server is
unreachable the PostgreSQL variants are skipped — except under ``CI=true``,
where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, MetaData, select
from sqlmodel import SQLModel

from bvflow.clock import SimulatedClock
from bvflow.defaults import default_path
from bvflow.site import Site

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PG_DSN = os.environ.get("BVFLOW_TEST_PG", "host=127.0.0.1 port=5432 dbname=test user=postgres")
PG_URL = os.environ.get("BVFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

PROPOSAL = (
    "1. Vedlagde utkast til handlingsplan for 2025 i Bygdevekstavtala vert vedteken.\n\n"
    "2. Styringsgruppa i Bygdevekstprosjektet får fullmakt til å gjere ikkje-prinsipielle "
    "endringar i teksten dersom handlingsplanen ikkje blir godkjent av KDD.\n"
)
MUNICIPALITIES = ("seljord", "kviteseid", "nissedal", "fyresdal", "tokke", "vinje")
DEADLINES = {"municipalities": date(2025, 6, 20), "county": date(2025, 6, 27),
             "partners": date(2025, 6, 27), "kdd": date(2025, 8, 31)}


def _pg_available() -> str | None:
    try:
        with psycopg.connect(PG_DSN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bvflow.db'}"
        return
    problem = _pg_available()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable under CI=true: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def make_site_dir(tmp_path: Path, db_url: str, partnership_files: dict[str, str] | None = None,
                  workflows: dict[str, str] | None = None) -> Path:
    """A site folder like `bvflow init` writes, with ``db_url`` as its database.

    ``partnership_files`` (file name → TOML text) replace the default
    partnership; ``workflows`` add workflow files.
    """
    d = tmp_path / f"site-{uuid.uuid4().hex[:6]}"
    d.mkdir()
    for name in ("workflows", "notifications", "partnerships"):
        shutil.copytree(default_path(name), d / name)
    for name, text in (workflows or {}).items():
        (d / "workflows" / name).write_text(text, encoding="utf-8")
    refs = []
    if partnership_files:
        shutil.rmtree(d / "partnerships")
        (d / "partnerships").mkdir()
        for name, text in partnership_files.items():
            (d / "partnerships" / name).write_text(text, encoding="utf-8")
            refs.append(name)
    else:
        refs.append("vest-telemark.toml")
    parts = "\n".join(f'[[partnerships]]\nfile = "partnerships/{r}"\n' for r in refs)
    (d / "config.toml").write_text(
        f'[site]\ndatabase_url = "{db_url}"\nlanguage = "nn"\n\n{parts}', encoding="utf-8")
    return d


@pytest.fixture
def clock() -> SimulatedClock:
    c = SimulatedClock()
    c.set_date(date(2025, 5, 2), time(12, 0))
    return c


@pytest.fixture
def site(tmp_path: Path, db_url: str, clock: SimulatedClock) -> Iterator[Site]:
    """The Vest-Telemark site on a fresh database, clock at 2 May 2025."""
    s = Site.open(make_site_dir(tmp_path, db_url) / "config.toml", clock)
    s.scope(None)  # synchronise the partnership's rows before the test looks
    yield s
    s.engine.dispose()


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every bvflow table, to assert that nothing was stored."""
    import bvflow.models  # noqa: F401

    md: MetaData = SQLModel.metadata
    out = {}
    with engine.connect() as conn:
        for table in md.sorted_tables:
            out[table.name] = sorted(tuple(r) for r in conn.execute(select(table)).all())
    return out
