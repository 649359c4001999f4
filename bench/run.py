"""Preparing a database with the synthetic partnerships, and running the benchmarks on it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from .data import make_site, populate
from .harness import Result, progress
from .mail import bench_mail
from .suite import Ctx, bench_findings, bench_loading, bench_recording, bench_status

__all__ = ["BENCHMARKS", "SIZES", "prepare", "run"]

#: Sizes per mode: ``full`` is the issue's, ``quick`` a look in a minute, ``tiny`` the smoke test.
SIZES: dict[str, dict[str, int]] = {
    "full": {"reps": 5, "record": 200, "load": 10_000, "status": 1_000, "status-small": 100,
             "find": 10_000, "mail": 1_000},
    "quick": {"reps": 3, "record": 30, "load": 1_000, "status": 100, "status-small": 20,
              "find": 1_000, "mail": 100},
    "tiny": {"reps": 1, "record": 3, "load": 12, "status": 6, "status-small": 3,
             "find": 4, "mail": 6},
}

#: Municipalities per generated partnership (parties = these + county [+ partner] + KDD).
#: "find" has 10 municipalities, the county and KDD: 12 parties, so its versions × 10
#: are the open party cases (100,000 at full size).
_SHAPES: dict[str, tuple[int, bool]] = {
    "rec": (6, True), "load": (6, True), "status": (6, True), "status-small": (6, True),
    "find": (10, False), "mail": (6, True),
}

BENCHMARKS: dict[str, Callable[[Ctx], list[Result]]] = {
    "recording": bench_recording,
    "loading": bench_loading,
    "status": bench_status,
    "findings": bench_findings,
    "mail": bench_mail,
}


def prepare(workdir: Path, db_url: str, db_label: str, mode: str = "full", seed: int = 2025) -> Ctx:
    """Open a site on ``db_url`` (an empty database) with the generated partnerships
    and their rows, sized for ``mode``."""
    sizes = SIZES[mode]
    t0 = time.perf_counter()
    progress(f"{db_label}: generating partnerships and rows ({mode})")
    site = make_site(workdir, db_url, _SHAPES, seed=seed)
    ctx = Ctx(site=site, db=db_label, reps=sizes["reps"], record_n=sizes["record"])
    n_rec = math.ceil(sizes["record"] * sizes["reps"] / 6) + 1
    rec = populate(site, site.scope("rec"), n_rec, mix="fresh", seed=seed + 1)
    ctx.recordable = rec.recordable
    county = site.scope("rec").party_ids["county"]
    with site.engine.connect() as conn:
        ctx.raw_case_ids = [r[0] for r in conn.execute(
            text("SELECT id FROM partycase WHERE party_id = :p ORDER BY id"), {"p": county})]
    for key, mix in (("load", "any"), ("status", "any"), ("status-small", "any"), ("find", "open")):
        p = populate(site, site.scope(key), sizes[key], mix=mix, seed=seed + len(key))
        ctx.sizes[key] = sizes[key]
        progress(f"{db_label}: {key}: {sizes[key]:,} versions, {p.cases:,} party cases "
                 f"({p.open_cases:,} open), {p.resolutions:,} resolutions")
    ctx.sizes["mail"] = sizes["mail"]
    with site.engine.begin() as conn:  # statistics, as a live database has them (autovacuum)
        conn.exec_driver_sql("ANALYZE")
    progress(f"{db_label}: data ready in {time.perf_counter() - t0:.1f} s")
    return ctx


def run(ctx: Ctx, only: list[str] | None = None, profile_dir: Path | None = None) -> list[Result]:
    """Run the benchmarks (all, or those named in ``only``) on a prepared context;
    with ``profile_dir`` each runs under pyinstrument and its profile is written there."""
    results: list[Result] = []
    names = only or list(BENCHMARKS)
    for i, name in enumerate(names, 1):
        progress(f"[{i}/{len(names)}] {name} on {ctx.db}")
        if profile_dir is not None:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
            try:
                rows = BENCHMARKS[name](ctx)
            finally:
                profiler.stop()
            profile_dir.mkdir(parents=True, exist_ok=True)
            (profile_dir / f"{name}-{ctx.db}.txt").write_text(
                profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
        else:
            rows = BENCHMARKS[name](ctx)
        for r in rows:
            print(f"{r.benchmark:<38} {r.database:<10} {r.figure:>28}  vs {r.baseline:>28}  "
                  f"{r.ratio:<20} target {r.target:<30} {'met' if r.met else 'MISSED'}", flush=True)
        results += rows
    return results
