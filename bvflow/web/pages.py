"""The HTML pages: overview, plan version, resolution, recording form,
steering-group actions, audit trail, outbox, calendar feed and login.

Every handler: who is calling (:func:`page_principal`), may they
(:func:`bvflow.authz.require`), the CSRF token for a form, then one service
call. Writes answer with a redirect (303) to the page that shows the result,
except recording, which shows its verdict on the same page. Pages work
without JavaScript.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from .. import queries, services
from ..authz import can, require
from ..errors import AuthenticationError, BvflowError, InputError
from ..ical import partnership_calendar
from ..messages import text
from ..render import case_state_label, plan_state_label
from ..textcompare import compare_texts
from ..users import Principal, authenticate, end_session, start_session, token_principal
from ..workflow import OUTCOMES, WorkflowDefinition
from .common import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    check_csrf,
    language,
    page_principal,
    render,
    site_of,
)
from .timeline import Mark, TimelineRow, render_timeline

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_VERDICT_MARK = {"identical": "=", "minor": "≈", "different": "≠"}
_RECORDABLE = ("recommendation", "resolution")
_DECIDABLE = ("approval", "final_approval")


def _base(pk: str, ref: str | None = None) -> str:
    url = f"/p/{quote(pk, safe='')}"
    return url + (f"/plans/{quote(ref, safe='@')}" if ref else "")


def _date(field: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(field, value, "write the date as YYYY-MM-DD, e.g. 2025-06-19") from None


def _reader(request: Request, pk: str) -> Principal:
    """The logged-in user, who must be allowed to read partnership ``pk``.

    Raises: LoginRequired (nobody logged in), PermissionDenied (no role there)."""
    who = page_principal(request)
    assert who is not None
    require(who, "read", pk)
    return who


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- view models --------------------------------------------------------------------

def _cell_view(c: queries.Cell, wf: WorkflowDefinition, lang: str, link: str) -> dict[str, Any]:
    v: dict[str, Any] = {"stage": c.stage, "title": wf.stages[c.stage].title,
                         "meeting_date": c.meeting_date, "case_number": c.case_number,
                         "outcome": text(lang, f"outcome.{c.outcome}") if c.outcome else "",
                         "next_meeting": c.next_meeting, "verdict": None, "link": "",
                         "accepted": c.accepted, "accepted_label": "", "accepted_reason": ""}
    if c.verdict and c.outcome:
        v["verdict"] = c.verdict
        v["mark"] = _VERDICT_MARK[c.verdict]
        v["verdict_label"] = text(lang, f"verdict.{c.verdict}")
        v["accepted_label"] = text(lang, "label.accepted") if c.accepted else ""
        v["accepted_reason"] = c.accepted_reason or ""
    if c.text:
        v["link"] = link
    return v


def _matrix(st: queries.VersionStatus, wf: WorkflowDefinition, lang: str, pk: str
            ) -> list[dict[str, Any]]:
    late = defaultdict(list)
    for f in st.findings:
        late[f.party].append(f.message_in(lang))
    ref = f"{st.plan}@{st.version}"
    blocks = []
    for phase in wf.phases:
        rows = [r for r in st.parties if r.role == phase.role]
        if not rows:
            continue
        widest = max(rows, key=lambda r: len(r.cells))
        width = len(widest.cells)
        blocks.append({
            "title": phase.title, "current": st.state == phase.state, "width": width,
            "headers": [wf.stages[c.stage].title for c in widest.cells],
            "deadline": st.deadlines.get(phase.name),
            "rows": [{"key": r.party, "name": r.name, "state": r.state,
                      "state_label": case_state_label(wf, r.state, lang),
                      "late": late.get(r.party, []),
                      "cells": [_cell_view(c, wf, lang, f"{_base(pk, ref)}/parties/{r.party}#{c.stage}")
                                for c in r.cells]} for r in rows],
        })
    return blocks


def _timeline(request: Request, st: queries.VersionStatus, wf: WorkflowDefinition, pk: str,
              lang: str) -> str:
    site = site_of(request)
    today = site.clock.today()
    tr_ = _tr(lang)
    late = defaultdict(list)
    for f in st.findings:
        late[f.party].append(f.message_in(lang))
    calendar = defaultdict(list)
    for m in queries.meetings(site, pk):
        calendar[m["party"]].append((m["stage"], date.fromisoformat(m["date"]), m["body"]))
    phase_of = {p.role: p for p in wf.phases}
    last_due = max(st.deadlines.values(), default=None)
    rows = []
    for r in st.parties:
        marks, done = [], set()
        for c in r.cells:
            if c.meeting_date:
                done.add(c.stage)
                marks.append(Mark(c.meeting_date, True, f"{wf.stages[c.stage].title} "
                                  f"{tr_['date'](c.meeting_date)}: {text(lang, f'outcome.{c.outcome}')}"))
        first = st.submitted_on or today
        for stage, day, body in calendar.get(r.party, []):
            if stage in done or day < min(first, today) or (last_due and day > last_due.replace(
                    year=last_due.year + (last_due.month == 12), month=last_due.month % 12 + 1, day=1)):
                continue
            words = tr_["planned"] if day >= today else tr_["past"]
            marks.append(Mark(day, False, f"{body} {tr_['date'](day)}: {words}"))
        rows.append(TimelineRow(r.name, marks, bool(late.get(r.party)), "; ".join(late.get(r.party, []))))
    deadlines = [(phase_of[p.role].title if p.role in phase_of else p.name, st.deadlines[p.name])
                 for p in wf.phases if p.name in st.deadlines]
    fmt = {d: tr_["date"](d) for d in [today, *st.deadlines.values()]}
    return render_timeline(rows, deadlines, today, title=tr_["title"], description=tr_["desc"],
                           today_label=tr_["today"], fmt=fmt)


def _tr(lang: str) -> dict[str, Any]:
    from ..messages import fmt_date
    from .i18n import translations

    gettext = translations(lang).gettext
    return {"date": lambda d: fmt_date(d, lang), "planned": gettext("planned meeting"),
            "past": gettext("past meeting, nothing recorded"),
            "today": gettext("today"), "title": gettext("Meetings against the deadlines"),
            "desc": gettext("One row per party: filled circles are meetings with a recorded "
                      "resolution, hollow circles planned meetings, dashed lines the deadlines. "
                      "A party out of step is marked with a triangle and named in the findings.")}


def _version_page(request: Request, who: Principal, pk: str, ref: str, *, status_code: int = 200,
                  error: BvflowError | None = None, form: dict[str, str] | None = None) -> Response:
    site = site_of(request)
    scope = site.scope(pk)
    wf = scope.config.workflow
    lang = language(request, who)
    st = queries.status(site, pk, ref)[0]
    ref_n = f"{st.plan}@{st.version}"
    steer = can(who, "steer", pk)
    approvers = [p for p in scope.config.parties
                 if any(wf.stages[s].kind in _DECIDABLE for s in scope.config.paths[p.key])]
    deviating = [r for r in st.parties if r.state == "deviating"]
    newest = max((v.version for v in queries.versions(site, pk) if v.plan == st.plan), default=st.version)
    awaiting = {r.party for r in st.parties if r.state in wf.stages}
    open_ = st.submitted_on is not None and st.state not in ("approved", "superseded")
    recordable = [r for r in st.parties if open_ and can(who, "record", pk, r.party)
                  and any(wf.stages[c.stage].kind in _RECORDABLE for c in r.cells)]
    ctx = {
        "pk": pk, "pname": scope.config.name, "st": st, "ref": ref_n, "base": _base(pk, ref_n),
        "state_label": plan_state_label(wf, st.state, lang),
        "deadlines": [(p.title, st.deadlines[p.name]) for p in wf.phases if p.name in st.deadlines],
        "phases": [(p.name, p.title) for p in wf.phases],
        "matrix": _matrix(st, wf, lang, pk),
        "findings": [(f.severity, f.message_in(lang), f.party) for f in st.findings],
        "timeline": Markup(_timeline(request, st, wf, pk, lang)) if st.submitted_on else "",
        "steer": steer, "deviating": deviating, "recordable": recordable,
        "approvers": [(p.key, p.name) for p in approvers if p.key in awaiting],
        "newest": newest == st.version,
        "outcomes": [(o, text(lang, f"outcome.{o}")) for o in
                     ("approved", "rejected", "postponed", "returned_non_principled",
                      "returned_principled")],
        "done": request.query_params.get("done", ""),
        "error": error, "form": form or {},
        "document": _has_document(),
        "content": _content_view(request, pk, ref_n, lang),
    }
    return render(request, "version.html", ctx, who, status_code=status_code)


def _content_view(request: Request, pk: str, ref: str, lang: str) -> dict[str, Any] | None:
    """The plan content shown read-only (issue: plan content): sub-goals with
    their weight and share of the measure funds, measures, the financing plan
    year by year, and what the checks say. None when the version has none."""
    from .. import content
    from ..contentmodel import fmt_nok

    site = site_of(request)
    found = content.review(site, pk, ref, lang)
    if found is None or not (found.content.sub_goals or found.content.measures):
        return None
    c = found.content
    nok = functools.partial(fmt_nok, lang=lang)
    funded = {m.key: sum(m.budget.values()) for m in c.measures}
    total = sum(v for m in c.measures if m.funding == "state_measure_funds" for v in m.budget.values())
    goals = []
    for g in c.sub_goals:
        mine = [m for m in c.measures if m.sub_goal == g.key]
        state = sum(funded[m.key] for m in mine if m.funding == "state_measure_funds")
        goals.append({"title": g.title, "weight": g.weight_pct, "measures": len(mine),
                      "share": round(100 * state / total) if total else 0, "amount": nok(state)})
    titles = {g.key: g.title for g in c.sub_goals}
    measures = [{"key": m.key, "title": m.title, "sub_goal": titles.get(m.sub_goal, m.sub_goal),
                 "responsible": m.responsible, "start": m.start, "end": m.end,
                 "funding": text(lang, f"funding.{m.funding}"), "status": text(lang, f"mstatus.{m.status}"),
                 "budget": nok(funded[m.key])} for m in c.measures]
    ledger = [{"year": y.year, "granted": nok(y.granted), "carried_in": nok(y.carried_in),
               "available": nok(y.available), "allocated": nok(y.allocated), "spent": nok(y.spent),
               "carried_out": nok(y.carried_out), "closed": y.closed}
              for y in found.ledger]
    problems = [(p.severity, p.message) for p in found.result.problems]
    return {"goals": goals, "measures": measures, "ledger": ledger, "problems": problems}


def _event_words(gettext: Any) -> dict[str, str]:
    """People's words for audit events and outbox kinds and statuses."""
    return {
        "create": gettext("created"), "edit": gettext("draft edited"), "edit_draft": gettext("draft edited"),
        "edit_content": gettext("content edited"), "submit": gettext("submitted"),
        "open": gettext("case opened"), "record": gettext("resolution recorded"),
        "accept_equivalent": gettext("accepted as equivalent"), "advance": gettext("next phase"),
        "decide": gettext("decision recorded"), "approve": gettext("approved"),
        "return_non_principled": gettext("returned (non-principled changes)"),
        "return_principled": gettext("returned (principled changes)"),
        "resubmit": gettext("resubmitted"), "new_version": gettext("new version"),
        "revision": gettext("revision opened"), "register": gettext("case registered"),
        "register_case": gettext("case registered"),
        "pending": gettext("waiting to be sent"), "sent": gettext("sent"),
        "failed": gettext("failed"), "withdrawn": gettext("withdrawn (no longer needed)"),
        "reminder": gettext("reminder"), "escalation": gettext("escalation"),
        "digest": gettext("weekly digest"), "revision_opened": gettext("revision opened"),
        "no_meeting_before_deadline": gettext("alert: no meeting before the deadline"),
        "missing_record": gettext("alert: resolution not recorded"),
        "deviating_resolution": gettext("alert: resolution not identical"),
        "deadline_passed": gettext("alert: deadline passed"),
        "rejected": gettext("alert: rejected"), "postponed": gettext("alert: postponed"),
    }


