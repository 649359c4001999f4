"""Database engine, schema migrations and the unit of work.

SQLite (default) runs in WAL mode with ``synchronous=FULL``, a busy timeout
and foreign keys on (PITFALLS D1); PostgreSQL is used by URL
(``postgresql+psycopg://…``). The schema is created and upgraded only by the
Alembic migrations shipped in ``bvflow/migrations``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from .errors import BvflowError, ConflictError

__all__ = ["make_engine", "upgrade", "schema_status", "unit_of_work"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create an engine for ``url`` with bvflow's connection settings.

    Raises:
        BvflowError: the URL cannot be parsed or its driver is missing.
    """
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(url, echo=echo, pool_pre_ping=True)
    except Exception as exc:  # noqa: BLE001 - any parse/driver problem
        raise BvflowError(f"database_url = {url!r}: {exc}") from exc
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy own BEGIN, so that our "begin" hook can take the write lock.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A plain BEGIN; concurrent writers are caught by the version columns.
    # Schema upgrades take the write lock at once, so that two processes
    # opening a new database do not both create it.
    if conn.get_execution_options().get("bvflow_immediate"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def _alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    url = engine.url.render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser syntax
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent, safe when several
    processes start on a new database at once: SQLite's write lock or a
    PostgreSQL advisory lock serialises them, and the later ones find the
    schema current).

    Raises: BvflowError when the database has a revision this bvflow does not know.
    """
    cfg = _alembic_config(engine)
    with engine.connect() as raw:
        conn = raw.execution_options(bvflow_immediate=True)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242, 1)")
            cfg.attributes["connection"] = conn
            try:
                command.upgrade(cfg, "head")
            except CommandError as exc:
                raise BvflowError(
                    f"the database has a schema this bvflow does not know ({exc}); "
                    "it was made by a newer bvflow: upgrade bvflow"
                ) from exc


def schema_status(engine: Engine) -> tuple[str | None, str]:
    """(current revision or None for an empty database, head revision)."""
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head() or ""
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            if current is None and inspect(conn).get_table_names():
                # tables but no revision: another process may just have created the
                # schema between the two reads, so read the revision once more
                current = MigrationContext.configure(conn).get_current_revision() or "unknown"
    except (OperationalError, DatabaseError) as exc:
        raise BvflowError(
            f"cannot open the database {engine.url.render_as_string()}: {exc.orig}. "
            "Check database_url in config.toml (or BVFLOW_DATABASE_URL)."
        ) from exc
    if current == "unknown":
        raise BvflowError(f"the database {engine.url.render_as_string()} has tables but no bvflow "
                          "schema version: point database_url at an empty database")
    if current not in (None, head) and current not in _known_revisions(engine):
        raise BvflowError(f"the database is at schema {current}, which this bvflow does not know: "
                          "it was made by a newer bvflow; upgrade bvflow")
    return current, head


def _known_revisions(engine: Engine) -> set[str]:
    script = ScriptDirectory.from_config(_alembic_config(engine))
    return {rev.revision for rev in script.walk_revisions()}


@contextmanager
def unit_of_work(engine: Engine, subject: str = "the plan", *, immediate: bool = False
                 ) -> Iterator[Session]:
    """A session whose work commits as one transaction at the end of the block.

    Any exception rolls everything back. A concurrent change of a versioned
    row (``StaleDataError``) or a unique-key race becomes :class:`ConflictError`
    naming ``subject``. ``immediate``: on SQLite take the write lock at the
    start (other writers wait for it instead of failing late).
    """
    bind = engine.execution_options(bvflow_immediate=True) if immediate else engine
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise ConflictError(subject) from exc
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(subject) from exc
    except OperationalError as exc:
        session.rollback()
        # SQLite: another writer committed since this transaction read (WAL
        # "busy snapshot"), or held the lock past the busy timeout.
        if "locked" in str(exc.orig) or "busy" in str(exc.orig):
            raise ConflictError(subject) from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
