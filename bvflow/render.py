"""Plain-text rendering for terminals: status matrix, findings, history.

Readable at a glance without colour: every mark has a word beside it.
"""

from __future__ import annotations

from collections.abc import Iterable

from .findings import Finding
from .messages import fmt_date, text
from .queries import Cell, HistoryEntry, OverviewRow, VersionStatus
from .workflow import WorkflowDefinition

__all__ = ["render_findings", "render_history", "render_overview", "render_status"]

_OUTCOME = {
    "passed": "vedteke", "passed_with_amendments": "vedteke m/endr.", "rejected": "avvist",
    "postponed": "utsett", "approved": "godkjent", "returned_non_principled": "returnert (ikkje-pr.)",
    "returned_principled": "returnert (prinsipiell)",
}
_VERDICT_MARK = {"identical": "=", "minor": "≈", "different": "≠"}


def _cell(c: Cell, lang: str) -> str:
    if not c.outcome:
        return f"· neste møte {c.next_meeting:%d.%m.%Y}" if c.next_meeting else "· inkje møte"
    parts = [f"{c.meeting_date:%d.%m.%Y}" if c.meeting_date else "", _OUTCOME.get(c.outcome, c.outcome)]
    if c.case_number:
        parts.insert(1, c.case_number)
    if c.verdict:
        parts.append(f"{_VERDICT_MARK[c.verdict]} {text(lang, f'verdict.{c.verdict}')}")
    if c.accepted:
        parts.append("(godteke)")
    return " ".join(p for p in parts if p)


def render_status(statuses: Iterable[VersionStatus], wf: WorkflowDefinition, lang: str = "nn") -> str:
    """A matrix per plan version: one block per phase, parties × stages."""
    out: list[str] = []
    for st in statuses:
        out.append(f"{st.plan} v{st.version} · {st.title} · tilstand: {st.state}")
        if st.submitted_on:
            out.append(f"  sendt ut {fmt_date(st.submitted_on, lang)}")
        if st.deadlines:
            out.append("  fristar: " + ", ".join(
                f"{k} {fmt_date(v, lang)}" for k, v in sorted(st.deadlines.items(), key=lambda x: x[1])))
        for phase in wf.phases:
            rows = [p for p in st.parties if p.role == phase.role]
            if not rows:
                continue
            marker = "▶" if st.state == phase.state else " "
            out.append(f" {marker} {phase.name} ({phase.state})")
            width = max(len(r.name) for r in rows)
            table = [[r.name.ljust(width)] + [f"{c.stage}: {_cell(c, lang)}" for c in r.cells]
                     + [f"[{r.state}]"] for r in rows]
            colw = [max(len(row[i]) if i < len(row) - 1 else 0 for row in table)
                    for i in range(max(len(t) for t in table))]
            for row in table:
                cells = row[:-1]
                line = "   " + "  ".join(c.ljust(colw[i]) for i, c in enumerate(cells))
                out.append(f"{line}  {row[-1]}".rstrip())
        if st.findings:
            out.append(f"  funn ({len(st.findings)}):")
            out.extend("    " + _finding_line(f, lang) for f in st.findings)
        else:
            out.append("  funn: ingen")
        out.append("")
    return "\n".join(out).rstrip() + "\n" if out else "Ingen planar.\n"


def _finding_line(f: Finding, lang: str) -> str:
    mark = "!!" if f.severity == "critical" else " !"
    return f"{mark} [{f.kind}] {f.message_in(lang)}"


def render_findings(findings: Iterable[Finding], lang: str = "nn") -> str:
    lines = [f"{f.plan} v{f.version}  {_finding_line(f, lang)}" for f in findings]
    return "\n".join(lines) + "\n" if lines else "Ingen funn.\n"


def render_history(entries: Iterable[HistoryEntry]) -> str:
    lines = []
    for e in entries:
        who = f" {e.party}" if e.party else ""
        change = f"{e.from_state or '∅'} → {e.to_state}"
        reason = f"  «{e.reason}»" if e.reason else ""
        actor = e.actor or "-"
        lines.append(f"{e.at[:19]}Z  v{e.version}  {actor:<20} {e.event:<18}{who:<12} {change}{reason}")
    return "\n".join(lines) + "\n" if lines else "Ingen hendingar.\n"


def render_overview(rows: Iterable[OverviewRow], lang: str = "nn") -> str:
    """One line per partnership plan: state, next deadline, open findings."""
    table = [("partnarskap", "plan", "tilstand", "neste frist", "funn")]
    for r in rows:
        plan = f"{r.plan} v{r.version}" if r.plan else "(ingen plan)"
        deadline = fmt_date(r.next_deadline, lang) if r.next_deadline else "–"
        found = f"{r.findings} ({r.critical} kritisk{'e' if r.critical != 1 else ''})" \
            if r.findings else "0"
        table.append((r.partnership_name, plan, r.state or "–", deadline, found))
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    return "\n".join("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip()
                     for row in table) + "\n"
