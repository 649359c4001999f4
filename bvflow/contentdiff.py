"""The change set between two versions' content, and the revision account.

:func:`diff_content` computes every difference (header, sub-goals, budget
years, measures field by field, order); :func:`apply_changes` applies it, so
``apply_changes(old, diff_content(old, new)) == new`` (a property test holds
it to that). From the change set the seed's revision account follows
(seed: "Ved kvar årleg oppdatering skal det gjerast greie for: 1. Nye tiltak
… 2. Endring av eksisterande tiltak, og kva som er grunngjevinga … 3. Avslutta
tiltak, med ei kort vurdering av kva tiltaket har bidrege til"):

- **new**: a measure not in the old version;
- **ended**: a measure whose status became ``ended`` (needs ``assessment``;
  and ``reason`` as well when its plan fields changed in the same revision);
- **changed**: a measure whose plan fields (:data:`PLAN_FIELDS`: sub-goal,
  title, description, responsible, start, end, funding, budget) changed —
  needs ``reason``; so does a measure taken up again after it had ended;
- **progress**: only status (not to ended), spending, reason or assessment
  changed — reported, nothing to account for;
- **removed**: a measure left out — refused by the checks (keep it, ended).

Measure fields are named as in the file; a year's budget or spending is
``budget.2026`` / ``spent.2026`` (absent = ``None``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from .contentmodel import BudgetYearContent, MeasureContent, PlanContent, SubGoalContent, fmt_nok
from .messages import text

__all__ = ["PLAN_FIELDS", "ChangeSet", "FieldChange", "MeasureChange", "apply_changes", "diff_content",
           "render_changes"]

PLAN_FIELDS = ("sub_goal", "title", "description", "responsible", "start", "end", "funding", "budget")
_HEADER = ("background", "first_year", "last_year", "weight_tolerance_pct")
_SCALAR = ("sub_goal", "title", "description", "responsible", "start", "end", "funding", "status",
           "reason", "assessment")


@dataclass(frozen=True)
class FieldChange:
    """One field, old → new (``None``: absent)."""

    field: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        def j(v: Any) -> Any:
            return v.isoformat() if hasattr(v, "isoformat") else v
        return {"field": self.field, "old": j(self.old), "new": j(self.new)}


@dataclass(frozen=True)
class MeasureChange:
    """A measure in both versions that differs. ``kind``: ``changed``,
    ``ended`` or ``progress`` (see the module docstring)."""

    key: str
    title: str
    kind: str
    changes: tuple[FieldChange, ...]
    reason: str
    assessment: str

    @property
    def plan_fields(self) -> list[str]:
        """The changed plan fields; a measure taken up again after it ended
        counts its ``status`` as one (it needs a reason like any change)."""
        return [c.field for c in self.changes if c.field.split(".")[0] in PLAN_FIELDS
                or (c.field == "status" and c.old == "ended")]


@dataclass(frozen=True)
class ChangeSet:
    """Everything that differs from ``old`` to ``new`` content."""

    header: tuple[FieldChange, ...] = ()
    sub_goals_added: tuple[SubGoalContent, ...] = ()
    sub_goals_removed: tuple[str, ...] = ()
    sub_goals_changed: dict[str, tuple[FieldChange, ...]] = field(default_factory=dict)
    sub_goal_order: tuple[str, ...] | None = None
    years_added: tuple[BudgetYearContent, ...] = ()
    years_removed: tuple[int, ...] = ()
    years_changed: dict[int, tuple[FieldChange, ...]] = field(default_factory=dict)
    measures_added: tuple[MeasureContent, ...] = ()
    measures_removed: tuple[str, ...] = ()
    measures_changed: tuple[MeasureChange, ...] = ()
    measure_order: tuple[str, ...] | None = None
    #: (sub-goal, year, old allocated NOK, new allocated NOK) where they differ
    budget_by_sub_goal: tuple[tuple[str, int, int, int], ...] = ()

    def of_kind(self, kind: str) -> list[MeasureChange]:
        return [c for c in self.measures_changed if c.kind == kind]

    @property
    def empty(self) -> bool:
        return not (self.header or self.sub_goals_added or self.sub_goals_removed
                    or self.sub_goals_changed or self.sub_goal_order or self.years_added
                    or self.years_removed or self.years_changed or self.measures_added
                    or self.measures_removed or self.measures_changed or self.measure_order)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``{new, changed, ended, progress, removed, sub_goals, budget_years,
        header, budget_by_sub_goal}``."""
        from .contentmodel import to_data

        def mc(c: MeasureChange) -> dict[str, Any]:
            return {"key": c.key, "title": c.title, "reason": c.reason, "assessment": c.assessment,
                    "changes": [x.to_dict() for x in c.changes]}
        probe = PlanContent(0, 0, measures=self.measures_added)
        return {
            "new": to_data(probe, json_safe=True)["measures"],
            "changed": [mc(c) for c in self.of_kind("changed")],
            "ended": [mc(c) for c in self.of_kind("ended")],
            "progress": [mc(c) for c in self.of_kind("progress")],
            "removed": list(self.measures_removed),
            "measure_order": list(self.measure_order) if self.measure_order else None,
            "sub_goals": {
                "added": [{"key": g.key, "title": g.title, "weight_pct": g.weight_pct}
                          for g in self.sub_goals_added],
                "removed": list(self.sub_goals_removed),
                "changed": {k: [x.to_dict() for x in v] for k, v in self.sub_goals_changed.items()},
                "order": list(self.sub_goal_order) if self.sub_goal_order else None,
            },
            "budget_years": {
                "added": [{"year": y.year, "operating_grant": y.operating_grant,
                           "measure_funds": y.measure_funds, "closed": y.closed} for y in self.years_added],
                "removed": list(self.years_removed),
                "changed": {str(k): [x.to_dict() for x in v] for k, v in self.years_changed.items()},
            },
            "header": [x.to_dict() for x in self.header],
            "budget_by_sub_goal": [{"sub_goal": g, "year": y, "old": o, "new": n}
                                   for g, y, o, n in self.budget_by_sub_goal],
        }


