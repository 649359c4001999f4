"""The JSON API under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``).

Authentication: ``Authorization: Bearer <token>`` with a per-user token from
``bvflow user token NAME``. The same roles as the pages apply
(:mod:`bvflow.authz`). Errors are JSON ``{"error": {"type", "message",
"field", "value"}}``: 401 no or bad token, 403 role, 404 unknown partnership/
plan/party, 409 a state that does not allow the action or a concurrent write,
422 bad input, 429 login throttled. Dates are Oslo local dates (ISO
``YYYY-MM-DD``); instants are UTC (ISO 8601 with offset).

Optimistic concurrency: ``GET …/plans/{ref}`` returns an ``ETag``; a write sent
with ``If-Match`` is refused with 409 when the plan version changed since.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import fiks, queries, services
from ..authz import can, require
from ..db import unit_of_work
from ..engine import find_version
from ..errors import ConflictError
from ..models import PlanVersion
from ..users import Principal
from .common import api_principal, site_of

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["bvflow"])

PK = Annotated[str, Path(description="Partnership key, e.g. vest-telemark", max_length=64)]
REF = Annotated[str, Path(description="Plan KEY (newest version) or KEY@N", max_length=80)]
IfMatch = Annotated[str | None, Header(description="ETag from GET …/plans/{ref}; 409 if changed",
                                       max_length=200)]

_ERROR = {"description": "Error", "content": {"application/json": {"example": {
    "error": {"type": "InputError", "message": "outcome = 'x': use one of passed, …",
              "field": "outcome", "value": "x"}}}}}
_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _ERROR, 403: _ERROR, 404: _ERROR, 409: _ERROR, 422: _ERROR}
_READ_RESPONSES: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: _ERROR, 404: _ERROR}


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResolutionIn(_In):
    """A body's resolution for one party (as ``bvflow record``)."""

    party: str = Field(max_length=64, description="party key, e.g. seljord")
    stage: str = Field(max_length=64, description="stage (body), e.g. kommunestyre")
    meeting_date: date = Field(description="Oslo date of the meeting")
    outcome: str = Field(default="passed", max_length=40,
                         description="passed, passed_with_amendments, rejected, postponed")
    text: str | None = Field(default=None, max_length=200_000,
                             description="the text the body passed (compared with the proposal)")
    as_proposed: bool = Field(default=False, description="passed exactly as proposed (no text)")
    case_number: str = Field(default="", max_length=64)


class SubmitIn(_In):
    deadlines: dict[str, date] = Field(default_factory=dict,
                                       description="phase name → Oslo date, e.g. municipalities")


class AcceptIn(_In):
    party: str = Field(max_length=64)
    reason: str = Field(max_length=20_000, description="why the resolution is equivalent")


class DecisionIn(_In):
    party: str = Field(max_length=64, description="approver: county, partner or kdd")
    outcome: str = Field(max_length=40, description="approved, rejected, postponed, "
                                                    "returned_non_principled, returned_principled")
    decided_on: date
    case_number: str = Field(default="", max_length=64)
    reason: str = Field(default="", max_length=20_000)


class ReasonIn(_In):
    reason: str = Field(default="", max_length=20_000)


def _who(request: Request) -> Principal:
    return api_principal(request)


def _caller(request: Request, action: str, pk: str, party: str | None = None) -> Principal:
    """The token's user, who must be allowed ``action`` in ``pk`` (for ``party``).

    Raises: AuthenticationError (401), PermissionDenied (403)."""
    who = api_principal(request)
    require(who, action, pk, party)
    return who


def _etag(pv: PlanVersion) -> str:
    return f'"pv{pv.id}-{pv.version}"'


def _check_if_match(request: Request, pk: str, ref: str, if_match: str | None) -> None:
    """409 when ``If-Match`` names another state of the plan version than the stored one."""
    if not if_match:
        return
    site = site_of(request)
    scope = site.scope(pk)
    with unit_of_work(site.engine) as s:
        _plan, pv = find_version(s, scope, ref)
        if if_match.strip() not in ("*", _etag(pv)):
            raise ConflictError(f"plan {ref} (If-Match {if_match.strip()} ≠ {_etag(pv)})")


