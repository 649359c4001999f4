"""Measuring: medians of repetitions, peak memory, queries issued, progress, the results table.

Every benchmark measures its figure and its baseline in the same run, each
as the median of ``reps`` repetitions (``time.perf_counter``); memory is
measured in a separate repetition under ``tracemalloc`` (which slows Python
down, so never in the timed ones).
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

__all__ = ["Result", "Timing", "count_queries", "peak_memory", "progress", "time_median",
           "write_results"]


@dataclass(frozen=True)
class Result:
    """One row of the results table.

    ``figure`` and ``baseline`` are already formatted with their unit;
    ``ratio`` is figure/baseline in the sense the target is written in
    (e.g. "0.62 × raw rate", "1.4 × time").
    """

    benchmark: str
    database: str
    figure: str
    baseline: str
    ratio: str
    target: str
    met: bool
    note: str = ""

    def row(self) -> str:
        cells = [self.benchmark, self.database, self.figure, self.baseline, self.ratio, self.target,
                 "yes" if self.met else "**no**"]
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


@dataclass(frozen=True)
class Timing:
    """Median seconds of ``reps`` runs, and every run's seconds."""

    median: float
    runs: tuple[float, ...]


def progress(msg: str) -> None:
    """One line on stderr, so a long run shows where it is."""
    print(f"  … {msg}", file=sys.stderr, flush=True)


def time_median(fn: Callable[[], Any], reps: int, label: str = "",
                setup: Callable[[], Any] | None = None) -> Timing:
    """Run ``setup`` (untimed) then ``fn`` (timed) ``reps`` times; the median seconds."""
    runs = []
    for i in range(reps):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
        if label:
            progress(f"{label}: run {i + 1}/{reps} {runs[-1] * 1000:.1f} ms")
    return Timing(statistics.median(runs), tuple(runs))


def peak_memory(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Peak bytes traced while ``fn`` runs (its result kept alive until the end), and the result."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base, result


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    """Collect every statement the engine sends to the database while the block runs."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
               executemany: bool) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def write_results(path: Path, results: list[Result], header: str) -> None:
    """The Markdown table (benchmark, database, figure, baseline, ratio, target, met?) and notes."""
    lines = [header, "",
             "| benchmark | database | figure | baseline | ratio | target | met? |",
             "|---|---|---|---|---|---|---|"]
    lines += [r.row() for r in results]
    notes = [f"- **{r.benchmark}** ({r.database}): {r.note}" for r in results if r.note]
    if notes:
        lines += ["", "Notes:", "", *notes]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
