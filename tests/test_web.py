"""The web pages and the JSON API: roles, CSRF, round trips, conflicts, errors.

Real app (FastAPI over the real services), real database (SQLite file and
PostgreSQL), HTTP through Starlette's test client.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bvflow import queries, services, users
from bvflow.clock import SimulatedClock
from bvflow.site import Site
from bvflow.web import create_app

from .conftest import DEADLINES, PROPOSAL
from .conftest import snapshot as _snapshot

PLAN = "handlingsplan-2025"
REF = f"{PLAN}@1"
BASE = f"/p/vest-telemark/plans/{REF}"
API = f"/api/v1/partnerships/vest-telemark/plans/{REF}"
PW = "a-long-password-1"
DEVIATING = PROPOSAL.replace("vert vedteken", "blir vedtatt")

# who: (is_admin, role, party)
ROLES: dict[str, tuple[bool, str | None, str | None]] = {
    "admin": (True, None, None),
    "steering": (False, "steering", None),
    "sec_seljord": (False, "secretary", "seljord"),
    "sec_tokke": (False, "secretary", "tokke"),
    "observer": (False, "observer", None),
    "outsider": (False, None, None),
}


def _make_users(site: Site) -> None:
    for name, (admin, role, party) in ROLES.items():
        users.add_user(site, name, PW, admin=admin, partnership="vest-telemark" if role else None,
                       role=role, party=party, display_name=name.title())


@pytest.fixture
def web(site: Site, clock: SimulatedClock) -> Site:
    """Plan submitted; Seljord's council passed a deviating text (Seljord deviating)."""
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    services.submit_plan(site, None, PLAN, "sg")
    clock.set_date(date(2025, 6, 5), time(12, 0))
    services.record_resolution(site, None, PLAN, "seljord", "formannskap", date(2025, 5, 15), "passed",
                               as_proposed=True)
    services.record_resolution(site, None, PLAN, "seljord", "kommunestyre", date(2025, 6, 5), "passed",
                               DEVIATING)
    _make_users(site)
    return site


def snapshot(engine: Any) -> dict[str, Any]:
    """Every stored row except the login bookkeeping (sessions, token use, throttle)."""
    return {k: v for k, v in _snapshot(engine).items()
            if k not in ("websession", "apitoken", "loginthrottle")}


def client(site: Site) -> TestClient:
    return TestClient(create_app(site), follow_redirects=False)


def login(site: Site, name: str) -> tuple[TestClient, str]:
    """A client logged in as ``name`` and its session's CSRF token."""
    c = client(site)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"username": name, "password": PW, "csrf_token": token, "next": "/"})
    assert r.status_code == 303, r.text
    home = c.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)  # type: ignore[union-attr]
    return c, csrf


def state_of(site: Site, party: str) -> str:
    (st,) = queries.status(site, None, REF)
    return next(p.state for p in st.parties if p.party == party)


# -- the authorization matrix ------------------------------------------------------------

#: every write form: (path, form fields, roles allowed)
FORMS: list[tuple[str, dict[str, str], set[str]]] = [
    ("/record", {"party": "seljord", "stage": "kommunestyre", "meeting_date": "2025-06-05",
                 "outcome": "passed", "as_proposed": "1"}, {"admin", "steering", "sec_seljord"}),
    ("/record", {"party": "tokke", "stage": "formannskap", "meeting_date": "2025-06-05",
                 "outcome": "passed", "as_proposed": "1"}, {"admin", "steering", "sec_tokke"}),
    ("/accept", {"party": "seljord", "reason": "same meaning"}, {"admin", "steering"}),
    ("/decide", {"party": "telemark", "outcome": "approved", "decided_on": "2025-06-05"},
     {"admin", "steering"}),
    ("/submit", {}, {"admin", "steering"}),
    ("/revise", {"reason": "x"}, {"admin", "steering"}),
    ("/resubmit", {"reason": "x"}, {"admin", "steering"}),
]

