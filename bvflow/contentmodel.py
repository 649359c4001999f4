"""The content of a plan version: sub-goals, measures and the financing plan.

Plain, immutable data read from and written to the TOML file a project leader
edits by hand (``bvflow content import`` / ``export``). Units: every amount is
whole NOK (``int``, never negative); years are calendar years; ``start`` and
``end`` are local dates (Europe/Oslo). The file::

    background = "…"              # the case document's background section
    first_year = 2025             # the agreement period (seed: 2025–2028)
    last_year = 2028
    weight_tolerance_pct = 5      # sub-goal share vs weight, percentage points

    [[sub_goals]]                 # delmål, weight in percent (seed: 60/20/20)
    key = "housing"
    title = "Fleire eigna bustader i Vest-Telemark"
    weight_pct = 60

    [[budget_years]]              # seed: operating grant 2 mill./year 2024–2026,
    year = 2025                   # measure funds 18 mill. from 2025
    operating_grant = 2000000
    measure_funds = 18000000
    closed = false                # the year's accounts are closed

    [[measures]]                  # tiltak
    key = "housing-survey"
    sub_goal = "housing"
    title = "…"
    description = "…"
    responsible = "Seljord kommune"
    start = 2025-09-01
    end = 2026-06-30              # optional
    funding = "state_measure_funds"   # | operating_grant | own_funds | other_grants
    status = "planned"            # | ongoing | ended
    budget = { 2025 = 300000, 2026 = 500000 }   # allocated per year
    spent = { 2025 = 120000 }     # optional: spent per year
    reason = "…"                  # grunngjeving: why it changed in this version
    assessment = "…"              # an ended measure: what it achieved

Bad values are refused by :func:`parse_content` with an
:class:`~bvflow.errors.InputError` naming the measure or year (messages from
:mod:`bvflow.messages`, nynorsk by default).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import tomli_w
from babel.numbers import format_decimal

from .errors import InputError
from .messages import text

__all__ = [
    "FUNDING",
    "STATE_FUNDING",
    "STATUSES",
    "BudgetYearContent",
    "MeasureContent",
    "PlanContent",
    "SubGoalContent",
    "amount_problem",
    "dump_toml",
    "fmt_nok",
    "load_toml",
    "parse_content",
    "to_data",
]

#: Funding sources of a measure. State money: the measure funds (tiltaksmidlar,
#: transferable to later years) and the operating grant (driftstilskot).
FUNDING = ("state_measure_funds", "operating_grant", "own_funds", "other_grants")
STATE_FUNDING = ("state_measure_funds", "operating_grant")
#: A measure's status; ``ended`` (avslutta) needs an assessment in the version that ends it.
STATUSES = ("planned", "ongoing", "ended")

KEY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_BABEL = {"nn": "nn_NO", "nb": "nb_NO", "en": "en_GB"}


def fmt_nok(amount: int, lang: str = "nn") -> str:
    """Whole NOK as people read it: ``18 000 000 kr`` (nn/nb, no-break spaces), ``NOK 18,000,000`` (en)."""
    number = format_decimal(amount, locale=_BABEL.get(lang, "nn_NO"))
    return f"NOK {number}" if lang == "en" else f"{number} kr"


@dataclass(frozen=True)
class SubGoalContent:
    """A sub-goal (delmål); ``weight_pct``: its budget weight in whole percent."""

    key: str
    title: str
    weight_pct: int


@dataclass(frozen=True)
class MeasureContent:
    """A measure (tiltak). ``budget`` (allocated) and ``spent``: year → whole NOK,
    only years with money (an absent year means 0)."""

    key: str
    sub_goal: str
    title: str
    start: date
    funding: str
    status: str
    description: str = ""
    responsible: str = ""
    end: date | None = None
    budget: dict[int, int] = field(default_factory=dict)
    spent: dict[int, int] = field(default_factory=dict)
    reason: str = ""
    assessment: str = ""

    def allocated_in(self, year: int) -> int:
        return self.budget.get(year, 0)


@dataclass(frozen=True)
class BudgetYearContent:
    """One year of the financing plan: state money granted that year, whole NOK."""

    year: int
    operating_grant: int = 0
    measure_funds: int = 0
    closed: bool = False


@dataclass(frozen=True)
class PlanContent:
    """What a plan version contains. Sequences keep the order of the file;
    ``years`` are sorted by year."""

    first_year: int
    last_year: int
    sub_goals: tuple[SubGoalContent, ...] = ()
    measures: tuple[MeasureContent, ...] = ()
    years: tuple[BudgetYearContent, ...] = ()
    background: str = ""
    weight_tolerance_pct: int = 5

    def measure(self, key: str) -> MeasureContent | None:
        return next((m for m in self.measures if m.key == key), None)

    def sub_goal(self, key: str) -> SubGoalContent | None:
        return next((g for g in self.sub_goals if g.key == key), None)

    def year(self, year: int) -> BudgetYearContent | None:
        return next((y for y in self.years if y.year == year), None)


#: the largest amount accepted (NOK 1 000 billion: above any plan's budget,
#: far below what a 64-bit database integer holds)
MAX_AMOUNT = 10**12
#: the years a plan's content may name
FIRST_YEAR, LAST_YEAR = 2000, 2099


def amount_problem(value: object, where: str, lang: str = "nn") -> str | None:
    """The message when ``value`` is not a non-negative whole NOK amount up
    to :data:`MAX_AMOUNT`, else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return text(lang, "content.amount_not_whole", where=where, value=value)
    if value < 0:
        return text(lang, "content.amount_negative", where=where, value=value)
    if value > MAX_AMOUNT:
        return f"{where}: {value} NOK is more than {MAX_AMOUNT:,} NOK; check the number of digits"
    return None


