"""The case document: proposal byte-identical to the stored one, accessible
HTML (parsed), the PDF renders and its text is extracted."""

from __future__ import annotations

import hashlib
import io
import re
from html.parser import HTMLParser

import pypdf

from bvflow import casedoc, content, queries, services
from bvflow.clock import SimulatedClock
from bvflow.site import Site

from .conftest import DEADLINES, PROPOSAL
from .test_content import DEMO, PLAN, approved_with_content


class Page(HTMLParser):
    """Collects what the accessibility rules look at."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.headings: list[int] = []
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.title = ""
        self._stack: list[str] = []
        self.proposal: list[str] = []
        self._in_proposal = False
        self.styles = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        self.tables += tag == "table"
        self.captions += tag == "caption"
        if tag == "th" and a.get("scope") not in ("col", "row"):
            self.th_without_scope += 1
        if tag == "div" and a.get("id") == "proposal":
            self._in_proposal = True
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            self._in_proposal = False
        if self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_proposal:
            self.proposal.append(data)
        if self._stack and self._stack[-1] == "title":
            self.title += data
        if self._stack and self._stack[-1] == "style":
            self.styles += data


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    return p


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def assert_accessible(html: str, lang: str = "nn") -> Page:
    page = parse(html)
    assert page.lang == lang
    assert page.title.strip()
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False)), page.headings
    assert page.tables == page.captions and page.th_without_scope == 0
    # every text colour in the style sheet has at least 4.5:1 against the white page (WCAG AA)
    white = _luminance("#ffffff")
    for colour in set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", page.styles)):
        assert (white + 0.05) / (_luminance(colour) + 0.05) >= 4.5, colour
    return page


def test_case_document_has_the_proposal_byte_identical(site: Site) -> None:
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    content.import_content(site, None, PLAN, DEMO, "sg")
    html = casedoc.render_html(site, None, PLAN)
    page = assert_accessible(html)
    stored = queries.status(site, None, PLAN)[0].proposal
    assert stored == PROPOSAL
    assert "".join(page.proposal) == stored
    assert stored in html  # the raw bytes too: nothing in this proposal needs escaping
    assert hashlib.sha256(stored.encode()).hexdigest() in html
    assert "Fleire eigna bustader i Vest-Telemark" in html and "Vekt i budsjettet: 60 %" in html
    assert "Desentralisert helsefagutdanning (eksempel)" in html
    assert "Bakgrunn" in html and "Framlegg til vedtak" in html


def test_proposal_with_markup_characters_round_trips_through_the_html(site: Site) -> None:
    tricky = '1. Planen «A & B» vert vedteken <utan> endringar.\n\n2. "Fullmakt" gjeld.\n'
    services.create_plan(site, None, PLAN, "H", tricky)
    html = casedoc.render_html(site, None, PLAN, "en")
    page = assert_accessible(html, "en")
    assert "".join(page.proposal) == tricky
    assert "This version has only the proposed resolution." in html


def test_pdf_renders_with_its_text(site: Site) -> None:
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    content.import_content(site, None, PLAN, DEMO, "sg")
    pdf = casedoc.render_pdf(site, None, PLAN)
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    assert "Saksframlegg: Handlingsplan 2025" in flat
    assert "Delmål 1: Fleire eigna bustader i Vest-Telemark" in flat
    assert " ".join(PROPOSAL.split()) in flat
    assert "18 000 000 kr" in flat.replace("\u00a0", " ")


def test_revision_account_in_the_case_document(site: Site, clock: SimulatedClock) -> None:
    approved_with_content(site, clock)
    services.revise_plan(site, None, PLAN, "sg")
    content.set_measure(site, None, PLAN, "jobs-network", {"status": "ended",
                                                          "assessment": "25 bedrifter på tre samlingar."})
    content.set_measure(site, None, PLAN, "housing-survey", {"budget.2026": "1000000",
                                                            "reason": "Fleire tomter."})
    html = casedoc.render_html(site, None, PLAN)
    assert_accessible(html)
    section = html[html.index("Endringar sidan versjon 1"):html.index("Framlegg til vedtak")]
    assert "Grunngjeving: Fleire tomter." in section
    assert "Vurdering: 25 bedrifter på tre samlingar." in section
    assert "budget.2026 900000 → 1000000" in section