def _compare(old: Any, new: Any, names: tuple[str, ...]) -> list[FieldChange]:
    return [FieldChange(n, getattr(old, n), getattr(new, n)) for n in names
            if getattr(old, n) != getattr(new, n)]


def _per_year(name: str, old: dict[int, int], new: dict[int, int]) -> list[FieldChange]:
    return [FieldChange(f"{name}.{y}", old.get(y), new.get(y)) for y in sorted(set(old) | set(new))
            if old.get(y) != new.get(y)]


def _measure_change(old: MeasureContent, new: MeasureContent) -> MeasureChange | None:
    changes = _compare(old, new, _SCALAR) + _per_year("budget", old.budget, new.budget) \
        + _per_year("spent", old.spent, new.spent)
    if not changes:
        return None
    if new.status == "ended" and old.status != "ended":
        kind = "ended"  # needs an assessment, and a reason too if plan fields changed as well
    elif old.status == "ended" or any(c.field.split(".")[0] in PLAN_FIELDS for c in changes):
        kind = "changed"  # taken up again after it ended, or its plan changed
    else:
        kind = "progress"
    return MeasureChange(new.key, new.title, kind, tuple(changes), new.reason, new.assessment)


def _order(old: list[str], new: list[str]) -> tuple[str, ...] | None:
    kept = [k for k in old if k in new]
    expected = kept + [k for k in new if k not in old]
    return None if expected == new else tuple(new)


def _allocated_by_goal(content: PlanContent) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    for m in content.measures:
        for y, a in m.budget.items():
            out[(m.sub_goal, y)] = out.get((m.sub_goal, y), 0) + a
    return out


def diff_content(old: PlanContent, new: PlanContent) -> ChangeSet:
    """Every difference from ``old`` to ``new``."""
    old_m = {m.key: m for m in old.measures}
    new_m = {m.key: m for m in new.measures}
    old_g = {g.key: g for g in old.sub_goals}
    new_g = {g.key: g for g in new.sub_goals}
    old_y = {y.year: y for y in old.years}
    new_y = {y.year: y for y in new.years}
    changed_m = [c for k in new_m if k in old_m
                 if (c := _measure_change(old_m[k], new_m[k])) is not None]
    sub_goals_changed = {k: tuple(ch) for k in new_g if k in old_g
                         if (ch := _compare(old_g[k], new_g[k], ("title", "weight_pct")))}
    years_changed = {y: tuple(ch) for y in new_y if y in old_y
                     if (ch := _compare(old_y[y], new_y[y], ("operating_grant", "measure_funds", "closed")))}
    a, b = _allocated_by_goal(old), _allocated_by_goal(new)
    by_goal = tuple((g, y, a.get((g, y), 0), b.get((g, y), 0)) for g, y in sorted(set(a) | set(b))
                    if a.get((g, y), 0) != b.get((g, y), 0))
    return ChangeSet(
        header=tuple(_compare(old, new, _HEADER)),
        sub_goals_added=tuple(g for k, g in new_g.items() if k not in old_g),
        sub_goals_removed=tuple(k for k in old_g if k not in new_g),
        sub_goals_changed=sub_goals_changed,
        sub_goal_order=_order(list(old_g), list(new_g)),
        years_added=tuple(y for k, y in new_y.items() if k not in old_y),
        years_removed=tuple(k for k in old_y if k not in new_y),
        years_changed=years_changed,
        measures_added=tuple(m for k, m in new_m.items() if k not in old_m),
        measures_removed=tuple(k for k in old_m if k not in new_m),
        measures_changed=tuple(changed_m),
        measure_order=_order(list(old_m), list(new_m)),
        budget_by_sub_goal=by_goal,
    )


def _apply_fields(obj: Any, changes: tuple[FieldChange, ...]) -> Any:
    values: dict[str, Any] = {f.name: getattr(obj, f.name) for f in fields(obj)}
    for c in changes:
        name, _, year = c.field.partition(".")
        if year:
            per_year = dict(values[name])
            if c.new is None:
                per_year.pop(int(year), None)
            else:
                per_year[int(year)] = c.new
            values[name] = dict(sorted(per_year.items()))
        else:
            values[name] = c.new
    return replace(obj, **values)


