"""Words people read, in nynorsk (default), bokmål and English.

A small catalogue keyed by message id; ``text(lang, id, **values)`` formats one.
Dates shown to people are formatted by :func:`fmt_date` ("27. juni 2025").
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from .contentmessages import CONTENT_MESSAGES

__all__ = ["text", "fmt_date", "LANGUAGES"]

LANGUAGES = ("nn", "nb", "en")

_BABEL = {"nn": "nn_NO", "nb": "nb_NO", "en": "en_GB"}

_CATALOGUE: dict[str, dict[str, str]] = {
    "finding.no_meeting_before_deadline": {
        "nn": "{party}: {body} har inkje møte att før fristen {deadline}.",
        "nb": "{party}: {body} har ikke flere møter før fristen {deadline}.",
        "en": "{party}: {body} has no meeting left before the deadline {deadline}.",
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
    "state.draft": {"nn": "utkast", "nb": "utkast", "en": "draft"},
    "state.returned": {"nn": "returnert frå godkjennar", "nb": "returnert fra godkjenner",
                       "en": "returned by the approver"},
    "state.approved": {"nn": "godkjent", "nb": "godkjent", "en": "approved"},
    "state.superseded": {"nn": "erstatta av ny versjon", "nb": "erstattet av ny versjon",
                         "en": "superseded"},
    "state.phase": {"nn": "til handsaming: {phase}", "nb": "til behandling: {phase}",
                    "en": "in progress: {phase}"},
    "case.waiting": {"nn": "ventar", "nb": "venter", "en": "waiting"},
    "case.stage": {"nn": "ventar på {stage}", "nb": "venter på {stage}", "en": "awaiting {stage}"},
    "case.deviating": {"nn": "AVVIK – ikkje likelydande", "nb": "AVVIK – ikke likelydende",
                       "en": "DEVIATING – not identical"},
    "case.rejected": {"nn": "AVVIST", "nb": "AVVIST", "en": "REJECTED"},
    "case.passed": {"nn": "ferdig", "nb": "ferdig", "en": "done"},
    "case.returned": {"nn": "returnert", "nb": "returnert", "en": "returned"},
    "outcome.passed": {"nn": "vedteke", "nb": "vedtatt", "en": "passed"},
    "outcome.passed_with_amendments": {"nn": "vedteke med endringar", "nb": "vedtatt med endringer",
                                       "en": "passed with amendments"},
    "outcome.rejected": {"nn": "avvist", "nb": "avvist", "en": "rejected"},
    "outcome.postponed": {"nn": "utsett", "nb": "utsatt", "en": "postponed"},
    "outcome.approved": {"nn": "godkjent", "nb": "godkjent", "en": "approved"},
    "outcome.returned_non_principled": {"nn": "returnert (ikkje-prinsipielle endringar)",
                                        "nb": "returnert (ikke-prinsipielle endringer)",
                                        "en": "returned (non-principled changes)"},
    "outcome.returned_principled": {"nn": "returnert (prinsipielle endringar)",
                                    "nb": "returnert (prinsipielle endringer)",
                                    "en": "returned (principled changes)"},
    "label.next_meeting": {"nn": "neste møte", "nb": "neste møte", "en": "next meeting"},
    "label.no_meeting": {"nn": "inkje fleire møte i møteplanen", "nb": "ingen flere møter i møteplanen",
                         "en": "no more meetings in the calendar"},
    "label.accepted": {"nn": "godteke som likeverdig", "nb": "godtatt som likeverdig",
                       "en": "accepted as equivalent"},
    "label.legend": {
        "nn": "Teikn: = likelydande  ≈ små avvik  ≠ ulikt  ▶ her er planen no  "
              "!! kritisk funn  ! åtvaring",
        "nb": "Tegn: = likelydende  ≈ små avvik  ≠ ulikt  ▶ her er planen nå  "
              "!! kritisk funn  ! advarsel",
        "en": "Marks: = identical  ≈ minor  ≠ different  ▶ the plan is here  "
              "!! critical finding  ! warning",
    },
    "label.diff": {
        "nn": "[-…-] står i framlegget, men ikkje i vedtaket; "
              "{{+…+}} står i vedtaket, men ikkje i framlegget",
        "nb": "[-…-] står i forslaget, men ikke i vedtaket; {{+…+}} står i vedtaket, men ikke i forslaget",
        "en": "[-…-] is in the proposal but not the resolution; {{+…+}} is in the resolution only",
    },
    "verdict.identical": {"nn": "likelydande", "nb": "likelydende", "en": "identical"},
    "verdict.minor": {"nn": "små avvik", "nb": "små avvik", "en": "minor differences"},
    "verdict.different": {"nn": "ulikt", "nb": "ulikt", "en": "different"},
}
_CATALOGUE.update(CONTENT_MESSAGES)  # plan content, case document, report


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
