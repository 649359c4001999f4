"""Benchmarks 1–4: recording, loading into the machines, the status matrix, findings.

Each function takes a prepared :class:`Ctx` (a site whose partnerships hold
the generated rows), measures bvflow's real path and the baseline in the
same run, and returns rows of the results table. The measured paths are
bvflow's own: :func:`bvflow.recording.record_resolution`,
:func:`bvflow.queries.status` with the JSON ``bvflow status --json`` prints,
:func:`bvflow.findings.compute_findings`, and the adapters of
:mod:`bvflow.machines` built the way :mod:`bvflow.engine` builds them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import select

from bvflow import machines, queries
from bvflow.db import unit_of_work
from bvflow.engine import _plan_fsm
from bvflow.findings import compute_findings
from bvflow.machines import CaseFSM
from bvflow.models import PartyCase, PlanVersion
from bvflow.recording import record_resolution
from bvflow.render import to_json
from bvflow.site import Site

from .data import TODAY
from .harness import Result, count_queries, peak_memory, progress, time_median

__all__ = ["Ctx", "bench_recording", "bench_loading", "bench_status", "bench_findings",
           "load_versions", "load_rows"]


@dataclass
class Ctx:
    """A prepared site and what the benchmarks need from it."""

    site: Site
    db: str
    reps: int
    #: (plan key, party) pairs not yet recorded, consumed by :func:`bench_recording`
    recordable: list[tuple[str, str]] = field(default_factory=list)
    #: case ids the raw baseline of recording may update (never read by the figure)
    raw_case_ids: list[int] = field(default_factory=list)
    record_n: int = 200
    sizes: dict[str, int] = field(default_factory=dict)


# -- 1. recorded resolutions ------------------------------------------------

RECORD_DAY = date(2025, 5, 27)


def bench_recording(ctx: Ctx, partnership: str = "rec") -> list[Result]:
    """Resolutions recorded per second through :func:`record_resolution`
    (compare, fire, audit, findings, outbox; one commit each) vs a raw
    ``UPDATE`` + ``INSERT`` + commit on the driver connection the engine makes."""
    site, n = ctx.site, ctx.record_n
    todo = iter(ctx.recordable)
    outcomes: list[str] = []

    def figure() -> None:
        for _ in range(n):
            plan, party = next(todo)
            r = record_resolution(site, partnership, plan, party, "kommunestyre", RECORD_DAY,
                                  "passed", as_proposed=True, actor="bench")
            outcomes.append(r.case_state)

    t_fig = time_median(figure, ctx.reps, f"{ctx.db} record_resolution ×{n}")
    raw = site.engine.raw_connection()
    dbapi = raw.driver_connection
    pg = site.engine.dialect.name == "postgresql"
    mark = "%s" if pg else "?"
    ids = ctx.raw_case_ids
    scope = site.scope(partnership)
    now = datetime.now(UTC).replace(tzinfo=None)
    with site.engine.connect() as conn:
        pv_of = dict(conn.execute(text("SELECT id, plan_version_id FROM partycase WHERE id IN ("
                                       + ",".join(map(str, ids)) + ")")).all()) if ids else {}
    update = f"UPDATE partycase SET state = {mark}, version = version + 1 WHERE id = {mark}"
    insert = (f"INSERT INTO auditrecord (partnership_id, plan_version_id, party_id, at, actor, event, "
              f"subject, from_state, to_state, reason, details) VALUES ({', '.join([mark] * 11)})")

    def baseline() -> None:
        cur = dbapi.cursor()
        for i in range(n):
            cid = ids[i % len(ids)]
            if not pg:
                cur.execute("BEGIN")
            cur.execute(update, ("waiting", cid))
            cur.execute(insert, (scope.id, pv_of[cid], None, now, "bench", "record", "case",
                                 "waiting", "waiting", "", "{}"))
            dbapi.commit() if pg else cur.execute("COMMIT")
        cur.close()

    try:
        t_raw = time_median(baseline, ctx.reps, f"{ctx.db} raw update+insert+commit ×{n}")
    finally:
        raw.close()
    fig_rate, raw_rate = n / t_fig.median, n / t_raw.median
    ratio = fig_rate / raw_rate
    passed = sum(s == "passed" for s in outcomes)
    return [Result("1. recorded resolution", ctx.db, f"{fig_rate:,.0f} /s", f"{raw_rate:,.0f} /s",
                   f"{ratio:.2f} × raw rate", "≥ 0.50 × raw rate", ratio >= 0.5,
                   f"{len(outcomes)} resolutions recorded ({passed} passed), median of {ctx.reps} "
                   f"runs of {n}")]


# -- 2. loading plan versions into their machines ---------------------------

def load_rows(site: Site, partnership: str) -> tuple[list[PlanVersion], list[PartyCase]]:
    """The baseline: the partnership's plan versions and party cases as ORM rows."""
    scope = site.scope(partnership)
    with unit_of_work(site.engine) as s:
        versions = list(s.exec(select(PlanVersion).where(PlanVersion.partnership_id == scope.id)))
        cases = list(s.exec(select(PartyCase).where(PartyCase.partnership_id == scope.id)))
    return versions, cases