def _year(field_: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not FIRST_YEAR <= value <= LAST_YEAR:
        raise InputError(field_, value, f"must be a year {FIRST_YEAR}–{LAST_YEAR}")
    return value


def _one_line(field_: str, value: str) -> str:
    """Refuse control characters (after TOML's escapes are decoded), line
    breaks and bidirectional overrides in a one-line value such as a title."""
    bad = _LINE_BAD.search(value)
    if bad:
        raise InputError(field_, value[:60], f"contains the character U+{ord(bad.group()):04X}, "
                         "which does not belong in a one-line value")
    return value


_TEXT_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BAD = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


# -- reading ----------------------------------------------------------------

_TOP = {"background", "first_year", "last_year", "weight_tolerance_pct", "sub_goals", "budget_years",
        "measures"}
_SUB_GOAL = {"key", "title", "weight_pct"}
_YEAR = {"year", "operating_grant", "measure_funds", "closed"}
_MEASURE = {"key", "sub_goal", "title", "description", "responsible", "start", "end", "funding",
            "status", "budget", "spent", "reason", "assessment"}


def load_toml(source: str, lang: str = "nn") -> PlanContent:
    """Parse the TOML text of a content file.

    Raises: InputError (field ``content``: not TOML; or as :func:`parse_content`).
    """
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("content", "(file)", f"not valid TOML: {exc}") from None
    return parse_content(data, lang)


def _unknown(where: str, data: dict[str, Any], known: set[str]) -> None:
    extra = sorted(set(data) - known)
    if extra:
        raise InputError(f"{where}.{extra[0]}" if where else extra[0], data[extra[0]],
                         f"unknown key; known keys: {', '.join(sorted(known))}")


def _req(where: str, data: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise InputError(f"{where}.{key}" if where else key, None, "is required")
    value = data[key]
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        raise InputError(f"{where}.{key}" if where else key, value,
                         f"must be {getattr(kind, '__name__', kind)}")
    return value


def _opt_str(where: str, data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    name = f"{where}.{key}" if where else key
    if not isinstance(value, str):
        raise InputError(name, value, "must be text")
    bad = _TEXT_BAD.search(value)
    if bad:
        raise InputError(name, value[:40], f"contains the control character U+{ord(bad.group()):04X}")
    return value


def _int(field_: str, value: Any, lang: str, where: str) -> int:
    problem = amount_problem(value, where, lang)
    if problem:
        raise InputError(field_, value, problem)
    return int(value)


def _date(field_: str, value: Any) -> date:
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise InputError(field_, value, "must be a date (YYYY-MM-DD, without quotes in TOML)")
    if not date(FIRST_YEAR, 1, 1) <= value <= date(LAST_YEAR, 12, 31):
        raise InputError(field_, value.isoformat(), f"must lie in {FIRST_YEAR}–{LAST_YEAR}; check the year")
    return value


def _per_year(field_: str, value: Any, lang: str, where_measure: str) -> dict[int, int]:
    if not isinstance(value, dict):
        raise InputError(field_, value, "must be a table of year = whole NOK, e.g. { 2025 = 300000 }")
    out: dict[int, int] = {}
    for y, amount in value.items():
        if not re.fullmatch(r"[0-9]{4}", str(y)):
            raise InputError(f"{field_}.{y}", y, "the key must be a year, e.g. 2025")
        year = _year(f"{field_}.{y}", int(y))
        where = text(lang, "where.measure_year", measure=where_measure, year=year)
        out[year] = _int(f"{field_}.{year}", amount, lang, where)
    # 0 and absent mean the same: no money that year
    return {y: a for y, a in sorted(out.items()) if a}


def parse_content(data: dict[str, Any], lang: str = "nn") -> PlanContent:
    """Build content from the file's data (as ``tomllib`` reads it), checking
    every value: keys, types, unique keys, known sub-goal and funding source,
    amounts non-negative whole NOK, ``end`` not before ``start``.

    Raises: InputError naming the field (``measures[KEY].budget.2026``) and
    the value; amount and sub-goal messages name the measure or year.
    """
    _unknown("", data, _TOP)
    first = _year("first_year", _req("", data, "first_year", int))
    last = _year("last_year", _req("", data, "last_year", int))
    if last < first:
        raise InputError("last_year", last, f"is before first_year ({first})")
    tolerance = data.get("weight_tolerance_pct", 5)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or not 0 <= tolerance <= 100:
        raise InputError("weight_tolerance_pct", tolerance, "must be whole percentage points, 0–100")
    sub_goals: list[SubGoalContent] = []
    for i, g in enumerate(_list(data, "sub_goals")):
        where = f"sub_goals[{i}]"
        _unknown(where, g, _SUB_GOAL)
        key = _key(where, g)
        where = f"sub_goals[{key}]"
        weight = _req(where, g, "weight_pct", int)
        if not 0 <= weight <= 100:
            raise InputError(f"{where}.weight_pct", weight, "must be whole percent, 0–100")
        if any(s.key == key for s in sub_goals):
            raise InputError(f"{where}.key", key, "two sub-goals have this key")
        sub_goals.append(SubGoalContent(key, _title(where, g), weight))
    years: list[BudgetYearContent] = []
    for i, y in enumerate(_list(data, "budget_years")):
        _unknown(f"budget_years[{i}]", y, _YEAR)
        year = _year(f"budget_years[{i}].year", _req(f"budget_years[{i}]", y, "year", int))
        where = f"budget_years[{year}]"
        if any(b.year == year for b in years):
            raise InputError(f"{where}.year", year, "the year is listed twice")
        label = text(lang, "where.year", year=year)
        closed = y.get("closed", False)
        if not isinstance(closed, bool):
            raise InputError(f"{where}.closed", closed, "must be true or false")
        years.append(BudgetYearContent(
            year, _int(f"{where}.operating_grant", y.get("operating_grant", 0), lang,
                       f"{label}, {text(lang, 'funding.operating_grant')}"),
            _int(f"{where}.measure_funds", y.get("measure_funds", 0), lang,
                 f"{label}, {text(lang, 'funding.state_measure_funds')}"), closed))
    measures: list[MeasureContent] = []
    goal_keys = [g.key for g in sub_goals]
    for i, m in enumerate(_list(data, "measures")):
        where = f"measures[{i}]"
        _unknown(where, m, _MEASURE)
        key = _key(where, m)
        where = f"measures[{key}]"
        if any(x.key == key for x in measures):
            raise InputError(f"{where}.key", key, "two measures have this key")
        sub_goal = _req(where, m, "sub_goal", str)
        if sub_goal not in goal_keys:
            raise InputError(f"{where}.sub_goal", sub_goal, text(
                lang, "content.unknown_sub_goal", measure=key, sub_goal=sub_goal,
                known=", ".join(goal_keys) or "–"))
        funding = _req(where, m, "funding", str)
        if funding not in FUNDING:
            raise InputError(f"{where}.funding", funding, f"use one of {', '.join(FUNDING)}")
        status = _req(where, m, "status", str)
        if status not in STATUSES:
            raise InputError(f"{where}.status", status, f"use one of {', '.join(STATUSES)}")
        start = _date(f"{where}.start", _req(where, m, "start", date))
        end = _date(f"{where}.end", m["end"]) if "end" in m else None
        if end is not None and end < start:
            raise InputError(f"{where}.end", end.isoformat(), f"is before start ({start.isoformat()})")
        measures.append(MeasureContent(
            key=key, sub_goal=sub_goal, title=_title(where, m), start=start, end=end,
            funding=funding, status=status, description=_opt_str(where, m, "description"),
            responsible=_one_line(f"{where}.responsible", _opt_str(where, m, "responsible")).strip(),
            budget=_per_year(f"{where}.budget", m.get("budget", {}), lang, key),
            spent=_per_year(f"{where}.spent", m.get("spent", {}), lang, key),
            reason=_opt_str(where, m, "reason").strip(),
            assessment=_opt_str(where, m, "assessment").strip()))
    return PlanContent(first_year=first, last_year=last, sub_goals=tuple(sub_goals),
                       measures=tuple(measures), years=tuple(sorted(years, key=lambda b: b.year)),
                       background=_opt_str("", data, "background") if "background" in data else "",
                       weight_tolerance_pct=tolerance)


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(key, value, f"write it as [[{key}]] tables")
    return value


def _key(where: str, data: dict[str, Any]) -> str:
    key = _req(where, data, "key", str)
    if not KEY.fullmatch(key):
        raise InputError(f"{where}.key", key, "use lower-case letters, digits, '-', '_' or '.', "
                         "e.g. housing-survey")
    return key


def _title(where: str, data: dict[str, Any]) -> str:
    title = _one_line(f"{where}.title", _req(where, data, "title", str)).strip()
    if not title:
        raise InputError(f"{where}.title", title, "must not be empty")
    return title


# -- writing ----------------------------------------------------------------

def to_data(content: PlanContent, json_safe: bool = False) -> dict[str, Any]:
    """The content as the file's data: ``parse_content(to_data(c)) == c``.
    ``json_safe``: dates as ISO strings (for ``--json`` and the web)."""
    def d(day: date) -> Any:
        return day.isoformat() if json_safe else day

    measures = []
    for m in content.measures:
        row: dict[str, Any] = {"key": m.key, "sub_goal": m.sub_goal, "title": m.title}
        if m.description:
            row["description"] = m.description
        if m.responsible:
            row["responsible"] = m.responsible
        row["start"] = d(m.start)
        if m.end is not None:
            row["end"] = d(m.end)
        row.update(funding=m.funding, status=m.status,
                   budget={str(y): a for y, a in sorted(m.budget.items())})
        if m.spent:
            row["spent"] = {str(y): a for y, a in sorted(m.spent.items())}
        if m.reason:
            row["reason"] = m.reason
        if m.assessment:
            row["assessment"] = m.assessment
        measures.append(row)
    return {
        "background": content.background,
        "first_year": content.first_year,
        "last_year": content.last_year,
        "weight_tolerance_pct": content.weight_tolerance_pct,
        "sub_goals": [{"key": g.key, "title": g.title, "weight_pct": g.weight_pct}
                      for g in content.sub_goals],
        "budget_years": [{"year": y.year, "operating_grant": y.operating_grant,
                          "measure_funds": y.measure_funds, "closed": y.closed} for y in content.years],
        "measures": measures,
    }


def dump_toml(content: PlanContent) -> str:
    """The content as a TOML file to edit by hand and import again (round-trips)."""
    header = ("# Content of a plan version (bvflow content export). Amounts: whole NOK.\n"
              "# Edit and load it again with `bvflow content import PLAN FILE`.\n\n")
    return header + tomli_w.dumps(to_data(content), multiline_strings=True)