@router.get("/me", responses=_READ_RESPONSES)
def me(request: Request) -> dict[str, Any]:
    """Who the token belongs to, and its roles per partnership."""
    who = _who(request)
    return {"username": who.username, "display_name": who.display_name, "admin": who.is_admin,
            "roles": {k: {"role": g.role, "party": g.party} for k, g in who.grants.items()}}


@router.get("/partnerships", responses=_READ_RESPONSES)
def partnerships(request: Request) -> list[dict[str, Any]]:
    """The partnerships the caller may read: key, name, workflow, parties."""
    who = _who(request)
    site = site_of(request)
    return [{"key": p.key, "name": p.name, "workflow": p.workflow.name,
             "parties": [{"key": x.key, "name": x.name, "role": x.role} for x in p.parties]}
            for p in site.config.partnerships if can(who, "read", p.key)]


@router.get("/partnerships/{pk}/plans", responses=_READ_RESPONSES)
def plans(request: Request, pk: PK) -> list[dict[str, Any]]:
    """Every plan version: state, next deadline, open findings."""
    _caller(request, "read", pk)
    return [v.to_dict() for v in queries.versions(site_of(request), pk)]


@router.get("/partnerships/{pk}/plans/{ref}", responses=_READ_RESPONSES)
def plan_version(request: Request, pk: PK, ref: REF) -> JSONResponse:
    """One plan version with its status matrix (parties × stages) and findings."""
    _caller(request, "read", pk)
    site = site_of(request)
    st = queries.status(site, pk, ref)[0]
    with unit_of_work(site.engine) as s:
        _plan, pv = find_version(s, site.scope(pk), ref)
        etag = _etag(pv)
    return JSONResponse(st.to_dict() | {"etag": etag}, headers={"ETag": etag})


@router.get("/partnerships/{pk}/plans/{ref}/findings", responses=_READ_RESPONSES)
def findings(request: Request, pk: PK, ref: REF) -> list[dict[str, Any]]:
    """Open findings of one plan version today."""
    _caller(request, "read", pk)
    return [f.to_dict() for f in queries.status(site_of(request), pk, ref)[0].findings]


@router.get("/partnerships/{pk}/plans/{ref}/history", responses=_READ_RESPONSES)
def history(request: Request, pk: PK, ref: REF) -> list[dict[str, Any]]:
    """The audit trail, oldest first (every version for KEY, one for KEY@N)."""
    _caller(request, "read", pk)
    return [e.to_dict() for e in queries.history(site_of(request), pk, ref)]


@router.post("/partnerships/{pk}/plans/{ref}/resolutions", status_code=201,
             responses=_WRITE_RESPONSES)
def record(request: Request, pk: PK, ref: REF, body: ResolutionIn,
           if_match: IfMatch = None) -> dict[str, Any]:
    """Record a body's resolution; answers the verdict (identical/minor/different),
    the word-level comparison and the new states."""
    who = _caller(request, "record", pk, body.party)
    _check_if_match(request, pk, ref, if_match)
    r = services.record_resolution(site_of(request), pk, ref, body.party, body.stage,
                                   body.meeting_date, body.outcome, body.text,
                                   as_proposed=body.as_proposed, case_number=body.case_number,
                                   actor=who.actor, source="api")
    return {"plan": r.plan, "version": r.version, "party": r.party, "stage": r.stage,
            "outcome": r.outcome, "verdict": r.verdict,
            "comparison": r.comparison.to_dict() if r.comparison else None,
            "case_state": r.case_state, "plan_state": r.plan_state,
            "findings": [f.to_dict() for f in r.findings]}


