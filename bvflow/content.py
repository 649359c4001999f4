"""Service functions for a plan version's content (CLI, demo, web).

The content — sub-goals (*delmål*), measures (*tiltak*), the financing plan —
is described in :mod:`bvflow.contentmodel`; its checks in
:mod:`bvflow.contentchecks`; the change set of a revision in
:mod:`bvflow.contentdiff`. Each changing function here is one unit of work
(the change and its audit record commit together, or nothing is stored) and
works only on a draft version. ``plan_ref`` is ``KEY`` (newest version) or
``KEY@N``.

Errors: :class:`~bvflow.errors.InputError` naming the field and the value
(``measures[KEY].budget.2026``), ``NotFoundError`` (plan, measure),
:class:`~bvflow.contentchecks.ContentRefused` (submission with errors).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from . import contentstore
from .contentchecks import CheckResult, ContentRefused, LedgerYear, Problem, check_content, ledger
from .contentdiff import ChangeSet, diff_content
from .contentmodel import MeasureContent, PlanContent, dump_toml, load_toml, parse_content, to_data
from .db import unit_of_work
from .engine import audit, clean_text, find_version, touch
from .errors import InputError
from .models import Plan, PlanVersion
from .site import Scope, Site

__all__ = [
    "ContentReview",
    "VersionContent",
    "check",
    "check_submission",
    "diff_versions",
    "export_toml",
    "get_content",
    "review",
    "import_content",
    "ledger_of",
    "set_measure",
    "version_content",
]


@dataclass(frozen=True)
class VersionContent:
    """A version's content with the content of the version it revises."""

    plan: str
    number: int
    state: str
    content: PlanContent | None
    previous: PlanContent | None
    previous_number: int | None


def version_content(s: Session, pv: PlanVersion, plan: Plan) -> VersionContent:
    """Load ``pv``'s content and, for a revision, that of the version it revises."""
    content = contentstore.load(s, pv.id)  # type: ignore[arg-type]
    previous, number = None, None
    if pv.revises_id is not None:
        old = s.get(PlanVersion, pv.revises_id)
        if old is not None:
            previous, number = contentstore.load(s, pv.revises_id), old.number
    return VersionContent(plan.key, pv.number, pv.state, content, previous, number)


def get_content(site: Site, partnership: str | None, plan_ref: str) -> PlanContent | None:
    """The content of a plan version (read only), or None when the version has
    none (only a proposed resolution).

    Returns: :class:`~bvflow.contentmodel.PlanContent` — ``sub_goals`` (key,
    title, weight_pct), ``measures`` (key, sub_goal, title, description,
    responsible, start/end as Oslo dates, budget and spent as {year: NOK},
    funding, status, reason, assessment), ``years`` (financing plan).
    Raises: NotFoundError (field ``plan``).
    """
    scope = site.scope(partnership)
    with Session(site.engine) as s:
        plan, pv = find_version(s, scope, plan_ref)
        return contentstore.load(s, pv.id)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ContentReview:
    """A version's content with its ledger and what the checks say (one load)."""

    content: PlanContent
    ledger: list[LedgerYear]
    result: CheckResult


def review(site: Site, partnership: str | None, plan_ref: str, lang: str | None = None
           ) -> ContentReview | None:
    """The content of a version, its year-by-year ledger and the check result,
    loaded once (the web page shows all three); None when it has no content.

    Raises: NotFoundError (plan).
    """
    scope = site.scope(partnership)
    with Session(site.engine) as s:
        plan, pv = find_version(s, scope, plan_ref)
        vc = version_content(s, pv, plan)
    if vc.content is None:
        return None
    return ContentReview(vc.content, ledger(vc.content),
                         check_content(vc.content, vc.previous, vc.previous_number,
                                       lang or site.config.language))


def _version_with_content(site: Site, partnership: str | None, plan_ref: str) -> VersionContent:
    scope = site.scope(partnership)
    with Session(site.engine) as s:
        plan, pv = find_version(s, scope, plan_ref)
        vc = version_content(s, pv, plan)
    if vc.content is None:
        raise InputError("plan", plan_ref, f"version {vc.number} has no content; load it with "
                         "`bvflow content import PLAN FILE`")
    return vc


def check(site: Site, partnership: str | None, plan_ref: str, lang: str | None = None) -> CheckResult:
    """Run the checks of :mod:`bvflow.contentchecks` on a version (read only),
    against the version it revises. ``lang``: default the site's language.

    Raises: NotFoundError (plan), InputError (the version has no content).
    """
    vc = _version_with_content(site, partnership, plan_ref)
    assert vc.content is not None
    return check_content(vc.content, vc.previous, vc.previous_number, lang or site.config.language)


def ledger_of(site: Site, partnership: str | None, plan_ref: str) -> list[LedgerYear]:
    """The year-by-year ledger of the state measure funds (carry-over included)."""
    vc = _version_with_content(site, partnership, plan_ref)
    assert vc.content is not None
    return ledger(vc.content)


def check_submission(s: Session, plan: Plan, pv: PlanVersion, lang: str = "nn") -> list[Problem]:
    """Inside :func:`bvflow.plans.submit_plan`'s unit of work: refuse a version
    whose content has errors; return the warnings. A version without content
    (a plain proposal) passes.

    Raises: ContentRefused (field ``content``, value ``KEY@N``) listing the errors.
    """
    vc = version_content(s, pv, plan)
    if vc.content is None:
        return []
    result = check_content(vc.content, vc.previous, vc.previous_number, lang)
    if result.errors:
        raise ContentRefused(f"{plan.key}@{pv.number}", result.errors, lang)
    return result.warnings