#: every write endpoint of the API: (path, JSON body, roles allowed)
API_WRITES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("/resolutions", {"party": "seljord", "stage": "kommunestyre", "meeting_date": "2025-06-05",
                      "as_proposed": True}, {"admin", "steering", "sec_seljord"}),
    ("/resolutions", {"party": "tokke", "stage": "formannskap", "meeting_date": "2025-06-05",
                      "as_proposed": True}, {"admin", "steering", "sec_tokke"}),
    ("/accept-equivalent", {"party": "seljord", "reason": "same meaning"}, {"admin", "steering"}),
    ("/decisions", {"party": "telemark", "outcome": "approved", "decided_on": "2025-06-05"},
     {"admin", "steering"}),
    ("/submit", {}, {"admin", "steering"}),
    ("/revise", {"reason": "x"}, {"admin", "steering"}),
    ("/resubmit", {"reason": "x"}, {"admin", "steering"}),
]


def test_forms_authorization_matrix(web: Site) -> None:
    """Every role × every write form, other municipalities' ids included:
    a refused write answers 403 (anonymous: to the login page) and stores nothing."""
    sessions = {name: login(web, name) for name in ROLES}
    anonymous = client(web)
    for path, fields, allowed in FORMS:
        for name, (c, csrf) in sessions.items():
            if name in allowed:
                continue
            before = snapshot(web.engine)
            r = c.post(BASE + path, data=fields | {"csrf_token": csrf})
            assert r.status_code == 403, (path, fields, name, r.status_code)
            assert "you may not" in r.text
            assert snapshot(web.engine) == before, (path, name)
        before = snapshot(web.engine)
        r = anonymous.post(BASE + path, data=fields)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert snapshot(web.engine) == before
    # the allowed ones pass the role check (the outcome then depends on the plan's state)
    c, csrf = sessions["sec_seljord"]
    r = c.post(BASE + "/record", data=FORMS[0][1] | {"csrf_token": csrf})
    assert r.status_code == 200 and state_of(web, "seljord") == "passed"


