"""Plain-text views of a plan's content for the command line: sub-goals with
their measures, the ledger of state funds, the problems of the checks."""

from __future__ import annotations

from collections.abc import Iterable

from .contentchecks import LedgerYear, Problem
from .contentmodel import PlanContent, fmt_nok
from .messages import text

__all__ = ["render_content", "render_ledger", "render_problems"]

def render_content(content: PlanContent, lang: str = "nn") -> str:
    """Sub-goals with weight and their measures (status, funding, money per year)."""
    out = []
    for g in content.sub_goals:
        out.append(f"{g.key}: {g.title} ({text(lang, 'show.weight')} {g.weight_pct} %)")
        for m in (m for m in content.measures if m.sub_goal == g.key):
            period = f"{m.start.isoformat()}–{m.end.isoformat() if m.end else ''}"
            out.append(f"  {m.key}: {m.title}")
            out.append(f"    {text(lang, 'mstatus.' + m.status)} · {text(lang, 'funding.' + m.funding)} · "
                       f"{period} · {m.responsible}")
            money = ", ".join(f"{y}: {fmt_nok(a, lang)}" for y, a in m.budget.items())
            if money:
                out.append(f"    {money}")
    for m in (m for m in content.measures if content.sub_goal(m.sub_goal) is None):
        out.append(f"  ? {m.key}: {m.title} ({m.sub_goal})")
    return "\n".join(out) + "\n"


def render_ledger(rows: Iterable[LedgerYear], lang: str = "nn") -> str:
    out = [text(lang, "show.ledger") + ":", "  " + text(lang, "show.columns")]
    for r in rows:
        cells = [fmt_nok(v, lang) for v in (r.granted, r.carried_in, r.available, r.allocated, r.spent,
                                             r.carried_out)]
        out.append(f"  {r.year}  " + " · ".join(cells))
    return "\n".join(out) + "\n"


def render_problems(problems: Iterable[Problem], lang: str = "nn") -> str:
    rows = [f"{text(lang, 'show.' + p.severity)}: {p.message}" for p in problems]
    return ("\n".join(rows) if rows else text(lang, "show.ok")) + "\n"