@router.post("/partnerships/{pk}/plans/{ref}/submit", responses=_WRITE_RESPONSES)
def submit(request: Request, pk: PK, ref: REF, body: SubmitIn, if_match: IfMatch = None
           ) -> dict[str, Any]:
    """Steering group submits a draft to the parties (deadlines per phase)."""
    who = _caller(request, "steer", pk)
    _check_if_match(request, pk, ref, if_match)
    found = services.submit_plan(site_of(request), pk, ref, actor=who.actor, deadlines=body.deadlines)
    return {"findings": [f.to_dict() for f in found]}


@router.post("/partnerships/{pk}/plans/{ref}/accept-equivalent", responses=_WRITE_RESPONSES)
def accept_equivalent(request: Request, pk: PK, ref: REF, body: AcceptIn, if_match: IfMatch = None
                      ) -> dict[str, Any]:
    """Steering group accepts a deviating resolution as equivalent (reason required)."""
    who = _caller(request, "steer", pk)
    _check_if_match(request, pk, ref, if_match)
    found = services.accept_equivalent(site_of(request), pk, ref, body.party, body.reason,
                                       actor=who.actor)
    return {"findings": [f.to_dict() for f in found]}


@router.post("/partnerships/{pk}/plans/{ref}/decisions", responses=_WRITE_RESPONSES)
def decision(request: Request, pk: PK, ref: REF, body: DecisionIn, if_match: IfMatch = None
             ) -> dict[str, Any]:
    """An approver's decision (county, cooperation partner, KDD)."""
    who = _caller(request, "steer", pk)
    _check_if_match(request, pk, ref, if_match)
    pv = services.decide(site_of(request), pk, ref, body.party, body.outcome, body.decided_on,
                         case_number=body.case_number, reason=body.reason, actor=who.actor,
                         source="api")
    return {"version": pv.number, "state": pv.state}


@router.post("/partnerships/{pk}/fiks/vedtak", responses=_WRITE_RESPONSES)
def import_vedtak(request: Request, pk: PK, message: Annotated[dict[str, Any], Body(
                      description="A KS Fiks SendVedtakFraUtvalg message (validated against the "
                                  "official schema)")],
                  plan: Annotated[str | None, Query(max_length=80, description="KEY@N when "
                                                    "several versions wait")] = None
                  ) -> dict[str, Any]:
    """Record the resolution in a KS Fiks SendVedtakFraUtvalg message, as
    ``bvflow import vedtak`` does; importing the same message again is a no-op."""
    who = _caller(request, "read", pk)
    r = fiks.import_vedtak(site_of(request), pk, message, "api", plan_ref=plan,
                           actor=f"{who.actor}:fiks",
                           authorize=lambda party: require(who, "record", pk, party))
    return {"plan": r.plan, "version": r.version, "party": r.party, "stage": r.stage,
            "verdict": r.verdict, "case_state": r.case_state, "warnings": r.warnings,
            "already_imported": r.already_imported}


@router.post("/partnerships/{pk}/plans/{ref}/revise", responses=_WRITE_RESPONSES)
def revise(request: Request, pk: PK, ref: REF, body: ReasonIn) -> dict[str, Any]:
    """Open a revision: a new draft from the newest, approved version."""
    who = _caller(request, "steer", pk)
    pv = services.revise_plan(site_of(request), pk, ref, actor=who.actor,
                              reason=body.reason or "revision")
    return {"version": pv.number, "state": pv.state}


@router.post("/partnerships/{pk}/plans/{ref}/resubmit", responses=_WRITE_RESPONSES)
def resubmit(request: Request, pk: PK, ref: REF, body: ReasonIn, if_match: IfMatch = None
             ) -> dict[str, Any]:
    """Resubmit a version KDD returned with non-principled changes (the mandate)."""
    who = _caller(request, "steer", pk)
    _check_if_match(request, pk, ref, if_match)
    services.resubmit(site_of(request), pk, ref, body.reason, actor=who.actor)
    with unit_of_work(site_of(request).engine) as s:
        _plan, pv = find_version(s, site_of(request).scope(pk), ref)
    return {"version": pv.number, "state": pv.state}

