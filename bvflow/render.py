"""Plain-text rendering for terminals: status matrix, findings, history.

Readable at a glance without colour: every mark has a word beside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from .findings import Finding
from .messages import fmt_date, text
from .queries import Cell, HistoryEntry, OverviewRow, VersionStatus
from .services import RecordResult
from .textcompare import render_diff
from .workflow import WorkflowDefinition

__all__ = [
    "case_state_label", "to_json", "plan_state_label", "render_findings", "render_history",
    "render_overview", "render_record", "render_status", "render_summary",
]

_VERDICT_MARK = {"identical": "=", "minor": "≈", "different": "≠"}


def to_json(data: Any) -> str:
    """``data`` as the indented JSON every ``--json`` option prints: UTF-8 text
    (no ``\\u`` escapes), two-space indent, dates ISO, anything else ``str()``.

    Byte for byte what ``json.dumps(data, ensure_ascii=False, indent=2,
    default=str)`` gives, through orjson's C encoder: the standard library
    falls back to pure Python whenever ``indent`` is set, which made printing
    a large status matrix cost as much as building it (bench: status matrix).
    """
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME,
                        default=str).decode("utf-8")


def plan_state_label(wf: WorkflowDefinition, state: str, lang: str = "nn") -> str:
    """People's words for a plan-version state ("til handsaming: Kommunane")."""
    phase = wf.phase_by_state(state)
    if phase is not None:
        return text(lang, "state.phase", phase=phase.title)
    return text(lang, f"state.{state}")


def case_state_label(wf: WorkflowDefinition, state: str, lang: str = "nn") -> str:
    """People's words for a party-case state ("ventar på Kommunestyre")."""
    if state in wf.stages:
        return text(lang, "case.stage", stage=wf.stages[state].title)
    if state == "—":
        return "–"
    return text(lang, f"case.{state}")


def _cell(c: Cell, wf: WorkflowDefinition, reached: bool, lang: str) -> str:
    title = wf.stages[c.stage].title
    if not c.outcome:
        if not reached:
            return f"{title}: –"
        if c.next_meeting:
            return f"{title}: {text(lang, 'label.next_meeting')} {c.next_meeting:%d.%m.%Y}"
        if wf.stages[c.stage].kind in ("approval", "final_approval"):
            return f"{title}: –"
        return f"{title}: {text(lang, 'label.no_meeting')}"
    parts = [f"{c.meeting_date:%d.%m.%Y}" if c.meeting_date else "", c.case_number,
             text(lang, f"outcome.{c.outcome}")]
    if c.verdict and c.outcome in ("passed", "passed_with_amendments"):
        parts.append(f"{_VERDICT_MARK[c.verdict]} {text(lang, f'verdict.{c.verdict}')}")
    if c.accepted:
        parts.append(f"({text(lang, 'label.accepted')})")
    return f"{title}: " + " ".join(p for p in parts if p)


def render_status(statuses: Iterable[VersionStatus], wf: WorkflowDefinition, lang: str = "nn") -> str:
    """A matrix per plan version: one block per phase, parties × stages, in words and marks."""
    out: list[str] = []
    for st in statuses:
        out.append(f"{st.plan} v{st.version} · {st.title}")
        out.append(f"  {plan_state_label(wf, st.state, lang)}")
        if st.submitted_on:
            out.append(f"  sendt ut {fmt_date(st.submitted_on, lang)}")
        if st.deadlines:
            out.append("  fristar: " + ", ".join(
                f"{wf.phase(k).title if k in {p.name for p in wf.phases} else k} {fmt_date(v, lang)}"
                for k, v in sorted(st.deadlines.items(), key=lambda x: x[1])))
        for phase in wf.phases:
            rows = [p for p in st.parties if p.role == phase.role]
            if not rows:
                continue
            marker = "▶" if st.state == phase.state else " "
            out.append(f" {marker} {phase.title}")
            width = max(len(r.name) for r in rows)
            table = []
            for r in rows:
                stages = [c.stage for c in r.cells]
                current = stages.index(r.state) if r.state in stages else len(stages)
                if r.state in ("waiting", "—"):
                    current = -1
                cells = [_cell(c, wf, i >= current >= 0 or r.state in ("deviating", "rejected"), lang)
                         for i, c in enumerate(r.cells)]
                table.append([r.name.ljust(width), *cells,
                              f"[{case_state_label(wf, r.state, lang)}]"])
            ncols = max(len(t) for t in table)
            colw = [max((len(row[i]) for row in table if i < len(row) - 1), default=0)
                    for i in range(ncols)]
            for row in table:
                line = "   " + "  ".join(c.ljust(colw[i]) for i, c in enumerate(row[:-1]))
                out.append(f"{line}  {row[-1]}".rstrip())
        if st.findings:
            out.append(f"  funn ({len(st.findings)}):")
            out.extend("    " + _finding_line(f, lang) for f in st.findings)
        elif st.state in {p.state for p in wf.phases}:
            out.append("  funn: ingen")
        out.append("")
    if not out:
        return "Ingen planar.\n"
    out.append(text(lang, "label.legend"))
    return "\n".join(out).rstrip() + "\n"


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


def render_record(r: RecordResult, wf: WorkflowDefinition, lang: str = "nn") -> str:
    """What recording did, in words, with the difference when not identical."""
    parts = [f"{r.party}: {text(lang, f'outcome.{r.outcome}')}"]
    if r.verdict and r.outcome in ("passed", "passed_with_amendments"):
        parts.append(f"{_VERDICT_MARK[r.verdict]} {text(lang, f'verdict.{r.verdict}')}")
    line = " ".join(parts) + (f" → {case_state_label(wf, r.case_state, lang)}; planen: "
                              f"{plan_state_label(wf, r.plan_state, lang)}")
    if r.comparison and r.verdict != "identical" and r.outcome in ("passed", "passed_with_amendments"):
        line += "\n" + render_diff(r.comparison).rstrip("\n") + "\n(" + text(lang, "label.diff") + ")"
    return line + "\n"


def render_summary(st: VersionStatus, wf: WorkflowDefinition, lang: str = "nn") -> str:
    """One line: the plan's state and the parties grouped by where they stand."""
    groups: dict[str, list[str]] = {}
    for p in st.parties:
        if p.state != "waiting":
            groups.setdefault(case_state_label(wf, p.state, lang), []).append(p.party)
    parts = [f"{label}: {', '.join(keys)}" for label, keys in groups.items()]
    return f"status {st.plan} v{st.version}: {plan_state_label(wf, st.state, lang)}" + (
        " — " + "; ".join(parts) if parts else "")