def test_api_authorization_matrix(web: Site) -> None:
    tokens = {name: users.create_token(web, name) for name in ROLES}
    c = client(web)
    for path, body, allowed in API_WRITES:
        for name, token in tokens.items():
            if name in allowed:
                continue
            before = snapshot(web.engine)
            r = c.post(API + path, json=body, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 403, (path, body, name, r.status_code, r.text)
            assert r.json()["error"]["type"] == "PermissionDenied"
            assert snapshot(web.engine) == before, (path, name)
        for headers in ({}, {"Authorization": "Bearer bvf_not-a-token"}, {"Authorization": "Basic x"}):
            before = snapshot(web.engine)
            r = c.post(API + path, json=body, headers=headers)
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
            assert snapshot(web.engine) == before


def test_observer_and_outsider_reading(web: Site) -> None:
    obs, _ = login(web, "observer")
    assert obs.get(BASE).status_code == 200
    page = obs.get(BASE).text
    assert "Registrer eit vedtak" not in page and 'action="' + BASE + '/accept"' not in page
    out, _ = login(web, "outsider")
    assert out.get("/p/vest-telemark").status_code == 403
    assert out.get(BASE).status_code == 403
    assert "Bygdevekst Vest-Telemark" not in out.get("/").text
    token = users.create_token(web, "outsider")
    r = client(web).get(API, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403


def test_secretary_form_offers_only_her_municipality(web: Site) -> None:
    c, _ = login(web, "sec_tokke")
    page = c.get(BASE + "/record").text
    options = re.findall(r'<option value="([^"]+)"[^>]*>[^<]*</option>',
                         page.split('id="party"')[1].split("</select>")[0])
    assert options == ["tokke"]


# -- CSRF -------------------------------------------------------------------------------

def test_csrf_rejected(web: Site) -> None:
    c, csrf = login(web, "steering")
    for token in ("", "forged", csrf[:-1] + ("A" if csrf[-1] != "A" else "B")):
        before = snapshot(web.engine)
        r = c.post(BASE + "/accept", data={"party": "seljord", "reason": "ok", "csrf_token": token})
        assert r.status_code == 403
        assert snapshot(web.engine) == before
    assert state_of(web, "seljord") == "deviating"
    # a token of another session does not work either
    _, other = login(web, "admin")
    r = c.post(BASE + "/accept", data={"party": "seljord", "reason": "ok", "csrf_token": other})
    assert r.status_code == 403 and state_of(web, "seljord") == "deviating"
    r = c.post(BASE + "/accept", data={"party": "seljord", "reason": "ok", "csrf_token": csrf})
    assert r.status_code == 303 and state_of(web, "seljord") == "passed"


def test_login_form_needs_its_csrf_cookie(web: Site) -> None:
    c = client(web)
    r = c.post("/login", data={"username": "admin", "password": PW, "csrf_token": "x"})
    assert r.status_code == 403 and "bvflow_session" not in r.cookies


# -- pages ------------------------------------------------------------------------------

def test_secretary_records_and_sees_the_verdict_on_the_same_page(web: Site) -> None:
    c, csrf = login(web, "sec_tokke")
    text = PROPOSAL.replace("fullmakt", "løyve")
    r = c.post(BASE + "/record", data={"party": "tokke", "stage": "formannskap", "csrf_token": csrf,
                                       "meeting_date": "2025-06-05", "outcome": "passed", "text": text,
                                       "case_number": "PS 25/51"})
    assert r.status_code == 200
    assert "ulikt" in r.text
    assert re.search(r"<del>.*fullmakt.*</del>", r.text) and re.search(r"<ins>.*løyve.*</ins>", r.text)
    assert state_of(web, "tokke") == "kommunestyre"  # a recommendation only informs the council
    # bad input: the field is named, the form keeps what was typed, nothing is stored
    before = snapshot(web.engine)
    r = c.post(BASE + "/record", data={"party": "tokke", "stage": "kommunestyre", "csrf_token": csrf,
                                       "meeting_date": "5.6.2025", "outcome": "passed", "text": text})
    assert r.status_code == 422 and "meeting_date" in r.text and "løyve" in r.text
    assert snapshot(web.engine) == before


def test_steering_accepts_and_the_matrix_turns_identical(web: Site) -> None:
    c, csrf = login(web, "steering")
    page = c.get(BASE).text
    assert "AVVIK" in page and "≠" in page
    r = c.post(BASE + "/accept", data={"party": "seljord", "reason": "", "csrf_token": csrf})
    assert r.status_code == 422 and "reason" in r.text
    r = c.post(BASE + "/accept", data={"party": "seljord", "reason": "Same meaning; KS verified.",
                                       "csrf_token": csrf})
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    row = page.split("Seljord kommune</a></th>")[1].split("</tr>")[0]
    # the verdict stays what the text comparison found; the acceptance is marked beside it
    assert "≠ </span>ulikt" in row and "✓ </span>godteke som likeverdig" in row and "ferdig" in row
    party = c.get(BASE + "/parties/seljord").text
    assert "Same meaning; KS verified." in party and "godteke som likeverdig" in party
    hist = c.get(BASE + "/history").text
    assert "godteke som likeverdig" in hist and "web:steering" in hist
    assert "AVVIK – ikkje likelydande → ferdig" in hist


def test_pages_render_for_a_reader(web: Site) -> None:
    c, _ = login(web, "observer")
    overview = c.get("/").text
    assert "Handlingsplan 2025" in overview and "Oversikt" in overview
    assert "20. juni 2025" in overview  # next deadline, in nynorsk
    page = c.get(BASE).text
    assert "<svg" in page and "Seljord kommune" in page and 'role="img"' in page
    res = c.get(BASE + "/parties/seljord").text
    assert "<del>" in res and "vert vedteken" in res and "blir vedtatt" in res
    assert c.get(BASE + "/timeline.svg").headers["content-type"] == "image/svg+xml"
    outbox = c.get("/p/vest-telemark/outbox")
    assert outbox.status_code == 200 and "Utgåande varsel" in outbox.text
    assert c.get(BASE + "/parties/nowhere").status_code == 404
    assert c.get("/p/vest-telemark/plans/nope").status_code == 404
    assert c.get("/p/no-such-partnership").status_code == 403


def test_language_switch(web: Site) -> None:
    c, _ = login(web, "observer")
    assert "Opne funn" in c.get("/").text
    r = c.get("/?lang=en")
    assert "Open findings" in r.text and 'lang="en"' in r.text
    assert "Open findings" in c.get("/").text  # remembered in a cookie
    assert "Åpne funn" in c.get("/?lang=nb").text


def test_calendar_feed(web: Site) -> None:
    c = client(web)
    assert c.get("/p/vest-telemark/calendar.ics").status_code == 303
    token = users.create_token(web, "observer", scope="calendar")
    r = c.get(f"/p/vest-telemark/calendar.ics?plan={PLAN}&token={token}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in r.text and "DTSTART;VALUE=DATE:20250620" in r.text
    assert c.get(f"/p/vest-telemark/calendar.ics?plan=nope&token={token}").status_code == 404
    outsider = users.create_token(web, "outsider", scope="calendar")
    assert c.get(f"/p/vest-telemark/calendar.ics?token={outsider}").status_code == 403
    # the two kinds of token open only their own door
    api = users.create_token(web, "observer")
    assert c.get(f"/p/vest-telemark/calendar.ics?token={api}").status_code == 401
    assert c.get(API, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_security_headers_and_cookie_flags(web: Site) -> None:
    c = client(web)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"username": "admin", "password": PW, "csrf_token": token, "next": "//evil"})
    assert r.headers["location"] == "/"  # no open redirect
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "bvflow_session" in v)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_failed_logins_are_slowed_down(web: Site, clock: SimulatedClock) -> None:
    c = client(web)
    token = re.search(r'name="csrf_token" value="([^"]+)"',  # type: ignore[union-attr]
                      c.get("/login").text).group(1)

    def attempt(pw: str) -> Any:
        return c.post("/login", data={"username": "admin", "password": pw, "csrf_token": token})

    assert attempt("wrong").status_code == 401
    assert attempt("wrong").status_code == 401
    assert attempt("wrong").status_code == 401
    r = attempt(PW)  # even the right password waits
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    clock.advance(timedelta(seconds=5))
    assert attempt(PW).status_code == 303


def test_disabled_user_loses_session_and_tokens(web: Site) -> None:
    c, _ = login(web, "steering")
    token = users.create_token(web, "steering")
    users.set_disabled(web, "steering")
    assert c.get("/").status_code == 303
    assert client(web).get(API, headers={"Authorization": f"Bearer {token}"}).status_code == 401


# -- the API ----------------------------------------------------------------------------

def test_api_round_trip_for_recording(web: Site) -> None:
    sec = {"Authorization": f"Bearer {users.create_token(web, 'sec_tokke')}"}
    steer = {"Authorization": f"Bearer {users.create_token(web, 'steering')}"}
    c = client(web)
    r = c.post(API + "/resolutions", headers=sec, json={
        "party": "tokke", "stage": "formannskap", "meeting_date": "2025-05-20", "as_proposed": True})
    assert r.status_code == 201 and r.json()["verdict"] == "identical"
    r = c.post(API + "/resolutions", headers=sec, json={
        "party": "tokke", "stage": "kommunestyre", "meeting_date": "2025-06-05",
        "text": PROPOSAL.replace("fullmakt", "løyve"), "case_number": "PS 25/66"})
    assert r.status_code == 201
    body = r.json()
    assert body["verdict"] == "different" and body["case_state"] == "deviating"
    assert [(d["kind"], d["proposal"], d["resolution"]) for d in body["comparison"]["differences"]] \
        == [("changed", "fullmakt", "løyve")]
    st = c.get(API, headers=sec).json()
    tokke = next(p for p in st["parties"] if p["party"] == "tokke")
    assert tokke["state"] == "deviating" and tokke["stages"][1]["verdict"] == "different"
    assert tokke["stages"][1]["case_number"] == "PS 25/66"
    r = c.post(API + "/accept-equivalent", headers=steer, json={"party": "tokke", "reason": "ok"})
    assert r.status_code == 200
    tokke = next(p for p in c.get(API, headers=sec).json()["parties"] if p["party"] == "tokke")
    assert tokke["state"] == "passed" and tokke["stages"][1]["accepted_as_equivalent"] is True
    hist = c.get(API + "/history", headers=sec).json()
    assert [h["actor"] for h in hist if h["event"] == "accept_equivalent"] == ["web:steering"]
    assert c.get("/api/v1/me", headers=sec).json()["roles"] == {
        "vest-telemark": {"role": "secretary", "party": "tokke"}}


def test_api_conflicts_answer_409(web: Site) -> None:
    steer = {"Authorization": f"Bearer {users.create_token(web, 'steering')}"}
    c = client(web)
    first = c.get(API, headers=steer)
    etag = first.headers["etag"]
    assert etag == first.json()["etag"]
    # someone else writes in between
    services.record_resolution(web, None, PLAN, "tokke", "formannskap", date(2025, 6, 5), "passed",
                               as_proposed=True)
    before = snapshot(web.engine)
    r = c.post(API + "/accept-equivalent", headers=steer | {"If-Match": etag},
               json={"party": "seljord", "reason": "same meaning"})
    assert r.status_code == 409 and r.json()["error"]["type"] == "ConflictError"
    assert snapshot(web.engine) == before
    fresh = c.get(API, headers=steer).headers["etag"]
    assert fresh != etag
    r = c.post(API + "/accept-equivalent", headers=steer | {"If-Match": fresh},
               json={"party": "seljord", "reason": "same meaning"})
    assert r.status_code == 200
    # a state that does not allow the action is a conflict too
    r = c.post(API + "/accept-equivalent", headers=steer, json={"party": "seljord", "reason": "again"})
    assert r.status_code == 409 and r.json()["error"]["type"] == "TransitionNotAllowed"


def test_api_errors_name_the_field(web: Site) -> None:
    h = {"Authorization": f"Bearer {users.create_token(web, 'admin')}"}
    c = client(web)
    before = snapshot(web.engine)
    r = c.post(API + "/resolutions", headers=h, json={"party": "tokke", "stage": "formannskap",
                                                     "meeting_date": "2025-06-05", "outcome": "won"})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "outcome" and r.json()["error"]["value"] == "won"
    r = c.post(API + "/resolutions", headers=h, json={"party": "tokke", "stage": "formannskap",
                                                     "meeting_date": "5 June", "as_proposed": True})
    assert r.status_code == 422 and r.json()["error"]["field"] == "meeting_date"
    r = c.post(API + "/resolutions", headers=h, json={"party": "oslo", "stage": "formannskap",
                                                     "meeting_date": "2025-06-05", "as_proposed": True})
    assert r.status_code == 404 and r.json()["error"]["field"] == "party"
    r = c.post(API + "/resolutions", headers=h, json={"party": "tokke", "stage": "formannskap",
                                                     "meeting_date": "2025-06-05", "colour": "red"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "colour"
    r = c.get("/api/v1/partnerships/atlantis/plans", headers=h)
    assert r.status_code == 404 and r.json()["error"]["field"] == "partnership"
    assert snapshot(web.engine) == before
    assert "Traceback" not in r.text


def test_openapi_document(web: Site) -> None:
    doc = client(web).get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    assert "/api/v1/partnerships/{pk}/plans/{ref}/resolutions" in paths
    assert all(p.startswith("/api/v1/") for p in paths)  # the pages are not part of the API


def test_api_imports_a_fiks_resolution_for_permitted_parties_only(web: Site) -> None:
    from .test_fiks import vedtak

    message = vedtak("SEL-KST", "Kommunestyret", "2025-06-05", 44, PROPOSAL)
    url = "/api/v1/partnerships/vest-telemark/fiks/vedtak"
    c = client(web)
    before = snapshot(web.engine)
    for name in ("sec_tokke", "observer", "outsider"):
        h = {"Authorization": f"Bearer {users.create_token(web, name)}"}
        assert c.post(url, json=message, headers=h).status_code == 403, name
    assert snapshot(web.engine) == before
    h = {"Authorization": f"Bearer {users.create_token(web, 'sec_seljord')}"}
    r = c.post(url, json=message, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["party"], r.json()["stage"], r.json()["verdict"]) == (
        "seljord", "kommunestyre", "identical")
    assert state_of(web, "seljord") == "passed"
    again = c.post(url, json=message, headers=h)
    assert again.status_code == 200 and again.json()["already_imported"] is True
    bad = c.post(url, json={"utvalgId": "SEL-KST"}, headers=h)
    assert bad.status_code == 422 and "Traceback" not in bad.text


def test_plan_content_and_case_document_shown_read_only(web: Site) -> None:
    from bvflow import content

    from .conftest import REPO

    services.create_plan(web, None, "handlingsplan-2026", "Handlingsplan 2026", PROPOSAL, DEADLINES)
    content.import_content(web, None, "handlingsplan-2026",
                           (REPO / "demo" / "content" / "handlingsplan-2025.toml").read_text("utf-8"))
    c, _ = login(web, "observer")
    page = c.get("/p/vest-telemark/plans/handlingsplan-2026@1").text
    assert "Innhald i planen" in page
    assert "Fleire eigna bustader i Vest-Telemark" in page and "60 %" in page
    assert "Tiltaksmidlar år for år" in page and "2028" in page
    assert 'action="/p/vest-telemark/plans/handlingsplan-2026@1/content' not in page  # read only
    doc = c.get("/p/vest-telemark/plans/handlingsplan-2026@1/document")
    assert doc.status_code == 200 and PROPOSAL.split("\n")[0] in doc.text
    pdf = c.get("/p/vest-telemark/plans/handlingsplan-2026@1/document?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "ingen delmål eller tiltak" in c.get(BASE).text  # the fixture's plan has no content


def test_parallel_failed_logins_are_all_counted(web: Site) -> None:
    """Attempts are counted before the password is checked, under a lock: ten
    at once get at most the free failures plus one checked, the rest wait."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from bvflow.errors import AuthenticationError

    barrier = Barrier(10)

    def attempt(i: int) -> str:
        barrier.wait()
        try:
            users.authenticate(web, "observer", f"wrong-{i}")
        except AuthenticationError as exc:
            return "throttled" if exc.retry_after else "checked"
        except Exception as exc:  # noqa: BLE001 - the test reports what else happened
            return type(exc).__name__
        return "accepted"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(attempt, range(10)))
    assert outcomes.count("checked") == users.THROTTLE_FREE_FAILURES + 1, outcomes
    assert outcomes.count("throttled") == 10 - users.THROTTLE_FREE_FAILURES - 1, outcomes


def test_session_lasts_as_configured(web: Site, clock: SimulatedClock) -> None:
    c, _ = login(web, "observer")
    clock.advance(timedelta(hours=web.config.web.session_hours) - timedelta(minutes=1))
    assert c.get("/").status_code == 200
    clock.advance(timedelta(minutes=2))
    assert c.get("/").status_code == 303


def test_what_a_tester_broke_is_refused_cleanly(web: Site) -> None:
    """Each of these once gave a 500 or stored something it should not; now a
    clear refusal naming the field, and nothing stored."""
    from .test_fiks import vedtak

    h = {"Authorization": f"Bearer {users.create_token(web, 'admin')}"}
    c = client(web)
    services.create_plan(web, None, "t1", "T", PROPOSAL)
    before = snapshot(web.engine)
    r = c.post("/api/v1/partnerships/vest-telemark/plans/t1/submit", headers=h,
               json={"deadlines": {"municipalities": "9999-12-31"}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "deadline.municipalities"
    for day in ("0001-01-01T00:00:00+02:00", "9999-12-31T23:59:59-12:00"):
        message = vedtak("SEL-KST", "Kommunestyret", "2025-06-05", 44, PROPOSAL)
        message["moetedato"] = day
        r = c.post("/api/v1/partnerships/vest-telemark/fiks/vedtak", json=message, headers=h)
        assert r.status_code == 422 and r.json()["error"]["field"] == "moetedato", r.text
    body = (b'{"party":"tokke","stage":"formannskap","meeting_date":"2025-06-05",'
            b'"text":"\\ud800abc"}')
    r = c.post(API + "/resolutions", content=body, headers=h | {"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "text"
    for number in ("PS\n25/1", "PS \u202e25/1"):
        r = c.post(API + "/resolutions", headers=h, json={
            "party": "tokke", "stage": "formannskap", "meeting_date": "2025-06-05", "as_proposed": True,
            "case_number": number})
        assert r.status_code == 422 and r.json()["error"]["field"] == "case_number"
    r = c.post(API + "/resolutions", headers=h | {"content-type": "application/json"},
               content=b"x" * (3 * 1024 * 1024))
    assert r.status_code == 413
    assert snapshot(web.engine) == before
    # an anonymous form post learns nothing about which partnerships exist
    assert client(web).post("/p/nowhere/plans/x/submit", data={}).status_code == 303
