"""``python -m bench [--db sqlite|postgresql|both] [--quick] [--only NAME …] [--profile]``.

Generates the synthetic partnerships in a fresh database (a SQLite file in a
temporary folder; on PostgreSQL a database ``bvflow_bench_<pid>`` created on
the server of ``BVFLOW_BENCH_PG`` — default the local test server — and
dropped at the end), runs the benchmarks and writes ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import psycopg

from .harness import Result, write_results
from .run import BENCHMARKS, prepare, run

HERE = Path(__file__).resolve().parent
PG_ADMIN = os.environ.get("BVFLOW_BENCH_PG", "host=127.0.0.1 port=5432 dbname=test user=postgres")
PG_URL = os.environ.get("BVFLOW_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/{db}")


def _run_db(db: str, mode: str, only: list[str] | None, profile: bool) -> list[Result]:
    profile_dir = HERE / "profiles" if profile else None
    with tempfile.TemporaryDirectory(prefix="bvflow-bench-") as tmp:
        if db == "sqlite":
            ctx = prepare(Path(tmp) / "site", f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", mode)
            try:
                return run(ctx, only, profile_dir)
            finally:
                ctx.site.engine.dispose()
        name = f"bvflow_bench_{os.getpid()}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            ctx = prepare(Path(tmp) / "site", PG_URL.format(db=name), "postgresql", mode)
            try:
                return run(ctx, only, profile_dir)
            finally:
                ctx.site.engine.dispose()
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--quick", action="store_true", help="small sizes, 3 repetitions (about a minute)")
    ap.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these benchmarks")
    ap.add_argument("--profile", action="store_true",
                    help="run each benchmark under pyinstrument; profiles in bench/profiles/")
    ap.add_argument("-o", "--output", type=Path, default=None,
                    help="results table (default bench/results.md; with --quick "
                         "bench/results-quick.md, not tracked)")
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "full"
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results: list[Result] = []
    for db in dbs:
        results += _run_db(db, mode, args.only, args.profile)
    header = (f"# Benchmark results\n\n`python -m bench --db {args.db}{' --quick' if args.quick else ''}`"
              f" on {datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()}, "
              f"{platform.machine()}, {os.cpu_count()} cores (shared). Every figure and its baseline "
              "were measured in the same run; times are medians of the repetitions.")
    output = args.output or HERE / ("results-quick.md" if args.quick else "results.md")
    write_results(output, results, header)
    missed = [r for r in results if not r.met]
    print(f"\n{len(results) - len(missed)}/{len(results)} targets met; table in {output}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
