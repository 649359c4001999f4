"""Seeded synthetic data shaped like real partnerships, inserted in bulk.

A partnership has 3–9 municipalities (formannskap — left out for one in five
— and kommunestyre), the county, often a cooperation partner and KDD: 6–12
parties, like Vest-Telemark (9). Meeting calendars are realistic: formannskap
about monthly and kommunestyre about every six weeks on Tuesday–Thursday,
no meetings in July nor in Christmas week. Partnership files are written as
TOML and synchronised by bvflow itself (:meth:`bvflow.site.Site.scope`); plan
versions, party cases, deadlines, resolutions and audit rows are inserted
with one multi-row ``INSERT`` per table and batch (never through the
services: they are what is measured).
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, text

from bvflow.clock import SimulatedClock
from bvflow.defaults import default_path
from bvflow.models import (
    AuditRecord,
    Deadline,
    OutboxMessage,
    PartyCase,
    Plan,
    PlanVersion,
    Resolution,
)
from bvflow.site import Scope, Site

__all__ = ["TODAY", "PROPOSAL", "Populated", "make_site", "partnership_toml", "populate",
           "add_outbox_rows"]

#: The simulated today of every benchmark (a Monday in the spring round).
TODAY = date(2025, 6, 2)
SUBMITTED = date(2025, 3, 3)
PROPOSAL = (
    "1. Vedlagde utkast til handlingsplan for 2025 i Bygdevekstavtala vert vedteken.\n\n"
    "2. Styringsgruppa i Bygdevekstprosjektet får fullmakt til å gjere ikkje-prinsipielle "
    "endringar i teksten dersom handlingsplanen ikkje blir godkjent av KDD.\n"
)
DIFFERENT = PROPOSAL.replace("vert vedteken", "vert ikkje vedteken")
_NAMES = ("Seljord", "Kviteseid", "Nissedal", "Fyresdal", "Tokke", "Vinje", "Rindal", "Holtålen",
          "Tynset", "Alvdal", "Rendalen", "Folldal", "Os", "Tolga", "Engerdal", "Stor-Elvdal")
_BATCH = 5000


def _weekday_in(rng: random.Random, year: int, month: int, first_day: int) -> date:
    d = date(year, month, first_day)
    d += timedelta(days=rng.randint(0, 9))
    while d.weekday() not in (1, 2, 3):  # Tuesday–Thursday
        d += timedelta(days=1)
    return d


def _calendar(rng: random.Random, year: int, every: int) -> list[date]:
    """Meetings about every ``every`` weeks; none in July nor in Christmas week."""
    out: list[date] = []
    d = _weekday_in(rng, year, 1, 10)
    while d.year == year:
        if d.month != 7 and not (d.month == 12 and d.day > 20):
            out.append(d)
        d += timedelta(weeks=every) + timedelta(days=rng.randint(-2, 2))
        while d.weekday() not in (1, 2, 3):
            d += timedelta(days=1)
    return sorted(set(out))


def partnership_toml(rng: random.Random, key: str, n_municipalities: int, *,
                     partner: bool = True, year: int = 2025) -> str:
    """A partnership file: ``n_municipalities`` municipalities, the county, a
    partner (optional) and KDD, with contacts and meeting calendars."""
    lines = ["[partnership]", f'key = "{key}"', f'name = "Bygdevekst {key}"',
             'workflow = "handlingsplan"', "", "[steering_group]",
             f'contacts = [{{ name = "Prosjektleiar", email = "leiar@{key}.example" }}]', ""]
    names = rng.sample(_NAMES, n_municipalities)
    for i, name in enumerate(names):
        pk = f"m{i:02d}"
        lines += ["[[parties]]", f'key = "{pk}"', f'name = "{name} kommune"', 'role = "municipality"',
                  f'number = "{4000 + i}"',
                  f'contacts = [{{ name = "Politisk sekretariat {name}", '
                  f'email = "post@{pk}.{key}.example" }}]']
        if rng.random() >= 0.2:
            lines += ["[parties.bodies.formannskap]", f'name = "Formannskapet i {name}"',
                      f"meetings = [{', '.join(d.isoformat() for d in _calendar(rng, year, 4))}]"]
        lines += ["[parties.bodies.kommunestyre]", f'name = "Kommunestyret i {name}"',
                  f"meetings = [{', '.join(d.isoformat() for d in _calendar(rng, year, 6))}]", ""]
    lines += ["[[parties]]", 'key = "county"', 'name = "Fylkeskommunen"', 'role = "county"',
              f'contacts = [{{ name = "Regional utvikling", email = "regional@{key}.example" }}]',
              "[parties.bodies.fylkeskommune]", 'name = "Fylkeskommunen"',
              f"meetings = [{', '.join(d.isoformat() for d in _calendar(rng, year, 5))}]", ""]
    if partner:
        lines += ["[[parties]]", 'key = "husbanken"', 'name = "Husbanken"', 'role = "partner"',
                  f'contacts = [{{ name = "Husbanken", email = "distrikt@{key}.example" }}]',
                  "[parties.bodies.samarbeidspart]", 'name = "Husbanken"', ""]
    lines += ["[[parties]]", 'key = "kdd"', 'name = "KDD"', 'role = "ministry"',
              f'contacts = [{{ name = "KDD", email = "kdd@{key}.example" }}]', ""]
    return "\n".join(lines)


def make_site(directory: Path, db_url: str, partnerships: dict[str, tuple[int, bool]],
              seed: int = 2025) -> Site:
    """A site folder in ``directory`` with one generated partnership per
    ``key → (municipalities, partner?)``, opened on ``db_url`` with the clock on
    :data:`TODAY`; every partnership is synchronised (parties, bodies, meetings)."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("workflows", "notifications"):
        if not (directory / name).exists():
            shutil.copytree(default_path(name), directory / name)
    (directory / "partnerships").mkdir(exist_ok=True)
    refs = []
    for key, (n, partner) in partnerships.items():
        (directory / "partnerships" / f"{key}.toml").write_text(
            partnership_toml(rng, key, n, partner=partner), encoding="utf-8")
        refs.append(f'[[partnerships]]\nfile = "partnerships/{key}.toml"\n')
    (directory / "config.toml").write_text(
        f'[site]\ndatabase_url = "{db_url}"\nlanguage = "nn"\n\n' + "\n".join(refs), encoding="utf-8")
    clock = SimulatedClock()
    clock.set_date(TODAY)
    site = Site.open(directory / "config.toml", clock)
    for key in partnerships:
        site.scope(key)
    return site


