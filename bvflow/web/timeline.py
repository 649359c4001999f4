"""A server-rendered SVG picture of each party's meetings against the deadlines.

One row per party: held meetings (filled circles), planned meetings (hollow
circles), the deadlines as dashed vertical lines with their names, and today.
A party that is out of step is marked with a triangle *and* the words given
in its ``note`` — never by colour alone (WCAG 1.4.1). The SVG carries a
``<title>`` and ``<desc>`` and every mark its own ``<title>``, so screen
readers get the same information as a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Mark", "TimelineRow", "render_timeline"]

_W, _LEFT, _RIGHT, _TOP, _ROW = 900, 270, 20, 70, 30
_LATE, _INK, _MUTED, _DEADLINE = "#a4001d", "#1b1b1b", "#595959", "#0b4f8a"


@dataclass(frozen=True)
class Mark:
    """A meeting: Oslo ``day``; ``held`` (a resolution is recorded) or planned;
    ``title``: words for people ("Kommunestyre 19. juni 2025: vedteke")."""

    day: date
    held: bool
    title: str


@dataclass(frozen=True)
class TimelineRow:
    """One party: its ``name``, meetings, and — when out of step — ``late``
    with ``note`` saying why in words."""

    name: str
    marks: list[Mark] = field(default_factory=list)
    late: bool = False
    note: str = ""


def render_timeline(rows: list[TimelineRow], deadlines: list[tuple[str, date]], today: date,
                    *, title: str, description: str, today_label: str,
                    fmt: dict[date, str] | None = None) -> str:
    """The SVG document (str) for ``rows``; ``deadlines``: (label, Oslo date).

    The time axis runs from a week before the earliest date shown to two weeks
    after the latest, so every mark and deadline fits; today is drawn (and
    the axis widened to it) unless it lies more than 60 days past the end. ``fmt`` maps a date to
    its words in the page's language (default ISO dates). Returns an empty
    string when there is nothing to draw.
    """
    days = [m.day for r in rows for m in r.marks] + [d for _, d in deadlines]
    if not rows or not days:
        return ""
    fmt = fmt or {}
    start = min(days) - timedelta(days=7)
    end = max(days) + timedelta(days=14)
    show_today = start <= today <= end + timedelta(days=60)
    if show_today:
        start, end = min(start, today - timedelta(days=7)), max(end, today + timedelta(days=7))
    span = max((end - start).days, 1)
    inner = _W - _LEFT - _RIGHT

    def x(d: date) -> float:
        return round(_LEFT + inner * (d - start).days / span, 1)

    height = _TOP + _ROW * len(rows) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {height}" width="100%" '
           f'role="img" aria-labelledby="tl-title tl-desc" class="timeline" '
           f'font-family="system-ui, sans-serif" font-size="13">',
           f'<title id="tl-title">{escape(title)}</title>',
           f'<desc id="tl-desc">{escape(description)}</desc>']
    # month ticks along the top, at most about eight labels
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = max(1, -(-months // 8))
    month = date(start.year, start.month, 1)
    k = 0
    while month <= end:
        if month >= start and k % step == 0 and x(month) < _W - _RIGHT - 50:
            out.append(f'<line x1="{x(month)}" y1="{_TOP - 10}" x2="{x(month)}" y2="{height - 30}" '
                       f'stroke="#d0d0d0" stroke-width="1"/>')
            out.append(f'<text x="{x(month) + 3}" y="{_TOP - 12}" fill="{_MUTED}">'
                       f'{month:%m.%Y}</text>')
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        k += 1
    merged: dict[date, list[str]] = {}
    for label, d in deadlines:
        merged.setdefault(d, []).append(label)
    for i, (d, labels) in enumerate(sorted(merged.items())):
        y_text = 14 + 14 * (i % 3)
        words = f"{', '.join(labels)} {fmt.get(d, d.isoformat())}"
        out.append(f'<g><title>{escape(words)}</title>'
                   f'<line x1="{x(d)}" y1="{y_text + 4}" x2="{x(d)}" y2="{height - 30}" '
                   f'stroke="{_DEADLINE}" stroke-width="2" stroke-dasharray="6 4"/>'
                   f'<text x="{x(d) + (4 if x(d) < _W * 0.6 else -4)}" y="{y_text}" '
                   f'text-anchor="{"start" if x(d) < _W * 0.6 else "end"}" fill="{_DEADLINE}" '
                   f'font-weight="bold">{escape(", ".join(labels))}</text></g>')
    if show_today:
        out.append(f'<g><title>{escape(today_label)} {escape(fmt.get(today, today.isoformat()))}'
                   f'</title><line x1="{x(today)}" y1="{_TOP - 6}" x2="{x(today)}" y2="{height - 30}" '
                   f'stroke="{_INK}" stroke-width="1"/>'
                   f'<text x="{x(today)}" y="{height - 14}" text-anchor="middle" fill="{_INK}">'
                   f'{escape(today_label)}</text></g>')
    for i, row in enumerate(rows):
        y = _TOP + _ROW * i + _ROW / 2
        colour = _LATE if row.late else _INK
        name = ("▲ " if row.late else "") + row.name
        label = f"{row.name}: {row.note}" if row.note else row.name
        out.append(f'<g><title>{escape(label)}</title>'
                   f'<text x="8" y="{y + 4}" fill="{colour}"'
                   f'{" font-weight=" + quoteattr("bold") if row.late else ""}>{escape(name)}</text>'
                   f'<line x1="{_LEFT}" y1="{y}" x2="{_W - _RIGHT}" y2="{y}" stroke="#bdbdbd"/></g>')
        for m in sorted(row.marks, key=lambda m: m.day):
            fill = colour if m.held else "#ffffff"
            out.append(f'<circle cx="{x(m.day)}" cy="{y}" r="6" fill="{fill}" stroke="{colour}" '
                       f'stroke-width="2"><title>{escape(m.title)}</title></circle>')
    out.append("</svg>")
    return "\n".join(out)
