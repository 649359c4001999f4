"""Stored rows (SQLModel). Every row belongs to exactly one partnership.

Units: ``*_date`` / ``*_on`` columns are local dates in Europe/Oslo stored as
SQL ``DATE`` (PITFALLS R4); ``*_at`` columns are UTC instants, stored naive
and given back aware by :class:`UTCDateTime` (D2). ``version`` columns are
SQLAlchemy ``version_id_col``s (D3): a concurrent write raises
``StaleDataError``, which the service turns into ``ConflictError``.
The schema is owned by the Alembic migrations in ``bvflow/migrations``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

__all__ = [
    "ApiToken",
    "AuditRecord",
    "Body",
    "BudgetYear",
    "ContentHeader",
    "Deadline",
    "Meeting",
    "OutboxMessage",
    "Partnership",
    "Party",
    "PartyCase",
    "Plan",
    "PlanVersion",
    "JobRun",
    "LoginThrottle",
    "Measure",
    "MeasureBudget",
    "Membership",
    "Resolution",
    "SchedulerLease",
    "SubGoal",
    "UTCDateTime",
    "User",
    "WebSession",
]


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: stored as naive UTC, returned as aware UTC (PITFALLS D2)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: bvflow stores aware UTC instants")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _instant(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class Partnership(SQLModel, table=True):
    """A partnership (pilot, *avtale*): the top-level unit of every other row."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    name: str
    workflow: str = Field(max_length=64)
    config_digest: str = Field(default="", max_length=64)


