"""The case document (*saksframlegg*) of a plan version, as HTML and PDF.

One document for all six municipalities: the background, the sub-goals with
their measures and budget tables, the financing plan with carry-over, the
revision account (new / changed with reason / ended with assessment) and the
proposed resolution. The proposal in the document is the stored
``PlanVersion.proposal`` — the very text the identical check compares every
resolution with — put in as it is (HTML-escaped only), and its SHA-256 is
printed so that a secretary can see that the text is unchanged.

Rendered from ``documents/saksframlegg.html.j2`` (a site may override it in
``<site>/documents/``) with ``StrictUndefined`` and autoescape (PITFALLS J1,
J2); the PDF is made from the same HTML by WeasyPrint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session

from .contentchecks import CheckResult, LedgerYear, check_content, ledger
from .contentdiff import ChangeSet, diff_content
from .contentmodel import PlanContent, fmt_nok
from .engine import find_version
from .messages import LANGUAGES, fmt_date, text
from .models import Partnership
from .site import Site

__all__ = ["CaseDocument", "case_document", "render_html", "render_pdf"]


@lru_cache(maxsize=8)
def _environment(site_dir: str) -> Environment:
    from .defaults import default_path

    paths = [str(Path(site_dir) / "documents")] if (Path(site_dir) / "documents").is_dir() else []
    paths.append(str(default_path("documents")))
    env = Environment(loader=FileSystemLoader(paths), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html", "html.j2"),
                                                   default_for_string=True, default=True),
                      keep_trailing_newline=True)
    return env


@dataclass(frozen=True)
class CaseDocument:
    """What the document shows; ``proposal`` is the stored proposal, unchanged."""

    partnership: str
    plan: str
    title: str
    number: int
    state: str
    proposal: str
    content: PlanContent | None
    previous_number: int | None
    changes: ChangeSet | None
    checks: CheckResult | None
    ledger: list[LedgerYear]
    day: Any  # date (Oslo) the document was made

    @property
    def proposal_sha256(self) -> str:
        return hashlib.sha256(self.proposal.encode("utf-8")).hexdigest()


def case_document(site: Site, partnership: str | None, plan_ref: str) -> CaseDocument:
    """Collect what the case document of ``plan_ref`` shows (read only).

    Raises: NotFoundError (plan).
    """
    from .content import version_content

    scope = site.scope(partnership)
    with Session(site.engine) as s:
        plan, pv = find_version(s, scope, plan_ref)
        vc = version_content(s, pv, plan)
        name = s.get(Partnership, scope.id).name  # type: ignore[union-attr]
    changes = diff_content(vc.previous, vc.content) if vc.content and vc.previous else None
    checks = check_content(vc.content, vc.previous, vc.previous_number, site.config.language) \
        if vc.content else None
    return CaseDocument(name, plan.key, plan.title, pv.number, pv.state, pv.proposal, vc.content,
                        vc.previous_number, changes, checks, ledger(vc.content) if vc.content else [],
                        site.clock.today())


def _paragraphs(value: str) -> list[str]:
    return [p.strip() for p in value.strip().split("\n\n") if p.strip()]


def render_document(doc: CaseDocument, lang: str = "nn", site_dir: str = "") -> str:
    """The case document as a standalone HTML page (``lang`` attribute,
    headings in order, tables with caption and header scopes)."""
    if lang not in LANGUAGES:
        lang = "nn"
    env = _environment(site_dir)
    content = doc.content
    years: list[int] = []
    if content is not None:
        years = sorted({y for m in content.measures for y in m.budget} | {y.year for y in content.years
                                                                          if y.measure_funds})
    allocation = []
    if content is not None:
        funds = {g.key: 0 for g in content.sub_goals}
        for m in content.measures:
            if m.funding == "state_measure_funds" and m.sub_goal in funds:
                funds[m.sub_goal] += sum(m.budget.values())
        total = sum(funds.values())
        allocation = [(g, funds[g.key], (100 * funds[g.key] / total) if total else 0.0)
                      for g in content.sub_goals]
    return env.get_template("saksframlegg.html.j2").render(
        doc=doc, content=content, lang=lang, years=years, allocation=allocation,
        t=lambda msg_id, **kw: text(lang, msg_id, **kw), nok=lambda v: fmt_nok(v, lang),
        day=fmt_date(doc.day, lang), paragraphs=_paragraphs,
        status=lambda s: text(lang, "mstatus." + s), funding=lambda f: text(lang, "funding." + f),
        pct=lambda v: f"{v:.1f}".replace(".", "," if lang != "en" else "."),
        value=_value,
    )


def _value(v: Any) -> str:
    if v is None:
        return "–"
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    return str(v)


def render_html(site: Site, partnership: str | None, plan_ref: str, lang: str | None = None) -> str:
    """The case document of ``plan_ref`` as a full, standalone, accessible HTML
    document (UTF-8 text). ``lang``: nn (default: the site's), nb or en.

    Raises: NotFoundError (plan).
    """
    doc = case_document(site, partnership, plan_ref)
    return render_document(doc, lang or site.config.language, str(site.config.path.parent))


def render_pdf(site: Site, partnership: str | None, plan_ref: str, lang: str | None = None) -> bytes:
    """The case document as PDF (bytes), made by WeasyPrint from :func:`render_html`.

    Raises: NotFoundError (plan).
    """
    from weasyprint import HTML

    html = render_html(site, partnership, plan_ref, lang)
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]