def load_versions(site: Site, partnership: str) -> list[tuple[Any, list[CaseFSM]]]:
    """The same rows, each in its machine adapter: a ``PlanFSM`` per version
    (built as :mod:`bvflow.engine` builds it to fire events) and a ``CaseFSM``
    per party case, on the cached machines of the partnership's workflow."""
    scope = site.scope(partnership)
    versions, cases = load_rows(site, partnership)
    by_pv: dict[int, list[PartyCase]] = defaultdict(list)
    for c in cases:
        by_pv[c.plan_version_id].append(c)
    paths = scope.config.paths
    out = []
    for pv in versions:
        wm = scope.machines
        cs = by_pv.get(pv.id, [])  # type: ignore[arg-type]
        fsms = [CaseFSM(c, paths[scope.party_key(c.party_id)]) for c in cs]
        out.append((_plan_fsm(scope, pv, cs), fsms))
        assert wm.plan is not None
    return out


def bench_loading(ctx: Ctx, partnership: str = "load") -> list[Result]:
    site = ctx.site
    n = ctx.sizes[partnership]
    loaded = load_versions(site, partnership)  # warm-up (and a check of the shape)
    assert len(loaded) == n, (len(loaded), n)
    cases = sum(len(f) for _, f in loaded)
    t_base = time_median(lambda: load_rows(site, partnership), ctx.reps, f"{ctx.db} rows alone ×{n}")
    t_fig = time_median(lambda: load_versions(site, partnership), ctx.reps,
                        f"{ctx.db} rows into machines ×{n}")
    progress(f"{ctx.db} memory (tracemalloc)")
    mem_base, _ = peak_memory(lambda: load_rows(site, partnership))
    mem_fig, _ = peak_memory(lambda: load_versions(site, partnership))
    # machines built while loading, from a cold cache (a new process)
    machines._CACHE.clear()
    before = machines.MACHINES_BUILT
    load_versions(site, partnership)
    built = machines.MACHINES_BUILT - before
    definitions = len({p.workflow.name for p in site.config.partnerships})
    over = (mem_fig - mem_base) / 2**20
    ratio = t_fig.median / t_base.median
    return [
        Result("2. load plan versions: time", ctx.db, f"{t_fig.median * 1000:,.0f} ms",
               f"{t_base.median * 1000:,.0f} ms", f"{ratio:.2f} × time", "< 2 × time", ratio < 2,
               f"{n:,} versions, {cases:,} party cases"),
        Result("2. load plan versions: memory", ctx.db, f"{mem_fig / 2**20:,.1f} MB peak",
               f"{mem_base / 2**20:,.1f} MB peak", f"+{over:,.1f} MB", "< +50 MB", over < 50),
        Result("2. load plan versions: machines", ctx.db, f"{built} Machine objects",
               f"{definitions} workflow definition(s)", f"{built / definitions:.0f} per definition",
               "2 per definition (plan + case)", built == 2 * definitions,
               "a definition has two machines, one for plan versions and one for party cases "
               "(different states and events); none is built per row"),
    ]


# -- 3. status matrix --------------------------------------------------------

def status_json(site: Site, partnership: str) -> str:
    """What ``bvflow status --json`` prints for the partnership."""
    st = queries.status(site, partnership)
    return to_json([s.to_dict() for s in st])  # the CLI's own printer


_STATUS_SQL = """
SELECT p.key, p.title, pv.number, pv.state, pv.submitted_on, pv.proposal, pc.party_id, pc.state,
       r.stage, r.meeting_date, r.case_number, r.outcome, r.verdict, r.accepted_at,
       r.accepted_reason, r.text
FROM planversion pv
JOIN plan p ON p.id = pv.plan_id
LEFT JOIN partycase pc ON pc.plan_version_id = pv.id
LEFT JOIN resolution r ON r.party_case_id = pc.id
WHERE pv.partnership_id = :pid AND pv.state <> 'superseded'
ORDER BY p.key, pv.number, pc.party_id, r.id
"""