def _has_document() -> bool:
    try:
        from .. import casedoc  # noqa: F401
    except ImportError:
        return False
    return True


def _steering_action(request: Request, pk: str, ref: str, csrf_token: str, action: Any,
                     form: dict[str, str], done: str) -> Response:
    """Run one steering-group action; on a refused input show the plan page
    again with the error and what was typed (status 422/409)."""
    from .app import status_of

    who = page_principal(request)
    assert who is not None
    check_csrf(who, csrf_token)
    require(who, "steer", pk)
    try:
        action(who)
    except InputError as exc:
        if exc.field in ("plan",):
            raise
        return _version_page(request, who, pk, ref, status_code=status_of(exc), error=exc, form=form)
    except BvflowError as exc:
        if status_of(exc) != 409:
            raise
        return _version_page(request, who, pk, ref, status_code=409, error=exc, form=form)
    # a revision or a principled return makes a new version: show the plan's newest then
    target = ref.partition("@")[0] if done in ("revised",) else ref
    return _redirect(f"{_base(pk, target)}?done={done}")


# -- login --------------------------------------------------------------------------

def _safe_next(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002 - the query's name
    import secrets

    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    resp = render(request, "login.html", {"next": _safe_next(next), "login_csrf": token,
                                          "error": None, "username": ""}, None)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                    secure=site_of(request).config.web.secure_cookies, path="/login")
    return resp


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=1024)] = "",
          csrf_token: Annotated[str, Form(max_length=200)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:  # noqa: A002
    import secrets

    site = site_of(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), csrf_token.encode()):
        return render(request, "login.html", {"next": _safe_next(next), "login_csrf": cookie,
                                              "username": username,
                                              "error": "csrf"}, None, status_code=403)
    try:
        who = authenticate(site, username, password)
    except AuthenticationError as exc:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return render(request, "login.html", {"next": _safe_next(next), "login_csrf": cookie,
                                              "username": username,
                                              "error": "throttled" if exc.retry_after else "refused",
                                              "wait": exc.retry_after},
                      None, status_code=429 if exc.retry_after else 401, headers=headers)
    token, _csrf = start_session(site, who)
    resp = _redirect(_safe_next(next))
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                    secure=site.config.web.secure_cookies,
                    max_age=site.config.web.session_hours * 3600)
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return resp


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    who = page_principal(request)
    assert who is not None
    check_csrf(who, csrf_token)
    end_session(site_of(request), request.cookies.get(SESSION_COOKIE, ""))
    resp = _redirect("/login")
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.get("/healthz")
def healthz() -> Response:
    return Response("ok\n", media_type="text/plain")


