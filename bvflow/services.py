"""Service functions: every change to a plan goes through here (CLI, demo, web).

Each function opens one unit of work: it validates the input, asks the
workflow's state machine whether the event is allowed, writes the new state,
an audit record and any notifications, and commits them together — or raises
and stores nothing. Dates are Oslo dates; instants come from ``site.clock``.

Errors: :class:`~bvflow.errors.InputError` / ``NotFoundError`` (field and
value named), :class:`~bvflow.errors.TransitionNotAllowed` (current state
named), :class:`~bvflow.errors.ConflictError` (a concurrent writer won).

The functions live in :mod:`bvflow.plans` (plan lifecycle, calendars, the
daily scan) and :mod:`bvflow.recording` (resolutions and decisions); this
module is the one place callers import them from.
"""

from __future__ import annotations

from .engine import MAX_TEXT, find_version
from .plans import (
    ScanResult,
    add_meeting,
    create_plan,
    edit_draft,
    raise_findings,
    register_case,
    resubmit,
    revise_plan,
    submit_plan,
)
from .recording import RecordResult, accept_equivalent, decide, record_resolution

__all__ = [
    "MAX_TEXT",
    "RecordResult",
    "ScanResult",
    "accept_equivalent",
    "add_meeting",
    "create_plan",
    "decide",
    "edit_draft",
    "find_version",
    "raise_findings",
    "record_resolution",
    "register_case",
    "resubmit",
    "revise_plan",
    "submit_plan",
]
