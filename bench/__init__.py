"""bvflow's benchmarks against the physical limits and the peer libraries (issue 8).

Run them with ``python -m bench [--db sqlite|postgresql|both] [--quick]``;
they print each figure with its baseline measured in the same run and write
``bench/results.md``. ``tests/test_bench.py`` runs every benchmark at tiny
sizes so that they cannot rot. See ``bench/NOTES.md`` for what was found.
"""

from __future__ import annotations

from .harness import Result
from .run import SIZES, prepare, run

__all__ = ["Result", "SIZES", "prepare", "run"]