class Party(SQLModel, table=True):
    """A municipality, county, cooperation partner or the ministry."""

    __table_args__ = (UniqueConstraint("partnership_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    key: str = Field(max_length=64)
    name: str
    role: str = Field(max_length=32)
    number: str = Field(default="", max_length=16)
    position: int = 0


class Body(SQLModel, table=True):
    """A party's body for one stage (its formannskap, kommunestyre …)."""

    __table_args__ = (UniqueConstraint("party_id", "stage"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    party_id: int = Field(foreign_key="party.id", index=True)
    stage: str = Field(max_length=64)
    name: str


class Meeting(SQLModel, table=True):
    """A planned meeting of a body (møteplan). ``meeting_date`` is an Oslo date."""

    __table_args__ = (UniqueConstraint("body_id", "meeting_date"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    meeting_date: date
    source: str = Field(default="config", max_length=32)
    #: the meeting's id in the system it was imported from (KS Fiks moeteId, iCal UID)
    external_id: str | None = Field(default=None, max_length=255)


class Plan(SQLModel, table=True):
    """A plan (e.g. the 2025 handlingsplan); its content lives in versions."""

    __table_args__ = (UniqueConstraint("partnership_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    key: str = Field(max_length=64)
    title: str
    created_at: datetime = _instant()


_PV_VERSION = Column("version", Integer, nullable=False)


class PlanVersion(SQLModel, table=True):
    """One version of a plan going through the bodies. ``state`` is a plan state
    of the workflow; ``proposal`` is the proposed resolution (framlegg til vedtak)
    every resolution is compared with; ``submitted_on`` an Oslo date."""

    __table_args__ = (UniqueConstraint("plan_id", "number"),)
    __mapper_args__ = {"version_id_col": _PV_VERSION}
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    number: int
    state: str = Field(max_length=64, index=True)
    proposal: str = Field(sa_column=Column(Text, nullable=False))
    submitted_on: date | None = None
    revises_id: int | None = Field(default=None, foreign_key="planversion.id")
    created_at: datetime = _instant()
    updated_at: datetime = _instant()
    version: int = Field(default=1, sa_column=_PV_VERSION)


class Deadline(SQLModel, table=True):
    """By ``due_date`` (Oslo) every party of ``phase`` must have passed the plan."""

    __table_args__ = (UniqueConstraint("plan_version_id", "phase"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    plan_version_id: int = Field(foreign_key="planversion.id", index=True)
    phase: str = Field(max_length=64)
    due_date: date


_PC_VERSION = Column("version", Integer, nullable=False)


class PartyCase(SQLModel, table=True):
    """One party's handling of one plan version; ``state`` is a case state."""

    __table_args__ = (UniqueConstraint("plan_version_id", "party_id"),)
    __mapper_args__ = {"version_id_col": _PC_VERSION}
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    plan_version_id: int = Field(foreign_key="planversion.id", index=True)
    party_id: int = Field(foreign_key="party.id", index=True)
    state: str = Field(max_length=64, index=True)
    #: the party's own case for this plan version, registered by its secretary:
    #: its case number ("PS 2025/34") and its case system's external key
    case_number: str | None = Field(default=None, max_length=64)
    external_key: str | None = Field(default=None, max_length=255)
    version: int = Field(default=1, sa_column=_PC_VERSION)


class Resolution(SQLModel, table=True):
    """A body's recorded outcome (vedtak/innstilling/approval) for a party case.

    ``verdict`` is ``identical``/``minor``/``different`` for texts compared
    with the proposal, else None; ``differences`` the list from
    :func:`bvflow.textcompare.compare_texts`. ``accepted_*`` is set when the
    steering group accepted a deviating resolution as equivalent.
    """

    __table_args__ = (UniqueConstraint("partnership_id", "import_key"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    party_case_id: int = Field(foreign_key="partycase.id", index=True)
    body_id: int = Field(foreign_key="body.id")
    stage: str = Field(max_length=64)
    meeting_date: date
    case_number: str = Field(default="", max_length=64)
    outcome: str = Field(max_length=32)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    verdict: str | None = Field(default=None, max_length=16)
    differences: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    recorded_at: datetime = _instant()
    recorded_by: str = Field(default="", max_length=128)
    source: str = Field(default="cli", max_length=64)
    accepted_reason: str | None = Field(default=None, sa_column=Column(Text))
    accepted_by: str | None = Field(default=None, max_length=128)
    accepted_at: datetime | None = _instant(nullable=True)
    #: identifies the imported message (unique per partnership): importing it again is a no-op
    import_key: str | None = Field(default=None, max_length=128)


class AuditRecord(SQLModel, table=True):
    """Who did what, when (UTC), from which state to which, and why."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    plan_version_id: int = Field(foreign_key="planversion.id", index=True)
    party_id: int | None = Field(default=None, foreign_key="party.id")
    at: datetime = _instant()
    actor: str = Field(max_length=128)
    event: str = Field(max_length=64)
    subject: str = Field(max_length=16)  # "plan" or "case"
    from_state: str = Field(default="", max_length=64)
    to_state: str = Field(default="", max_length=64)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class OutboxMessage(SQLModel, table=True):
    """A notification decided on, to be delivered later (transactional outbox).

    ``dedupe_key`` is unique per partnership: (plan version, party, kind, key
    date, recipient), so a rerun never writes the same message twice (R5).
    ``status``: ``pending`` → ``sent`` | ``failed``. ``due_at`` is UTC.
    """

    __table_args__ = (UniqueConstraint("partnership_id", "dedupe_key"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    plan_version_id: int | None = Field(default=None, foreign_key="planversion.id")
    party_id: int | None = Field(default=None, foreign_key="party.id")
    kind: str = Field(max_length=64)
    severity: str = Field(default="", max_length=16)
    dedupe_key: str = Field(max_length=255)
    recipient: str = Field(max_length=320)
    recipient_name: str = Field(default="", max_length=200)
    language: str = Field(default="nn", max_length=8)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = _instant()
    due_at: datetime = _instant()
    #: the latest useful moment to send (e.g. the deadline a reminder is about); None: no limit
    latest_at: datetime | None = _instant(nullable=True)
    #: when a temporary failure may be retried (None: as soon as due)
    next_attempt_at: datetime | None = _instant(nullable=True)
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    message_id: str = Field(default="", max_length=255)
    sent_at: datetime | None = _instant(nullable=True)
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False))


class SchedulerLease(SQLModel, table=True):
    """Who runs the scheduler: one row per lease ``name``; the holder renews
    ``expires_at`` (UTC) while it lives, and another process may take it over
    only after it has expired (one active scheduler across processes)."""

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    expires_at: datetime = _instant()


class JobRun(SQLModel, table=True):
    """A piece of scheduled work that must happen once per key (e.g. the weekly
    digest of week 2026-W53, a revision opened for 2025-09-01): the unique key
    makes a rerun, a restart or a second process a no-op."""

    __table_args__ = (UniqueConstraint("partnership_id", "job", "run_key"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    job: str = Field(max_length=64)
    run_key: str = Field(max_length=128)
    done_at: datetime = _instant()


class User(SQLModel, table=True):
    """A person who logs in to the web pages or calls the API.

    ``username`` is stored lower-case. ``password_hash`` is an Argon2id hash
    (argon2-cffi); it is never shown. ``is_admin`` makes the user an
    administrator of the whole installation; every other right comes from a
    :class:`Membership` in one partnership. A disabled user cannot log in,
    and its sessions and API tokens stop working at once.
    """

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    display_name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320)
    password_hash: str = Field(max_length=255)
    is_admin: bool = False
    disabled: bool = False
    language: str = Field(default="", max_length=8)
    created_at: datetime = _instant()


class Membership(SQLModel, table=True):
    """A user's role in one partnership: ``steering`` (styringsgruppe),
    ``secretary`` (bound to ``party_id``, a municipality's political
    secretariat) or ``observer`` (read only)."""

    __table_args__ = (UniqueConstraint("user_id", "partnership_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    role: str = Field(max_length=16)
    party_id: int | None = Field(default=None, foreign_key="party.id")


class ApiToken(SQLModel, table=True):
    """A per-user token. Only the SHA-256 of the token is stored; the token
    itself is shown once when it is made. ``scope``: ``api`` (the JSON API,
    the user's full rights) or ``calendar`` (only the read-only calendar
    feed: it sits in calendar programs' subscription URLs and logs)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)
    scope: str = Field(default="api", sa_column=Column(String(16), nullable=False, server_default="api"))
    label: str = Field(default="", max_length=200)
    created_at: datetime = _instant()
    last_used_at: datetime | None = _instant(nullable=True)
    revoked_at: datetime | None = _instant(nullable=True)


class WebSession(SQLModel, table=True):
    """A logged-in browser. The cookie holds a random token; the row holds its
    SHA-256, the CSRF token of the session and its UTC expiry."""

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _instant()
    expires_at: datetime = _instant()


class LoginThrottle(SQLModel, table=True):
    """Failed logins per username (known or not): after a few failures a new
    attempt is refused until ``blocked_until`` (UTC), doubling each time."""

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failure_at: datetime | None = _instant(nullable=True)
    blocked_until: datetime | None = _instant(nullable=True)


# -- the content of a plan version (issue 5) ----------------------------------
# Amounts are whole NOK (BIGINT); years are calendar years; ``start_date`` /
# ``end_date`` are Oslo dates. Every row belongs to one plan version; a revision
# copies them into its new version (see bvflow.contentstore).


def _nok() -> Any:
    return Field(default=0, sa_column=Column(BigInteger, nullable=False))


class ContentHeader(SQLModel, table=True):
    """The plan version has content (sub-goals, measures, budget): its
    background text, the agreement period and the weight tolerance
    (percentage points) beyond which a sub-goal's share is reported."""

    __table_args__ = (UniqueConstraint("plan_version_id"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    plan_version_id: int = Field(foreign_key="planversion.id", index=True)
    background: str = Field(default="", sa_column=Column(Text, nullable=False))
    first_year: int
    last_year: int
    weight_tolerance_pct: int = 5


class SubGoal(SQLModel, table=True):
    """A sub-goal (delmål) of a plan version with its budget weight in percent."""

    __table_args__ = (UniqueConstraint("plan_version_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    plan_version_id: int = Field(foreign_key="planversion.id", index=True)
    key: str = Field(max_length=64)
    position: int = 0
    title: str = Field(sa_column=Column(Text, nullable=False))
    weight_pct: int = 0


class Measure(SQLModel, table=True):
    """A measure (tiltak) under a sub-goal. ``key`` identifies it across
    versions; ``reason`` (grunngjeving) and ``assessment`` (what an ended
    measure achieved) account for this version's change."""

    __table_args__ = (UniqueConstraint("plan_version_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    plan_version_id: int = Field(foreign_key="planversion.id", index=True)
    key: str = Field(max_length=64)
    position: int = 0
    sub_goal: str = Field(max_length=64)
    title: str = Field(sa_column=Column(Text, nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    responsible: str = Field(default="", max_length=200)
    start_date: date
    end_date: date | None = None
    funding: str = Field(max_length=32)
    status: str = Field(max_length=16)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    assessment: str = Field(default="", sa_column=Column(Text, nullable=False))


class MeasureBudget(SQLModel, table=True):
    """A measure's money in one year: ``allocated`` (budget) and ``spent``, whole NOK."""

    __table_args__ = (UniqueConstraint("measure_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    year: int
    allocated: int = _nok()
    spent: int = _nok()


class BudgetYear(SQLModel, table=True):
    """The financing plan of one year: state operating grant (driftstilskot) and
    state measure funds (tiltaksmidlar) granted that year, whole NOK; ``closed``:
    the year's accounts are closed, so its carry-over counts what was spent."""

    __table_args__ = (UniqueConstraint("plan_version_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    plan_version_id: int = Field(foreign_key="planversion.id", index=True)
    year: int
    operating_grant: int = _nok()
    measure_funds: int = _nok()
    closed: bool = False