def status_sql(site: Site, partnership: str) -> int:
    """The baseline: one hand-written select of the same rows; returns the row count."""
    scope = site.scope(partnership)
    with site.engine.connect() as conn:
        return len(conn.execute(text(_STATUS_SQL), {"pid": scope.id}).all())


def status_queries(site: Site, partnership: str) -> int:
    """Statements issued to build the status JSON once."""
    with count_queries(site.engine) as seen:
        status_json(site, partnership)
    return len(seen)


def bench_status(ctx: Ctx, partnership: str = "status", small: str = "status-small") -> list[Result]:
    site = ctx.site
    n, n_small = ctx.sizes[partnership], ctx.sizes[small]
    out = json.loads(status_json(site, partnership))  # warm-up and shape check
    rows = sum(len(v["parties"]) for v in out)
    t_fig = time_median(lambda: status_json(site, partnership), ctx.reps, f"{ctx.db} status --json ×{n}")
    t_base = time_median(lambda: status_sql(site, partnership), ctx.reps, f"{ctx.db} one select ×{n}")
    q_big, q_small = status_queries(site, partnership), status_queries(site, small)
    ratio = t_fig.median / t_base.median
    return [
        Result("3. status matrix: time", ctx.db, f"{t_fig.median * 1000:,.0f} ms",
               f"{t_base.median * 1000:,.0f} ms", f"{ratio:.2f} × time", "≤ 3 × time", ratio <= 3,
               f"{len(out):,} versions × {rows / max(len(out), 1):.0f} parties (JSON "
               f"{len(status_json(site, partnership)) / 2**20:.1f} MB), findings included"),
        Result("3. status matrix: queries", ctx.db, f"{q_big} queries ({n:,} versions)",
               f"{q_small} queries ({n_small:,} versions)", "constant" if q_big == q_small else "grows",
               "same count at both sizes", q_big == q_small),
    ]


# -- 4. findings -------------------------------------------------------------

_FINDINGS_SQL = """
SELECT pc.state, count(*), sum(CASE WHEN d.due_date < :at THEN 1 ELSE 0 END), max(r.last_date)
FROM partycase pc
JOIN planversion pv ON pv.id = pc.plan_version_id
LEFT JOIN deadline d ON d.plan_version_id = pv.id AND d.phase = 'municipalities'
LEFT JOIN (SELECT party_case_id, max(meeting_date) AS last_date FROM resolution
           WHERE partnership_id = :pid GROUP BY party_case_id) r ON r.party_case_id = pc.id
WHERE pv.partnership_id = :pid AND pv.state IN ('in_municipalities', 'at_county', 'at_partners', 'at_kdd')
  AND pc.state NOT IN ('passed', 'waiting', 'returned')
GROUP BY pc.state
"""


def findings_of(site: Site, partnership: str, at: date = TODAY) -> int:
    """bvflow's findings for the partnership on ``at``; returns how many."""
    scope = site.scope(partnership)
    with unit_of_work(site.engine) as s:
        return len(compute_findings(s, scope, at, language=site.config.language,
                                    missing_record_working_days=site.config.missing_record_working_days))


def findings_sql(site: Site, partnership: str, at: date = TODAY) -> int:
    """The baseline: one aggregate over the same open cases; returns the cases counted."""
    scope = site.scope(partnership)
    with site.engine.connect() as conn:
        rows = conn.execute(text(_FINDINGS_SQL), {"pid": scope.id, "at": at}).all()
    return sum(r[1] for r in rows)


def bench_findings(ctx: Ctx, partnership: str = "find") -> list[Result]:
    site = ctx.site
    counted = findings_sql(site, partnership)
    found = findings_of(site, partnership)
    t_fig = time_median(lambda: findings_of(site, partnership), ctx.reps,
                        f"{ctx.db} compute_findings over {counted:,} open cases")
    t_base = time_median(lambda: findings_sql(site, partnership), ctx.reps, f"{ctx.db} one aggregate")
    ratio = t_fig.median / t_base.median
    return [Result("4. findings", ctx.db, f"{t_fig.median * 1000:,.0f} ms", f"{t_base.median * 1000:,.0f} ms",
                   f"{ratio:.2f} × time", "≤ 5 × time", ratio <= 5,
                   f"{counted:,} open party cases, {found:,} findings")]
