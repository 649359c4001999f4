"""Who may do what: one table of rules for the web pages and the JSON API.

Actions (issue: web dashboard, "Users and roles"):

==========  =========================================================  ==========================
action      what                                                       who
==========  =========================================================  ==========================
``read``    see a partnership's plans, matrix, findings, audit, outbox  any role there, admin
``record``  record a resolution, register a case number for a party    steering, admin; secretary
                                                                       only for her/his own party
``steer``   submit, accept as equivalent, county/partner/KDD outcomes,  steering, admin
            open a revision, resubmit, edit a draft
``admin``   manage users                                               admin
==========  =========================================================  ==========================

An observer can write nothing. A user without a role in a partnership cannot
see it at all: the pages and the API answer 403 for it, whether it exists or
not, so the answer does not reveal which partnerships an installation holds.
"""

from __future__ import annotations

from .errors import PermissionDenied
from .users import Principal

__all__ = ["ACTIONS", "can", "require", "visible"]

ACTIONS = ("read", "record", "steer", "admin")


def can(who: Principal, action: str, partnership: str, party: str | None = None) -> bool:
    """True when ``who`` may do ``action`` in ``partnership`` (for ``party``:
    the party a resolution is recorded for).

    Raises: ValueError for an unknown action (a programming error).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if who.is_admin:
        return True
    g = who.grants.get(partnership)
    if g is None or action == "admin":
        return False
    if action == "read":
        return True
    if g.role == "steering":
        return True
    if g.role == "secretary" and action == "record":
        return party is not None and party == g.party
    return False


def require(who: Principal, action: str, partnership: str, party: str | None = None) -> None:
    """Raise :class:`PermissionDenied` unless :func:`can`."""
    if not can(who, action, partnership, party):
        raise PermissionDenied(action, partnership, party)


def visible(who: Principal, partnerships: list[str]) -> list[str]:
    """The partnership keys among ``partnerships`` that ``who`` may read, in order."""
    return [p for p in partnerships if can(who, "read", p)]
