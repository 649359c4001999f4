"""Smoke test of bench/: every benchmark at tiny sizes on SQLite and PostgreSQL,
so the benchmarks cannot rot. Asserts real values (rows recorded, machines
built, query counts equal at two sizes), never timings."""

from __future__ import annotations

from pathlib import Path

import pytest

import bench
from bench.mail import bench_mail
from bench.suite import (
    bench_findings,
    bench_loading,
    bench_recording,
    bench_status,
    findings_sql,
    load_versions,
    status_queries,
)
from bvflow import machines


@pytest.fixture
def ctx(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    label = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    c = bench.prepare(tmp_path / "site", db_url, label, "tiny")
    yield c
    c.site.engine.dispose()


def test_every_benchmark_runs_and_measures_real_work(ctx: bench.suite.Ctx) -> None:
    sizes = bench.SIZES["tiny"]
    site = ctx.site
    # 2: every stored version loaded, with one adapter per party case; two machines per definition
    loaded = load_versions(site, "load")
    assert len(loaded) == sizes["load"]
    assert sum(len(f) for _, f in loaded) == sum(1 for pv, _ in loaded if pv.state != "draft") * 9
    machines._CACHE.clear()
    before = machines.MACHINES_BUILT
    load_versions(site, "load")
    load_versions(site, "load")
    assert machines.MACHINES_BUILT - before == 2
    # 3: the status JSON's query count does not grow with the number of versions
    assert status_queries(site, "status") == status_queries(site, "status-small")
    # 4: the baseline counts every open party case: 10 municipalities per version
    assert findings_sql(site, "find") == sizes["find"] * 10

    rows = (bench_recording(ctx) + bench_loading(ctx) + bench_status(ctx) + bench_findings(ctx)
            + bench_mail(ctx))
    by_name = {r.benchmark: r for r in rows}
    assert len(by_name) == 9
    assert by_name["2. load plan versions: machines"].met
    assert by_name["3. status matrix: queries"].met
    assert by_name["1. recorded resolution"].note.startswith(f"{sizes['record']} resolutions recorded")
    assert by_name["4. findings"].note.startswith(f"{sizes['find'] * 10} open party cases")
    assert all(r.database == ctx.db for r in rows)
    out = Path(site.config.path).parent / "results.md"
    bench.harness.write_results(out, rows, "# smoke")
    assert out.read_text(encoding="utf-8").count("\n| ") == 10  # header row + 9
