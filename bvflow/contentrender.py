"""Plain-text views of a plan's content for the command line: sub-goals with
their measures, the ledger of state funds, the problems of the checks."""

from __future__ import annotations

from collections.abc import Iterable

from .contentchecks import LedgerYear, Problem
from .contentmodel import PlanContent, fmt_nok
from .messages import text

__all__ = ["render_content", "render_ledger", "render_problems"]

_LABELS = {
    "weight": {"nn": "vekt", "nb": "vekt", "en": "weight"},
    "ledger": {"nn": "Tiltaksmidlar per år (overføring medrekna)",
               "nb": "Tiltaksmidler per år (overføring medregnet)",
               "en": "Measure funds per year (carry-over included)"},
    "columns": {"nn": "år    løyvd  overført inn  tilgjengeleg  fordelt  brukt  overført ut",
                "nb": "år    bevilget  overført inn  tilgjengelig  fordelt  brukt  overført ut",
                "en": "year  granted  carried in  available  allocated  spent  carried out"},
    "error": {"nn": "feil", "nb": "feil", "en": "error"},
    "warning": {"nn": "åtvaring", "nb": "advarsel", "en": "warning"},
    "ok": {"nn": "Innhaldet er i orden.", "nb": "Innholdet er i orden.", "en": "The content is in order."},
}


def _l(lang: str, key: str) -> str:
    return _LABELS[key].get(lang, _LABELS[key]["nn"])


def render_content(content: PlanContent, lang: str = "nn") -> str:
    """Sub-goals with weight and their measures (status, funding, money per year)."""
    out = []
    for g in content.sub_goals:
        out.append(f"{g.key}: {g.title} ({_l(lang, 'weight')} {g.weight_pct} %)")
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
    out = [_l(lang, "ledger") + ":", "  " + _l(lang, "columns")]
    for r in rows:
        cells = [fmt_nok(v, lang) for v in (r.granted, r.carried_in, r.available, r.allocated, r.spent,
                                             r.carried_out)]
        out.append(f"  {r.year}  " + " · ".join(cells))
    return "\n".join(out) + "\n"


def render_problems(problems: Iterable[Problem], lang: str = "nn") -> str:
    rows = [f"{_l(lang, p.severity)}: {p.message}" for p in problems]
    return ("\n".join(rows) if rows else _l(lang, "ok")) + "\n"