@dataclass(frozen=True)
class Populated:
    """What :func:`populate` inserted: plan version ids (in order), party case
    counts, and ``open_cases`` (cases in a phase, neither waiting nor passed)."""

    version_ids: list[int]
    cases: int
    open_cases: int
    resolutions: int
    #: (plan key, party key) of cases waiting on their first stage, for recording
    recordable: list[tuple[str, str]]


def _next_id(conn: Any, table: Table) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _insert(conn: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), _BATCH):
        conn.execute(table.insert(), rows[i:i + _BATCH])


def _fix_sequences(conn: Any, tables: Iterable[Table]) -> None:
    """PostgreSQL: explicit ids were inserted; move each id sequence past them."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                          f"(SELECT coalesce(max(id), 0) + 1 FROM {t.name}), false)"))


_STATES_ANY = (("approved", 0.35), ("in_municipalities", 0.30), ("at_county", 0.10),
               ("at_partners", 0.05), ("at_kdd", 0.10), ("superseded", 0.05), ("draft", 0.05))


def populate(site: Site, scope: Scope, n_versions: int, *, mix: str = "any", seed: int = 1
             ) -> Populated:
    """Insert ``n_versions`` plans (one version each) with deadlines, party
    cases, resolutions and audit rows into ``scope``'s partnership.

    ``mix``: ``"any"`` — states spread like a running installation (approved,
    in each phase, superseded, draft); ``"open"`` — every version with the
    municipalities and every municipality's case open (at its first stage, at
    kommunestyre after formannskap, deviating, rejected, or postponed);
    ``"fresh"`` — every version just sent to the municipalities, every
    municipality waiting on its first stage (what recording needs).
    """
    rng = random.Random(seed)
    cfg = scope.config
    parties = [(p.key, p.role, cfg.paths[p.key]) for p in cfg.parties]
    now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    t_plan, t_pv, t_dl = Plan.__table__, PlanVersion.__table__, Deadline.__table__  # type: ignore[attr-defined]
    t_pc, t_res, t_audit = PartyCase.__table__, Resolution.__table__, AuditRecord.__table__  # type: ignore[attr-defined]
    plans, versions, deadlines, cases, resolutions, audits = [], [], [], [], [], []
    recordable: list[tuple[str, str]] = []
    open_cases = 0
    with site.engine.begin() as conn:
        plan_id, pc_id = _next_id(conn, t_plan), _next_id(conn, t_pc)
        prefix = f"{mix}-{plan_id}"
        for i in range(n_versions):
            pid = plan_id + i
            key = f"{prefix}-{i:06d}"
            if mix == "any":
                state = rng.choices([s for s, _ in _STATES_ANY], [w for _, w in _STATES_ANY])[0]
            else:
                state = "in_municipalities"
            plans.append({"id": pid, "partnership_id": scope.id, "key": key,
                          "title": f"Handlingsplan {i}", "created_at": now})
            versions.append({"id": pid, "partnership_id": scope.id, "plan_id": pid, "number": 1,
                             "state": state, "proposal": PROPOSAL,
                             "submitted_on": None if state == "draft" else SUBMITTED,
                             "revises_id": None, "created_at": now, "updated_at": now, "version": 1})
            muni_due = rng.choice([date(2025, 5, 23), date(2025, 6, 13), date(2025, 6, 20),
                                   date(2025, 9, 26), date(2025, 11, 14)])
            for phase, due in (("municipalities", muni_due), ("county", muni_due + timedelta(days=7)),
                               ("partners", muni_due + timedelta(days=7)),
                               ("kdd", muni_due + timedelta(days=70))):
                deadlines.append({"partnership_id": scope.id, "plan_version_id": pid, "phase": phase,
                                  "due_date": due})
            if state == "draft":
                continue
            audits.append({"partnership_id": scope.id, "plan_version_id": pid, "party_id": None,
                           "at": now, "actor": "bench", "event": "submit", "subject": "plan",
                           "from_state": "draft", "to_state": "in_municipalities", "reason": "",
                           "details": {}})
            for party, role, path in parties:
                party_id = scope.party_ids[party]
                cstate, recs = _case_state(rng, state, role, path, mix)
                cases.append({"id": pc_id, "partnership_id": scope.id, "plan_version_id": pid,
                              "party_id": party_id, "state": cstate, "case_number": None,
                              "external_key": None, "version": 1})
                if cstate not in ("waiting", "passed", "returned"):
                    open_cases += 1
                if mix == "fresh" and role == "municipality":
                    recordable.append((key, party))
                for stage, outcome, verdict, day in recs:
                    resolutions.append({
                        "partnership_id": scope.id, "party_case_id": pc_id,
                        "body_id": scope.body_ids[(party, stage)], "stage": stage,
                        "meeting_date": day, "case_number": f"PS 25/{rng.randint(1, 99)}",
                        "outcome": outcome,
                        "text": DIFFERENT if verdict == "different" else PROPOSAL,
                        "verdict": verdict, "differences": [], "recorded_at": now,
                        "recorded_by": "bench", "source": "cli", "accepted_reason": None,
                        "accepted_by": None, "accepted_at": None, "import_key": None})
                pc_id += 1
        _insert(conn, t_plan, plans)
        _insert(conn, t_pv, versions)
        _insert(conn, t_dl, deadlines)
        _insert(conn, t_pc, cases)
        _insert(conn, t_res, resolutions)
        _insert(conn, t_audit, audits)
        _fix_sequences(conn, (t_plan, t_pv, t_dl, t_pc, t_res, t_audit))
    return Populated([v["id"] for v in versions], len(cases), open_cases, len(resolutions), recordable)


_Rec = tuple[str, str, "str | None", date]


def _case_state(rng: random.Random, pv_state: str, role: str, path: tuple[str, ...], mix: str
                ) -> tuple[str, list[_Rec]]:
    """A party case's state and the resolutions that led there."""
    first, last = path[0], path[-1]
    early = date(2025, 4, rng.randint(1, 29))
    late = date(2025, 5, rng.randint(1, 28))
    passed: list[_Rec] = ([(first, "passed", None, early)] if first != last else []) + [
        (last, "approved" if role != "municipality" else "passed",
         "identical" if role == "municipality" else None, late)]
    if pv_state in ("approved",):
        return "passed", passed
    if pv_state == "superseded":
        return ("returned" if role == "ministry" else "passed"), passed if role != "ministry" else []
    phase_role = {"in_municipalities": "municipality", "at_county": "county",
                  "at_partners": "partner", "at_kdd": "ministry"}[pv_state]
    order = ("municipality", "county", "partner", "ministry")
    if order.index(role) < order.index(phase_role):
        return "passed", passed
    if role != phase_role:
        return "waiting", []
    if mix == "fresh":
        return first, []
    r = rng.random()
    if mix == "any" and r < 0.3:
        return "passed", passed
    if first != last and r < 0.55:  # formannskap gave its recommendation
        return last, [(first, "passed", None, early)]
    if r < 0.63 and role == "municipality":
        return "deviating", [(last, "passed_with_amendments", "different", late)]
    if r < 0.67 and role == "municipality":
        return "rejected", [(last, "rejected", None, late)]
    if r < 0.72:
        return first, [(first, "postponed", None, early)]
    return first, []


def add_outbox_rows(site: Site, scope: Scope, n: int, tag: str) -> int:
    """``n`` pending outbox rows due now (bulk insert); returns how many."""
    now = site.clock.now()
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    recipients = [(c.name, c.email) for p in scope.config.parties for c in p.contacts]
    body = ("Hei,\n\nKommunestyret har ikkje handsama handlingsplanen før fristen "
            "20. juni 2025. Sjå bvflow status for detaljar.\n\nHelsing\nStyringsgruppa\n")
    rows = [{
        "partnership_id": scope.id, "plan_version_id": None, "party_id": None, "kind": "finding",
        "severity": "warning", "dedupe_key": f"bench:{tag}:{i}",
        "recipient": recipients[i % len(recipients)][1],
        "recipient_name": recipients[i % len(recipients)][0], "language": "nn",
        "subject": f"Manglande vedtak i sak {i} – handlingsplan 2025", "body_text": body,
        "body_html": "", "created_at": now, "due_at": now, "latest_at": None, "next_attempt_at": None,
        "status": "pending", "attempts": 0, "message_id": "", "sent_at": None, "last_error": ""}
        for i in range(n)]
    with site.engine.begin() as conn:
        _insert(conn, table, rows)
    return n
