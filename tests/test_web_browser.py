"""The web pages in a real browser: Debian's Chromium driven by Playwright, with axe-core.

One flow, the one the issue asks for: a municipal secretary logs in, records
a deviating resolution and sees the word-level difference; the steering group
logs in, accepts it as equivalent with a reason and sees the matrix turn
identical. On the way, axe-core (``tests/browser``, installed by ``npm ci
--prefix tests/browser``) checks every page at WCAG 2.1 A/AA, and a
screenshot of each step is saved under the test's temporary folder.

The app runs under uvicorn in a background thread on a free loopback port, on
SQLite only (the pages are the same on PostgreSQL; ``test_web.py`` covers
both). The browser is ``/usr/bin/chromium`` (installed by ``.ci/run``);
Playwright never downloads one. Without Chromium or axe-core the test is
skipped — under ``CI=true`` it fails.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from bvflow import content, services
from bvflow.clock import SimulatedClock
from bvflow.site import Site
from bvflow.users import add_user
from bvflow.web.app import create_app

from .conftest import DEADLINES, PROPOSAL, REPO, make_site_dir

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

PK, PLAN = "vest-telemark", "handlingsplan-2025"
VERSION_URL = f"/p/{PK}/plans/{PLAN}@1"
SECRETARY, STEERING, PASSWORD = "kari", "sg-leiar", "a-long-password-1"
DEVIATING = PROPOSAL.replace("vert vedteken", "blir vedtatt")


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (required under CI=true)")
    pytest.skip(what)


@pytest.fixture
def tools() -> None:
    """Skip (fail under CI=true) before any set-up when Chromium or axe-core is missing."""
    if not CHROMIUM.is_file():
        _missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    if not AXE_JS.is_file():
        _missing(f"{AXE_JS.relative_to(REPO)} is missing (npm ci --prefix tests/browser)")


@pytest.fixture
def browser_site(tools: None, tmp_path: Path) -> Iterator[Site]:
    """Vest-Telemark on a fresh SQLite file: the 2025 plan submitted on 2 May, two
    formannskap meetings recorded, a secretary for Seljord and a steering-group
    member; the clock stands at 12 June 2025, 12:00."""
    clock = SimulatedClock()
    clock.set_date(date(2025, 5, 2), time(12, 0))
    site = Site.open(make_site_dir(tmp_path, f"sqlite:///{tmp_path / 'b.db'}") / "config.toml", clock)
    site.scope(None)
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    content.import_content(site, None, PLAN,
                           (REPO / "demo" / "content" / "handlingsplan-2025.toml").read_text("utf-8"))
    services.submit_plan(site, None, PLAN, "sg")
    clock.set_date(date(2025, 5, 22), time(12, 0))
    for party, day in (("seljord", date(2025, 5, 15)), ("kviteseid", date(2025, 5, 20))):
        services.record_resolution(site, None, PLAN, party, "formannskap", day, "passed",
                                   as_proposed=True, case_number="PS 25/12", actor=party)
    add_user(site, SECRETARY, PASSWORD, display_name="Kari Sekretær", partnership=PK,
             role="secretary", party="seljord")
    add_user(site, STEERING, PASSWORD, display_name="Leiar i styringsgruppa", partnership=PK,
             role="steering")
    clock.set_date(date(2025, 6, 12), time(12, 0))
    yield site
    site.engine.dispose()


@pytest.fixture
def base_url(browser_site: Site) -> Iterator[str]:
    """The app for ``browser_site`` under uvicorn on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(browser_site), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    for _ in range(200):
        if server.started or not thread.is_alive():
            break
        thread.join(0.05)
    if not server.started:
        server.should_exit = True
        pytest.fail("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def page(tools: None, base_url: str) -> Iterator[Page]:
    """A Chromium page on a new, empty profile; CSP bypassed so axe-core can be injected."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base_url, bypass_csp=True, locale="nn-NO",
                                          viewport={"width": 1280, "height": 900})
            context.set_default_timeout(15_000)
            yield context.new_page()
            context.close()
        finally:
            browser.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, at WCAG 2.1 A and AA."""
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(
        """async (tags) => {
             const r = await axe.run(document, {runOnly: {type: "tag", values: tags}});
             return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.map(n => n.html)}));
           }""", AXE_TAGS)


def describe(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for where, violations in found.items():
        for v in violations:
            lines.append(f"{where}: {v['id']} ({v['impact']}): {v['help']}")
            lines.extend(f"    {html}" for html in v["nodes"])
    return "\n".join(lines)


def test_secretary_records_deviating_text_and_steering_group_accepts_it(page: Page, tmp_path: Path
                                                                        ) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    taken: list[Path] = []
    axe: dict[str, list[dict[str, Any]]] = {}

    def step(name: str) -> None:
        """A screenshot of the page as it is now, and axe-core's verdict on it."""
        path = shots / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        taken.append(path)
        axe[f"{name} ({page.url})"] = axe_violations(page)

    username_shown = {SECRETARY: "Kari Sekretær", STEERING: "Leiar i styringsgruppa"}

    def log_in(username: str) -> None:
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Logg inn").click()
        page.wait_for_url("**/")
        expect(page.locator("form.logout")).to_contain_text(username_shown[username])

    # the login page, then the secretary's overview
    page.goto("/login")
    assert page.locator("h1").inner_text() == "Logg inn"
    page.keyboard.press("Tab")  # keyboard users reach the skip link first
    expect(page.locator("a.skip")).to_be_focused()
    step("login")
    log_in(SECRETARY)
    assert page.locator(f"a[href='{VERSION_URL}']").count() == 1
    step("overview-secretary")

    # the plan version page, with the timeline, and the way to the record form
    page.goto(VERSION_URL)
    expect(page.locator("svg.timeline")).to_be_visible()
    step("version-secretary")
    page.get_by_role("link", name="Registrer eit vedtak").click()
    page.wait_for_url(f"**{VERSION_URL}/record")
    options = page.locator("#party option")
    assert options.count() == 1, options.all_inner_texts()
    assert options.first.get_attribute("value") == "seljord"
    step("record-form")

    # record a deviating resolution of the kommunestyre; the verdict and the difference show
    page.select_option("#stage", "kommunestyre")
    page.fill("#meeting_date", "2025-06-05")
    page.fill("#case_number", "PS 25/40")
    page.fill("#text", DEVIATING)
    with page.expect_navigation():
        page.get_by_role("button", name="Registrer", exact=True).click()
    result = page.locator("section.result")
    expect(result).to_be_visible()
    expect(result.locator(".verdict")).to_contain_text("ulikt")
    removed = " ".join(result.locator("del").all_inner_texts())
    added = " ".join(result.locator("ins").all_inner_texts())
    assert "vert" in removed and "vedteken" in removed, removed
    assert "blir" in added and "vedtatt" in added, added
    assert "Vedlagde" not in removed + added  # only the changed words are marked
    step("record-verdict")

    # the resolution page: proposal and resolution side by side
    page.goto(f"{VERSION_URL}/parties/seljord")
    assert page.locator("del").count() and page.locator("ins").count()
    step("resolution")

    # log out; the steering group accepts the resolution as equivalent
    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url("**/login")
    expect(page.locator("form.logout")).to_have_count(0)
    log_in(STEERING)
    step("overview-steering")
    page.goto(VERSION_URL)
    seljord = page.locator("table.matrix tbody tr", has=page.locator("th", has_text="Seljord"))
    assert "ulikt" in seljord.inner_text()
    step("version-deviating")
    page.fill("#reason-seljord", "Same meaning: «blir vedtatt» is bokmål for «vert vedteken».")
    page.locator("form[action$='/accept']").get_by_role("button").click()
    page.wait_for_url("**done=accepted")
    expect(page.locator("p.notice")).to_be_visible()
    row = seljord.inner_text()
    assert "godteke som likeverdig" in row, row
    assert "ulikt" in row, row  # the comparison's verdict stays; the acceptance is marked beside it
    assert seljord.locator("td").last.inner_text().strip() == "ferdig", row
    assert page.locator("#reason-seljord").count() == 0
    expect(page.get_by_role("heading", name="Innhald i planen")).to_be_visible()
    step("version-accepted")

    # the case document (saksframlegg), as every municipality puts it before its council
    page.goto(f"{VERSION_URL}/document")
    assert page.locator("#proposal").inner_text().startswith("1. Vedlagde utkast")
    step("case-document")

    assert [p.name for p in taken if p.is_file() and p.stat().st_size > 0] == [p.name for p in taken]
    assert len(taken) == 10
    assert {k: v for k, v in axe.items() if v} == {}, "axe-core found violations:\n" + describe(axe)