def _draft(s: Session, scope: Scope, plan_ref: str) -> tuple[Plan, PlanVersion]:
    plan, pv = find_version(s, scope, plan_ref)
    if pv.state != "draft":
        hint = ("open a revision with `bvflow plan revise` to change it" if pv.state == "approved" else
                "it is being handled now; change it once it is approved (`bvflow plan revise`), or "
                "when KDD returns it with principled changes (a new draft opens then)")
        raise InputError("plan", plan_ref, f"version {pv.number} is '{pv.state}'; only a draft's content "
                         f"can be changed: {hint}")
    return plan, pv


def _store(site: Site, partnership: str | None, plan_ref: str, content: PlanContent, actor: str,
           event_details: dict[str, Any]) -> None:
    scope = site.scope(partnership)
    now = site.clock.now()
    with unit_of_work(site.engine, f"plan {plan_ref}") as s:
        _, pv = _draft(s, scope, plan_ref)
        contentstore.save(s, scope.id, pv.id, content)  # type: ignore[arg-type]
        touch(pv, now)
        audit(s, scope, pv, now, actor, "edit_content", "plan", pv.state, pv.state, **event_details)


def import_content(site: Site, partnership: str | None, plan_ref: str, source: str,
                   actor: str = "", file_name: str = "") -> PlanContent:
    """Replace a draft version's content with the TOML text ``source`` (the
    file of :mod:`bvflow.contentmodel`).

    Raises: InputError (not TOML; a bad value, naming field and value; the
    version is not a draft), NotFoundError (plan).
    """
    clean_text("content", source)
    content = load_toml(source, site.config.language)
    _store(site, partnership, plan_ref, content, actor,
           {"source": file_name or "import", "measures": len(content.measures),
            "sub_goals": len(content.sub_goals)})
    return content


def export_toml(site: Site, partnership: str | None, plan_ref: str) -> str:
    """A version's content as the TOML file to edit and import again.

    Raises: NotFoundError (plan), InputError (no content).
    """
    vc = _version_with_content(site, partnership, plan_ref)
    assert vc.content is not None
    return dump_toml(vc.content)


_TEXT_FIELDS = {"title", "description", "responsible", "sub_goal", "funding", "status", "reason",
                "assessment"}
_YEAR_FIELD = re.compile(r"(budget|spent)\.([0-9]{4})")


def _cli_value(name: str, value: str) -> Any:
    if name in _TEXT_FIELDS:
        clean_text(name, value)
        return value
    if name in ("start", "end"):
        if name == "end" and value == "":
            return None
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            raise InputError(name, value, "not a date; write YYYY-MM-DD") from None
    if _YEAR_FIELD.fullmatch(name):
        compact = value.replace(" ", "").replace("_", "").replace("\u00a0", "")
        return int(compact) if re.fullmatch(r"-?[0-9]+", compact) else value
    raise InputError("field", name, "use title, description, responsible, sub_goal, start, end, funding, "
                     "status, reason, assessment, budget.YYYY or spent.YYYY")


def set_measure(site: Site, partnership: str | None, plan_ref: str, measure: str,
                values: Mapping[str, str], actor: str = "") -> MeasureContent:
    """Change fields of one measure of a draft (or add the measure when its key
    is new: then ``sub_goal``, ``title``, ``start``, ``funding`` and ``status``
    are needed). ``values``: field → text as typed (``budget.2026`` = whole NOK,
    ``start``/``end`` = YYYY-MM-DD, ``end`` = "" removes it).

    Raises: InputError (unknown field; a bad value, naming the measure or
    year; not a draft; no content), NotFoundError (plan).
    """
    if not values:
        raise InputError("field", "", "give at least one FIELD=VALUE")
    vc = _version_with_content(site, partnership, plan_ref)
    assert vc.content is not None
    data = to_data(vc.content)
    row = next((m for m in data["measures"] if m["key"] == measure), None)
    if row is None:
        row = {"key": measure}
        data["measures"].append(row)
    for name, raw in values.items():
        value = _cli_value(name, raw)
        m = _YEAR_FIELD.fullmatch(name)
        if m:
            per_year = row.setdefault(m.group(1), {})
            per_year[m.group(2)] = value
        elif value is None:
            row.pop(name, None)
        else:
            row[name] = value
    content = parse_content(data, site.config.language)
    _store(site, partnership, plan_ref, content, actor,
           {"measure": measure, "fields": ", ".join(values)})
    found = content.measure(measure)
    assert found is not None
    return found


def diff_versions(site: Site, partnership: str | None, old_ref: str, new_ref: str) -> ChangeSet:
    """The change set from ``old_ref``'s content to ``new_ref``'s (new,
    changed field by field, ended, budget per sub-goal and year).

    Raises: NotFoundError (plan), InputError (a version without content).
    """
    old = _version_with_content(site, partnership, old_ref)
    new = _version_with_content(site, partnership, new_ref)
    assert old.content is not None and new.content is not None
    return diff_content(old.content, new.content)
