"""A running site: its configuration, database and clock, and the partnership scope.

:class:`Site` is what the CLI (and later the web layer) builds once per
process and passes to every service function. :meth:`Site.scope` gives a
:class:`Scope` — one partnership's ids and configuration — so that no service
can read or write outside the partnership it was called for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from .clock import Clock, SystemClock
from .config import PartnershipConfig, SiteConfig, load_site
from .db import make_engine, schema_status, unit_of_work, upgrade
from .errors import BvflowError, ConflictError, DefinitionError
from .machines import WorkflowMachines, machines_for
from .models import Body, Meeting, Partnership, Party, PartyCase, Plan, PlanVersion

__all__ = ["Scope", "Site"]


@dataclass(frozen=True)
class Scope:
    """One partnership as stored: its config, machines and row ids.

    ``party_ids`` maps the configured parties' keys → ids; ``former_party_ids``
    those of parties no longer in the configuration (kept for history);
    ``body_ids`` maps (party key, stage) → id.
    """

    config: PartnershipConfig
    id: int
    party_ids: dict[str, int]
    body_ids: dict[tuple[str, str], int]
    former_party_ids: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.config.key

    @property
    def machines(self) -> WorkflowMachines:
        return machines_for(self.config.workflow)

    def party_key(self, party_id: int) -> str:
        """The key of the party with row id ``party_id`` (KeyError if not in scope)."""
        return self._party_keys[party_id]

    @property
    def _party_keys(self) -> dict[int, str]:
        cached = self.__dict__.get("_pk")
        if cached is None:
            cached = {v: k for k, v in (self.former_party_ids | self.party_ids).items()}
            object.__setattr__(self, "_pk", cached)
        return cached


class Site:
    """Configuration + engine + clock. Build with :meth:`open`.

    Attributes: ``config`` (SiteConfig), ``engine`` (SQLAlchemy Engine),
    ``clock`` (Clock; Oslo dates via ``clock.today()``).
    """

    def __init__(self, config: SiteConfig, engine: Engine, clock: Clock | None = None) -> None:
        self.config = config
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self._scopes: dict[str, Scope] = {}

    @classmethod
    def open(cls, config_path: str | Path | None = None, clock: Clock | None = None) -> Site:
        """Load the config, connect, and make sure the schema is current.

        An empty database is created at the newest schema; a database at an
        older schema is refused with the command to run.

        Raises:
            DefinitionError: the configuration is invalid.
            BvflowError: the database cannot be opened or needs ``bvflow db upgrade``.
        """
        config = load_site(config_path)
        engine = make_engine(config.database_url)
        current, head = schema_status(engine)
        if current is None:
            upgrade(engine)
        elif current != head:
            raise BvflowError(
                f"the database is at schema {current}, this bvflow needs {head}: "
                "run `bvflow db upgrade` (back the database up first)"
            )
        return cls(config, engine, clock)

    def scope(self, partnership: str | None = None) -> Scope:
        """The stored scope of ``partnership`` (key; None = the only one),
        synchronising parties, bodies and configured meetings when the
        partnership's files changed since the last sync.

        Raises:
            DefinitionError: unknown partnership, or None with several configured.
        """
        pc = self.config.partnership(partnership)
        scope = self._scopes.get(pc.key)
        if scope is None:
            for attempt in range(5):
                try:
                    scope = self._sync(pc)
                    break
                except ConflictError:
                    # another process synchronised the same partnership at the same time;
                    # its rows are there now: read them again
                    if attempt == 4:
                        raise
                    time.sleep(0.05 * (attempt + 1))
            assert scope is not None
            self._scopes[pc.key] = scope
        return scope

    def _sync(self, pc: PartnershipConfig) -> Scope:
        with unit_of_work(self.engine, f"partnership {pc.key}", immediate=True) as s:
            row = s.exec(select(Partnership).where(Partnership.key == pc.key)).first()
            if row is None:
                row = Partnership(key=pc.key, name=pc.name, workflow=pc.workflow.name)
                s.add(row)
                s.flush()
            if row.config_digest != pc.digest:
                _sync_rows(s, row, pc)
                row.name, row.workflow, row.config_digest = pc.name, pc.workflow.name, pc.digest
            assert row.id is not None
            parties = s.exec(select(Party).where(Party.partnership_id == row.id)).all()
            bodies = s.exec(select(Body).where(Body.partnership_id == row.id)).all()
            by_id = {p.id: p.key for p in parties}
            configured = {p.key for p in pc.parties}
            return Scope(
                config=pc, id=row.id,
                party_ids={p.key: p.id for p in parties if p.id is not None and p.key in configured},
                body_ids={(by_id[b.party_id], b.stage): b.id for b in bodies
                          if b.id is not None and by_id[b.party_id] in configured},
                former_party_ids={p.key: p.id for p in parties
                                  if p.id is not None and p.key not in configured},
            )


def _refuse_removing_open_parties(s: Session, row: Partnership, pc: PartnershipConfig,
                                  existing: dict[str, Party]) -> None:
    """A party may leave the configuration only while no submitted plan version
    still waits on the parties: its cases belong to that version's round.

    Raises: DefinitionError naming the partnership file and the party.
    """
    gone = [p for k, p in existing.items() if pc.party(k) is None]
    if not gone:
        return
    closed = ("draft", "approved", "superseded")
    rows = s.exec(
        select(Party.key, Plan.key, PlanVersion.number)
        .join(PartyCase, col(PartyCase.party_id) == Party.id)
        .join(PlanVersion, col(PlanVersion.id) == PartyCase.plan_version_id)
        .join(Plan, col(Plan.id) == PlanVersion.plan_id)
        .where(col(Party.id).in_([p.id for p in gone]), col(PlanVersion.state).not_in(closed))
    ).first()
    if rows is not None:
        party, plan, number = rows
        raise DefinitionError(
            pc.file, "parties", party,
            f"the party was removed, but {plan}@{number} is in progress with it; put it back "
            "until that version is approved or superseded",
        )


def _sync_rows(s: Session, row: Partnership, pc: PartnershipConfig) -> None:
    """Upsert parties and bodies; make configured meetings match the config
    (meetings added by command or import are left alone)."""
    assert row.id is not None
    wf = pc.workflow
    existing = {p.key: p for p in s.exec(select(Party).where(Party.partnership_id == row.id))}
    _refuse_removing_open_parties(s, row, pc, existing)
    for pos, party in enumerate(pc.parties):
        prow = existing.get(party.key)
        if prow is None:
            prow = Party(partnership_id=row.id, key=party.key, name=party.name, role=party.role)
            s.add(prow)
            s.flush()
        prow.name, prow.role, prow.number, prow.position = (
            party.name, party.role, party.number, pos)
        bodies = {b.stage: b for b in s.exec(select(Body).where(Body.party_id == prow.id))}
        for stage in pc.paths[party.key]:
            bc = party.bodies.get(stage)
            name = (bc.name if bc and bc.name else f"{wf.stages[stage].title} – {party.name}")
            body = bodies.get(stage)
            if body is None:
                assert prow.id is not None
                body = Body(partnership_id=row.id, party_id=prow.id, stage=stage, name=name)
                s.add(body)
                s.flush()
            body.name = name
            wanted = set(bc.meetings) if bc else set()
            have = {m.meeting_date: m for m in s.exec(select(Meeting).where(Meeting.body_id == body.id))}
            for day in wanted - set(have):
                assert body.id is not None
                s.add(Meeting(partnership_id=row.id, body_id=body.id, meeting_date=day))
            for day, m in have.items():
                if m.source == "config" and day not in wanted:
                    s.delete(m)
