"""Words people read, in nynorsk (default), bokmål and English.

A small catalogue keyed by message id; ``text(lang, id, **values)`` formats one.
Dates shown to people are formatted by :func:`fmt_date` ("27. juni 2025").
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

__all__ = ["text", "fmt_date", "LANGUAGES"]

LANGUAGES = ("nn", "nb", "en")

_BABEL = {"nn": "nn_NO", "nb": "nb_NO", "en": "en_GB"}

_CATALOGUE: dict[str, dict[str, str]] = {
    "finding.no_meeting_before_deadline": {
        "nn": "{party}: {body} har inkje møte før fristen {deadline}.",
        "nb": "{party}: {body} har ikke noe møte før fristen {deadline}.",
        "en": "{party}: {body} has no meeting before the deadline {deadline}.",
    },
    "finding.missing_record": {
        "nn": "{party}: {body} hadde møte {meeting}, men inkje vedtak er registrert.",
        "nb": "{party}: {body} hadde møte {meeting}, men ikke noe vedtak er registrert.",
        "en": "{party}: {body} met on {meeting}, but no resolution has been recorded.",
    },
    "finding.deviating_resolution": {
        "nn": "{party}: vedtaket i {body} {meeting} er ikkje likelydande ({verdict}).",
        "nb": "{party}: vedtaket i {body} {meeting} er ikke likelydende ({verdict}).",
        "en": "{party}: the resolution of {body} on {meeting} is not identical ({verdict}).",
    },
    "finding.postponed": {
        "nn": "{party}: {body} utsette saka {meeting}.",
        "nb": "{party}: {body} utsatte saken {meeting}.",
        "en": "{party}: {body} postponed the case on {meeting}.",
    },
    "finding.rejected": {
        "nn": "{party}: {body} avviste planen {meeting}.",
        "nb": "{party}: {body} avviste planen {meeting}.",
        "en": "{party}: {body} rejected the plan on {meeting}.",
    },
    "finding.deadline_passed": {
        "nn": "{party}: fristen {deadline} har gått ut utan godkjent vedtak.",
        "nb": "{party}: fristen {deadline} har gått ut uten godkjent vedtak.",
        "en": "{party}: the deadline {deadline} has passed without an approved resolution.",
    },
    "kind.no_meeting_before_deadline": {
        "nn": "inkje møte før fristen", "nb": "ikke møte før fristen",
        "en": "no meeting before the deadline"},
    "kind.missing_record": {
        "nn": "vedtak manglar", "nb": "vedtak mangler", "en": "resolution missing"},
    "kind.deviating_resolution": {
        "nn": "vedtaket er ikkje likelydande", "nb": "vedtaket er ikke likelydende",
        "en": "resolution not identical"},
    "kind.postponed": {"nn": "saka er utsett", "nb": "saken er utsatt", "en": "case postponed"},
    "kind.rejected": {"nn": "planen er avvist", "nb": "planen er avvist", "en": "plan rejected"},
    "kind.deadline_passed": {
        "nn": "fristen er ute", "nb": "fristen er ute", "en": "deadline passed"},
    "severity.critical": {"nn": "kritisk", "nb": "kritisk", "en": "critical"},
    "severity.warning": {"nn": "åtvaring", "nb": "advarsel", "en": "warning"},
    "verdict.identical": {"nn": "likelydande", "nb": "likelydende", "en": "identical"},
    "verdict.minor": {"nn": "små avvik", "nb": "små avvik", "en": "minor differences"},
    "verdict.different": {"nn": "ulikt", "nb": "ulikt", "en": "different"},
}


def text(lang: str, msg_id: str, **values: object) -> str:
    """The message ``msg_id`` in ``lang`` (falls back to nynorsk), formatted with ``values``.

    Raises:
        KeyError: unknown ``msg_id`` (a programming error, caught by the tests).
    """
    entry = _CATALOGUE[msg_id]
    return entry.get(lang, entry["nn"]).format(**values)


def fmt_date(day: date, lang: str = "nn") -> str:
    """A date as people write it: ``27. juni 2025`` (nn/nb), ``27 June 2025`` (en)."""
    return format_date(day, format="long", locale=_BABEL.get(lang, "nn_NO"))