# -- reading ------------------------------------------------------------------------

@router.get("/")
def overview(request: Request) -> Response:
    who = page_principal(request)
    assert who is not None
    site = site_of(request)
    lang = language(request, who)
    groups = []
    for pc in site.config.partnerships:
        if not can(who, "read", pc.key):
            continue
        rows = [{"row": v, "state_label": plan_state_label(pc.workflow, v.state, lang),
                 "url": _base(pc.key, f"{v.plan}@{v.version}")}
                for v in queries.versions(site, pc.key)]
        groups.append({"key": pc.key, "name": pc.name, "rows": rows, "url": _base(pc.key)})
    return render(request, "overview.html", {"groups": groups}, who)


@router.get("/p/{pk}")
def partnership_page(request: Request, pk: str) -> Response:
    who = _reader(request, pk)
    site = site_of(request)
    scope = site.scope(pk)
    lang = language(request, who)
    rows = [{"row": v, "state_label": plan_state_label(scope.config.workflow, v.state, lang),
             "url": _base(pk, f"{v.plan}@{v.version}")} for v in queries.versions(site, pk)]
    members = [{"key": p.key, "name": p.name, "role": p.role} for p in scope.config.parties]
    return render(request, "partnership.html", {"pk": pk, "pname": scope.config.name, "rows": rows,
                                                "parties": members, "base": _base(pk)}, who)