def _ordered(old_keys: list[Any], items: dict[Any, Any], order: tuple[Any, ...] | None,
             added: list[Any]) -> list[Any]:
    keys = list(order) if order else [k for k in old_keys if k in items] + \
        [k for k in added if k not in old_keys]
    return [items[k] for k in keys]


def apply_changes(old: PlanContent, cs: ChangeSet) -> PlanContent:
    """``old`` with the change set applied (inverse of :func:`diff_content`)."""
    goals = {g.key: g for g in old.sub_goals if g.key not in cs.sub_goals_removed}
    for k, ch in cs.sub_goals_changed.items():
        goals[k] = _apply_fields(goals[k], ch)
    goals.update({g.key: g for g in cs.sub_goals_added})
    years = {y.year: y for y in old.years if y.year not in cs.years_removed}
    for k, ch in cs.years_changed.items():
        years[k] = _apply_fields(years[k], ch)
    years.update({y.year: y for y in cs.years_added})
    measures = {m.key: m for m in old.measures if m.key not in cs.measures_removed}
    for c in cs.measures_changed:
        measures[c.key] = _apply_fields(measures[c.key], c.changes)
    measures.update({m.key: m for m in cs.measures_added})
    head = _apply_fields(old, cs.header)
    return replace(
        head,
        sub_goals=tuple(_ordered([g.key for g in old.sub_goals], goals, cs.sub_goal_order,
                                 [g.key for g in cs.sub_goals_added])),
        years=tuple(years[y] for y in sorted(years)),
        measures=tuple(_ordered([m.key for m in old.measures], measures, cs.measure_order,
                                [m.key for m in cs.measures_added])),
    )


# -- text for the command line -------------------------------------------------

def _value(v: Any, lang: str) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return str(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    s = str(v).replace("\n", " ")
    return repr(s if len(s) <= 60 else s[:57] + "…")


def _change_line(c: FieldChange, lang: str) -> str:
    if c.field.startswith(("budget.", "spent.")):
        old = fmt_nok(c.old, lang) if c.old is not None else "–"
        new = fmt_nok(c.new, lang) if c.new is not None else "–"
        return f"      {c.field}: {old} → {new}"
    return f"      {c.field}: {_value(c.old, lang)} → {_value(c.new, lang)}"


def render_changes(cs: ChangeSet, lang: str = "nn", title: str = "") -> str:
    """The change set as text: new, changed (field by field, with reason),
    ended (with assessment), progress, budget per sub-goal and year."""
    missing = text(lang, "diff.missing")
    out = [title] if title else []
    out.append(f"{text(lang, 'diff.new')}:")
    for m in cs.measures_added:
        total = fmt_nok(sum(m.budget.values()), lang)
        out.append(f"  + {m.key}: {m.title} [{m.sub_goal}, {total}]")
    if not cs.measures_added:
        out.append(f"  {text(lang, 'diff.none')}")
    for kind, label, note in (("changed", "diff.changed", "reason"), ("ended", "diff.ended", "assessment"),
                              ("progress", "diff.progress", "")):
        items = cs.of_kind(kind)
        out.append(f"{text(lang, label)}:")
        if not items:
            out.append(f"  {text(lang, 'diff.none')}")
        for c in items:
            out.append(f"  {'~' if kind != 'ended' else '×'} {c.key}: {c.title}")
            out.extend(_change_line(x, lang) for x in c.changes)
            if note:
                value = getattr(c, note) or missing
                out.append(f"      {text(lang, 'diff.' + note)}: {value}")
    for k in cs.measures_removed:
        out.append(f"  - {k}: {text(lang, 'content.measure_removed', measure=k, old='?')}")
    out.append(f"{text(lang, 'diff.budget')}:")
    if not cs.budget_by_sub_goal:
        out.append(f"  {text(lang, 'diff.none')}")
    for g, y, o, n in cs.budget_by_sub_goal:
        sign = "+" if n >= o else "−"
        out.append(f"  {g} {y}: {fmt_nok(o, lang)} → {fmt_nok(n, lang)} ({sign}{fmt_nok(abs(n - o), lang)})")
    other = [f"  {c.field}: {_value(c.old, lang)} → {_value(c.new, lang)}" for c in cs.header]
    other += [f"  + sub_goal {g.key}: {g.title} ({g.weight_pct} %)" for g in cs.sub_goals_added]
    other += [f"  - sub_goal {k}" for k in cs.sub_goals_removed]
    other += [f"  {k}.{c.field}: {_value(c.old, lang)} → {_value(c.new, lang)}"
              for k, ch in cs.sub_goals_changed.items() for c in ch]
    other += [f"  + {y.year}" for y in cs.years_added] + [f"  - {y}" for y in cs.years_removed]
    other += [f"  {y}.{c.field}: {_value(c.old, lang)} → {_value(c.new, lang)}"
              for y, ch in cs.years_changed.items() for c in ch]
    if other:
        out.append(f"{text(lang, 'diff.other')}:")
        out.extend(other)
    return "\n".join(out) + "\n"