@router.get("/p/{pk}/plans/{ref}")
def version_page(request: Request, pk: str, ref: str) -> Response:
    who = _reader(request, pk)
    return _version_page(request, who, pk, ref)


@router.get("/p/{pk}/plans/{ref}/timeline.svg")
def timeline_svg(request: Request, pk: str, ref: str) -> Response:
    who = _reader(request, pk)
    site = site_of(request)
    st = queries.status(site, pk, ref)[0]
    svg = _timeline(request, st, site.scope(pk).config.workflow, pk, language(request, who))
    return Response(svg, media_type="image/svg+xml")


@router.get("/p/{pk}/plans/{ref}/parties/{party}")
def resolution_page(request: Request, pk: str, ref: str, party: str) -> Response:
    who = _reader(request, pk)
    site = site_of(request)
    wf = site.scope(pk).config.workflow
    lang = language(request, who)
    st = queries.status(site, pk, ref)[0]
    row = next((r for r in st.parties if r.party == party), None)
    if row is None:
        from ..errors import NotFoundError

        raise NotFoundError("party", party, f"not a party of {st.plan}@{st.version}")
    stages = []
    for c in row.cells:
        if not c.outcome:
            continue
        cmp = compare_texts(st.proposal, c.text) if c.text else None
        stages.append({"cell": _cell_view(c, wf, lang, ""), "segments": cmp.segments if cmp else (),
                       "text": c.text,
                       "differences": cmp.differences if cmp else ()})
    return render(request, "resolution.html", {
        "pk": pk, "pname": site.scope(pk).config.name, "st": st, "row": row, "stages": stages,
        "ref": f"{st.plan}@{st.version}", "base": _base(pk, f"{st.plan}@{st.version}"),
        "state_label": case_state_label(wf, row.state, lang)}, who)


@router.get("/p/{pk}/plans/{ref}/history")
def history_page(request: Request, pk: str, ref: str) -> Response:
    who = _reader(request, pk)
    from .i18n import translations

    site = site_of(request)
    wf = site.scope(pk).config.workflow
    lang = language(request, who)
    words = _event_words(translations(lang).gettext)

    def state(subject: str, value: str) -> str:
        if not value:
            return "–"
        return (plan_state_label if subject == "plan" else case_state_label)(wf, value, lang)

    entries = [{"at": e.at, "version": e.version, "actor": e.actor, "party": e.party,
                "event": words.get(e.event, e.event), "from": state(e.subject, e.from_state),
                "to": state(e.subject, e.to_state), "reason": e.reason}
               for e in queries.history(site, pk, ref)]
    return render(request, "history.html", {"pk": pk, "pname": site.scope(pk).config.name,
                                            "ref": ref, "entries": entries,
                                            "base": _base(pk, ref)}, who)


@router.get("/p/{pk}/outbox")
def outbox_page(request: Request, pk: str) -> Response:
    who = _reader(request, pk)
    from .i18n import translations

    site = site_of(request)
    words = _event_words(translations(language(request, who)).gettext)
    rows = [m | {"status_label": words.get(m["status"], m["status"]),
                 "kind_label": words.get(m["kind"], m["kind"])} for m in queries.outbox(site, pk)[::-1]]
    return render(request, "outbox.html", {"pk": pk, "pname": site.scope(pk).config.name,
                                           "rows": rows, "base": _base(pk)}, who)


@router.get("/p/{pk}/calendar.ics")
def calendar_feed(request: Request, pk: str, plan: Annotated[str | None, Query(max_length=200)] = None,
                  token: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """iCalendar feed; calendar programs that cannot log in pass a calendar
    token (``bvflow user token NAME --calendar``: it opens nothing else) as ``?token=``."""
    site = site_of(request)
    who = token_principal(site, token, scope="calendar") if token else page_principal(request)
    assert who is not None
    require(who, "read", pk)
    if plan and not any(v.plan == plan.partition("@")[0] for v in queries.versions(site, pk)):
        from ..errors import NotFoundError

        raise NotFoundError("plan", plan, "no such plan in this partnership")
    data = partnership_calendar(site, pk, plan)
    name = f"bvflow-{pk}" + (f"-{plan.partition('@')[0]}" if plan else "")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return Response(data, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{safe}.ics"'})


@router.get("/p/{pk}/plans/{ref}/document")
def case_document(request: Request, pk: str, ref: str, format: str = "html") -> Response:  # noqa: A002
    """The case document (saksframlegg) of a plan version, HTML or PDF."""
    who = _reader(request, pk)
    from .. import casedoc

    site = site_of(request)
    lang = language(request, who)
    if format == "pdf":
        return Response(casedoc.render_pdf(site, pk, ref, lang=lang), media_type="application/pdf",
                        headers={"Content-Disposition": 'inline; filename="saksframlegg.pdf"'})
    # a standalone document with its own inline stylesheet and no scripts
    return Response(casedoc.render_html(site, pk, ref, lang=lang), media_type="text/html",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                        "img-src data:; frame-ancestors 'none'"})


# -- recording ----------------------------------------------------------------------

def _record_context(request: Request, who: Principal, pk: str, ref: str) -> dict[str, Any]:
    site = site_of(request)
    scope = site.scope(pk)
    wf = scope.config.workflow
    lang = language(request, who)
    st = queries.status(site, pk, ref)[0]
    parties = [(r.party, r.name) for r in st.parties if can(who, "record", pk, r.party)
               and any(wf.stages[c.stage].kind in _RECORDABLE for c in r.cells)]
    stages = []
    for key, s in wf.stages.items():
        if s.kind in _RECORDABLE and any(key in scope.config.paths[p] for p, _ in parties):
            stages.append((key, s.title))
    outcomes = [(o, text(lang, f"outcome.{o}")) for o in OUTCOMES["resolution"]]
    return {"pk": pk, "pname": scope.config.name, "st": st, "ref": f"{st.plan}@{st.version}",
            "base": _base(pk, f"{st.plan}@{st.version}"), "parties": parties, "stages": stages,
            "outcomes": outcomes, "result": None, "error": None, "form": {}}


@router.get("/p/{pk}/plans/{ref}/record")
def record_form(request: Request, pk: str, ref: str,
                party: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    who = _reader(request, pk)
    ctx = _record_context(request, who, pk, ref)
    if not ctx["parties"]:
        require(who, "record", pk, party or "-")
    ctx["form"] = {"party": party or (ctx["parties"][0][0] if len(ctx["parties"]) == 1 else "")}
    return render(request, "record.html", ctx, who)


@router.post("/p/{pk}/plans/{ref}/record")
def record_submit(
    request: Request, pk: str, ref: str,
    party: Annotated[str, Form(max_length=64)] = "",
    stage: Annotated[str, Form(max_length=64)] = "",
    meeting_date: Annotated[str, Form(max_length=40)] = "",
    outcome: Annotated[str, Form(max_length=40)] = "passed",
    case_number: Annotated[str, Form(max_length=64)] = "",
    text_: Annotated[str, Form(alias="text", max_length=400_000)] = "",
    as_proposed: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    from .app import status_of

    who = page_principal(request)
    assert who is not None
    check_csrf(who, csrf_token)
    require(who, "record", pk, party)
    ctx = _record_context(request, who, pk, ref)
    form = {"party": party, "stage": stage, "meeting_date": meeting_date, "outcome": outcome,
            "case_number": case_number, "text": text_, "as_proposed": as_proposed}
    ctx["form"] = form
    try:
        day = _date("meeting_date", meeting_date)
        result = services.record_resolution(
            site_of(request), pk, ref, party, stage, day, outcome, text_ if text_.strip() else None,
            as_proposed=bool(as_proposed), case_number=case_number, actor=who.actor, source="web")
    except BvflowError as exc:
        code = status_of(exc)
        if code not in (404, 409, 422):
            raise
        ctx["error"] = exc
        return render(request, "record.html", ctx, who, status_code=code)
    wf = site_of(request).scope(pk).config.workflow
    lang = language(request, who)
    ctx["result"] = {
        "r": result, "case_label": case_state_label(wf, result.case_state, lang),
        "verdict_label": text(lang, f"verdict.{result.verdict}") if result.verdict else "",
        "mark": _VERDICT_MARK.get(result.verdict or "", ""),
        "segments": result.comparison.segments if result.comparison else (),
        "findings": [f.message_in(lang) for f in result.findings],
    }
    ctx["form"] = {"party": party, "stage": stage, "outcome": outcome}
    return render(request, "record.html", ctx, who)


# -- steering-group actions ---------------------------------------------------------

@router.post("/p/{pk}/plans/{ref}/submit")
async def submit(request: Request, pk: str, ref: str) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    site = site_of(request)

    def act(who: Principal) -> None:  # runs after the login, CSRF and role checks
        phases = [p.name for p in site.scope(pk).config.workflow.phases]
        deadlines = {p: _date(f"deadline_{p}", form[f"deadline_{p}"]) for p in phases
                     if form.get(f"deadline_{p}", "").strip()}
        services.submit_plan(site, pk, ref, actor=who.actor, deadlines=deadlines)

    return await _run_in_thread(request, pk, ref, form, act, "submitted")


async def _run_in_thread(request: Request, pk: str, ref: str, form: dict[str, str], act: Any,
                         done: str) -> Response:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_steering_action, request, pk, ref, form.get("csrf_token", ""),
                                   act, form, done)


@router.post("/p/{pk}/plans/{ref}/accept")
def accept(request: Request, pk: str, ref: str, party: Annotated[str, Form(max_length=64)] = "",
           reason: Annotated[str, Form(max_length=20_000)] = "",
           csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    site = site_of(request)
    return _steering_action(
        request, pk, ref, csrf_token,
        lambda who: services.accept_equivalent(site, pk, ref, party, reason, actor=who.actor),
        {"party": party, "reason": reason, "action": "accept"}, "accepted")


@router.post("/p/{pk}/plans/{ref}/decide")
def decide(request: Request, pk: str, ref: str, party: Annotated[str, Form(max_length=64)] = "",
           outcome: Annotated[str, Form(max_length=40)] = "",
           decided_on: Annotated[str, Form(max_length=40)] = "",
           case_number: Annotated[str, Form(max_length=64)] = "",
           reason: Annotated[str, Form(max_length=20_000)] = "",
           csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    site = site_of(request)
    return _steering_action(
        request, pk, ref, csrf_token,
        lambda who: services.decide(site, pk, ref, party, outcome, _date("decided_on", decided_on),
                                    case_number=case_number, reason=reason, actor=who.actor,
                                    source="web"),
        {"party": party, "outcome": outcome, "decided_on": decided_on, "case_number": case_number,
         "reason": reason, "action": "decide"}, "decided")


@router.post("/p/{pk}/plans/{ref}/revise")
def revise(request: Request, pk: str, ref: str, reason: Annotated[str, Form(max_length=20_000)] = "",
           csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    site = site_of(request)
    return _steering_action(
        request, pk, ref, csrf_token,
        lambda who: services.revise_plan(site, pk, ref, actor=who.actor, reason=reason or "revision"),
        {"reason": reason, "action": "revise"}, "revised")


@router.post("/p/{pk}/plans/{ref}/resubmit")
def resubmit(request: Request, pk: str, ref: str, reason: Annotated[str, Form(max_length=20_000)] = "",
             csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    site = site_of(request)
    return _steering_action(
        request, pk, ref, csrf_token,
        lambda who: services.resubmit(site, pk, ref, reason, actor=who.actor),
        {"reason": reason, "action": "resubmit"}, "resubmitted")
