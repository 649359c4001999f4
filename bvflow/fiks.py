"""KS Fiks *Politisk behandling* (protocol V1): import resolutions and meeting
calendars from the municipalities' meeting systems, export a resolution back.

Messages are JSON documents validated against the official JSON Schemas shipped
in ``bvflow/schemas`` (copied unchanged from ``ks-no/fiks-politisk-behandling-
specification``, ``Schema/V1``). Real-world variations are accepted with a
warning (``warnings`` of the result): a date-only value where a date-time is
declared, a date-time without time zone (read as Oslo local time), field names
spelled with ø/å/æ or in other letter case (``møtedato``, ``møteId``,
``erEndelegVedtak``), ``"true"``/``"2025"`` given as strings. Everything else
the schema refuses, and everything that cannot be mapped, raises
:class:`~bvflow.errors.InputError` naming the field (``sak.vedtak.tekstInnhold``,
``utvalg[0].moete[2].moetedato`` …) and value; nothing is stored then.

Committees are mapped to a party's body through the partnership file::

    [parties.bodies.kommunestyre]
    name = "Kommunestyret i Kviteseid"
    fiks_utvalg_ids = ["KVI-KST"]
    fiks_utvalg_names = ["Kommunestyret", "Kviteseid kommunestyre"]

by ``utvalgId`` first, then by ``utvalgNavn`` (case-insensitive, trimmed).

A resolution goes through :func:`bvflow.services.record_resolution` — the same
path, checks and audit trail as a secretary's manual recording — with
``source = "fiks:<first 20 hex digits of the message's SHA-256>"``; the full
digest is stored as ``Resolution.import_key`` (unique per partnership) in the
same transaction, so a message imported twice is recorded once.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from html.parser import HTMLParser
from os import PathLike
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from sqlmodel import Session, col, select

from . import services
from .clock import OSLO
from .db import unit_of_work
from .engine import check_span, check_stage, clean_text, find_version, party_id_of
from .errors import BvflowError, ConflictError, DefinitionError, InputError, NotFoundError
from .machines import CaseFSM
from .models import Body, Meeting, PartyCase, Plan, PlanVersion, Resolution
from .site import Scope, Site

__all__ = [
    "CalendarResult",
    "ImportResult",
    "SCHEMA_DIR",
    "VEDTAK_SCHEMA",
    "MOETEPLAN_SCHEMA",
    "export_vedtak",
    "import_ical",
    "import_moeteplan",
    "import_vedtak",
    "validate",
]

SCHEMA_DIR = Path(__file__).parent / "schemas"
VEDTAK_SCHEMA = "no.ks.fiks.politisk.behandling.v1.vedtakfrautvalg.send.schema.json"
MOETEPLAN_SCHEMA = "no.ks.fiks.politisk.behandling.v1.moeteplan.hent.resultat.schema.json"

#: Meeting.source of imported meetings; a re-import removes only its own kind.
FIKS_SOURCE = "fiks"
ICAL_SOURCE = "ical"
_CLOSED = ("draft", "approved", "superseded")


@dataclass(frozen=True)
class ImportResult:
    """What importing a SendVedtakFraUtvalg did. ``already_imported``: the
    same message was recorded before; nothing new was stored (the other fields
    describe that earlier record, ``case_state`` the case's state now)."""

    plan: str
    version: int
    party: str
    stage: str
    verdict: str | None
    case_state: str
    warnings: list[str] = field(default_factory=list)
    already_imported: bool = False


@dataclass(frozen=True)
class CalendarResult:
    """Meetings added, moved (same moeteId/UID, new date), removed (cancelled:
    no longer in the calendar) and unchanged by a calendar import."""

    added: int
    moved: int
    removed: int
    unchanged: int
    warnings: list[str] = field(default_factory=list)


# -- schemas ------------------------------------------------------------------

_REGISTRY: Registry | None = None


def _registry() -> Registry:
    global _REGISTRY
    if _REGISTRY is None:
        resources = []
        for p in sorted(SCHEMA_DIR.glob("*.schema.json")):
            contents = json.loads(p.read_text(encoding="utf-8"))
            resources.append((contents["$id"], Resource.from_contents(contents)))
        _REGISTRY = Registry().with_resources(resources)
    return _REGISTRY


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?")
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    m = _DATETIME_RE.fullmatch(value)
    if not m or m.group(4) is None or m.group(5) is None:
        return False  # RFC 3339: seconds and an offset are required
    try:
        datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return True


@_FORMATS.checks("date")
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        return bool(_DATE_RE.fullmatch(value)) and bool(date.fromisoformat(value))
    except ValueError:
        return False


def _validator(schema_id: str) -> Draft202012Validator:
    reg = _registry()
    return Draft202012Validator(reg[schema_id].contents, registry=reg, format_checker=_FORMATS)


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _short(value: Any, n: int = 60) -> Any:
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= n else text[:n] + "…"
    if isinstance(value, str) and len(value) > n:
        return value[:n] + "…"
    return value


def validate(data: dict[str, Any], schema_id: str, title: str) -> list[str]:
    """Validate ``data`` against the schema ``schema_id``; return warnings for the
    tolerated variations (date-only or zone-less date-times).

    Raises: InputError naming the first offending field.
    """
    warnings: list[str] = []
    errors: list[ValidationError] = []
    for err in _validator(schema_id).iter_errors(data):
        if (err.validator == "format" and err.validator_value == "date-time"
                and isinstance(err.instance, str)):
            where = _path(err.absolute_path)
            if _DATE_RE.fullmatch(err.instance) and _is_date(err.instance):
                warnings.append(f"{where} = {err.instance!r}: a date without time where the "
                                "schema declares a date-time; read as that Oslo date")
                continue
            m = _DATETIME_RE.fullmatch(err.instance)
            if m and m.group(5) is None:
                warnings.append(f"{where} = {err.instance!r}: a date-time without time zone; "
                                "read as Oslo local time")
                continue
        errors.append(err)
    if errors:
        errors.sort(key=lambda e: [str(p) for p in e.absolute_path])
        err = errors[0]
        more = f" ({len(errors) - 1} more problem(s) in the message)" if len(errors) > 1 else ""
        if err.validator == "required":
            missing = next((r for r in err.validator_value if isinstance(err.instance, dict)
                            and r not in err.instance), "?")
            where = _path([*err.absolute_path, missing])
            raise InputError(where, None, f"is required by the {title} schema{more}")
        raise InputError(_path(err.absolute_path) or "message", _short(err.instance),
                         f"{err.message} ({title} schema){more}")
    return warnings


# -- reading messages ------------------------------------------------------------

_TRANSLIT = str.maketrans({"ø": "oe", "Ø": "Oe", "å": "aa", "Å": "Aa", "æ": "ae", "Æ": "Ae"})
#: older or nynorsk spellings that letter-by-letter transliteration does not reach
_ALIASES = {"erendelegvedtak": "erEndeligVedtak", "endeligvedtak": "erEndeligVedtak",
            "endelegvedtak": "erEndeligVedtak"}
_TRUE = {"true", "ja", "yes", "1"}
_FALSE = {"false", "nei", "no", "0"}


def _canonical_key(key: str, props: dict[str, Any]) -> str:
    if key in props:
        return key
    t = key.translate(_TRANSLIT)
    if t in props:
        return t
    by_lower = {p.lower(): p for p in props}
    if t.lower() in by_lower:
        return by_lower[t.lower()]
    alias = _ALIASES.get(t.lower())
    return alias if alias in props else key


def _normalise(data: Any, schema: dict[str, Any], resolver: Any, path: list[str | int],
               warnings: list[str]) -> Any:
    """Rename variant field names to the schema's spelling and coerce scalar
    strings ("true", "2025") where the schema wants booleans/integers."""
    while isinstance(schema, dict) and "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        schema, resolver = resolved.contents, resolved.resolver
    if not isinstance(schema, dict):
        return data
    kind = schema.get("type")
    if isinstance(data, dict) and "properties" in schema:
        props = schema["properties"]
        out: dict[str, Any] = {}
        for key, value in data.items():
            canon = _canonical_key(str(key), props)
            if canon != key:
                warnings.append(f"{_path([*path, key])}: read as '{canon}' (older or variant "
                                "spelling of the field name)")
            if canon in out:
                raise InputError(_path([*path, key]), _short(value),
                                 f"the field '{canon}' is given twice (in two spellings)")
            sub = props.get(canon)
            out[canon] = (_normalise(value, sub, resolver, [*path, canon], warnings)
                          if sub is not None else value)
        return out
    if isinstance(data, list) and isinstance(schema.get("items"), dict):
        return [_normalise(v, schema["items"], resolver, [*path, i], warnings)
                for i, v in enumerate(data)]
    if isinstance(data, str):
        where = _path(path)
        low = data.strip().lower()
        if kind == "boolean" and low in _TRUE | _FALSE:
            warnings.append(f"{where} = {data!r}: a string where the schema wants true/false; "
                            f"read as {low in _TRUE}")
            return low in _TRUE
        if kind == "integer" and re.fullmatch(r"\s*\d{1,9}\s*", data):
            warnings.append(f"{where} = {data!r}: a string where the schema wants a number")
            return int(data)
    return data


def _load(data: bytes | str | dict[str, Any] | PathLike[str], what: str) -> dict[str, Any]:
    if isinstance(data, PathLike):
        try:
            data = Path(data).read_bytes()
        except OSError as exc:
            raise InputError("message", str(data), f"cannot read the file: {exc.strerror}") from exc
    if isinstance(data, dict):
        return copy.deepcopy(data)
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError("message", _short(bytes(data)[:60]),
                             f"not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    if not isinstance(data, str):
        raise InputError("message", type(data).__name__, "give the message as bytes, text or a dict")
    try:
        parsed = json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError("message", _short(data.strip(), 40),
                         f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    if not isinstance(parsed, dict):
        raise InputError("message", _short(parsed), f"must be a JSON object ({what})")
    return parsed


def _read(data: bytes | str | dict[str, Any] | PathLike[str], schema_id: str, title: str
          ) -> tuple[dict[str, Any], list[str]]:
    raw = _load(data, title)
    warnings: list[str] = []
    root = _registry()[schema_id].contents
    resolver = _registry().resolver(base_uri=schema_id)
    msg = _normalise(raw, root, resolver, [], warnings)
    warnings += validate(msg, schema_id, title)
    return msg, warnings


def _oslo_date(field_name: str, value: Any) -> date:
    """The Oslo date of a (validated) date or date-time string; zone-less = Oslo local."""
    if not isinstance(value, str):
        raise InputError(field_name, value, "a date or date-time string is needed")
    try:
        if _DATE_RE.fullmatch(value):
            return check_span(field_name, date.fromisoformat(value))
        dt = datetime.fromisoformat(value.replace("z", "Z"))
        return check_span(field_name, dt.date() if dt.tzinfo is None else dt.astimezone(OSLO).date())
    except (ValueError, OverflowError) as exc:
        raise InputError(field_name, value, "not a date-time (e.g. 2025-06-12T18:00:00+02:00)") from exc


# -- committee mapping ----------------------------------------------------------------

def _norm_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _committees(scope: Scope) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """(utvalgId → (party, stage), normalised utvalgNavn → (party, stage)).

    Raises: DefinitionError when one id or name is configured for two bodies.
    """
    ids: dict[str, tuple[str, str]] = {}
    names: dict[str, tuple[str, str]] = {}
    for i, party in enumerate(scope.config.parties):
        for stage, bc in party.bodies.items():
            for table, values, key in ((ids, bc.fiks_utvalg_ids, "fiks_utvalg_ids"),
                                       (names, bc.fiks_utvalg_names, "fiks_utvalg_names")):
                for v in values:
                    k = v.strip() if table is ids else _norm_name(v)
                    other = table.get(k)
                    if other is not None and other != (party.key, stage):
                        raise DefinitionError(scope.config.file, f"parties[{i}].bodies.{stage}.{key}",
                                              v, f"also configured for {other[0]} {other[1]}")
                    table[k] = (party.key, stage)
    return ids, names


def _map_committee(scope: Scope, utvalg_id: Any, utvalg_navn: Any, prefix: str,
                   warnings: list[str]) -> tuple[str, str]:
    ids, names = _committees(scope)
    uid = utvalg_id.strip() if isinstance(utvalg_id, str) else ""
    if uid and uid in ids:
        return ids[uid]
    navn = _norm_name(utvalg_navn) if isinstance(utvalg_navn, str) else ""
    if navn and navn in names:
        if uid:
            warnings.append(f"{prefix}utvalgId = {uid!r} is not configured; mapped by "
                            f"{prefix}utvalgNavn = {utvalg_navn!r} to {'/'.join(names[navn])}")
        return names[navn]
    known = ", ".join(sorted(ids)) or "none"
    raise InputError(f"{prefix}utvalgId", utvalg_id,
                     f"no body of {scope.key} is configured for this committee (utvalgNavn "
                     f"{utvalg_navn!r}); add it to fiks_utvalg_ids or fiks_utvalg_names of the "
                     f"body in {Path(scope.config.file).name}; configured ids: {known}")


# -- resolution text ---------------------------------------------------------------------

_BLOCK = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "ol", "ul",
          "blockquote", "section", "article", "pre", "dl", "dt", "dd"}
_SKIP = {"script", "style", "head", "title"}
_TAG_RE = re.compile(r"</?(p|br|div|ol|ul|li|span|b|i|u|em|strong|h[1-6]|table|tr|td)\b[^>]*>", re.I)
_MARKUP_FORMATS = ("html", "xml", "markup", "xhtml")


class _TextExtractor(HTMLParser):
    """HTML → plain text: blocks become paragraphs (blank line between), ``<br>``
    a line break, ``<ol>`` items get their numbers ("1. "), ``<ul>`` items "- "."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[list[int | None]] = []  # [counter] for ol, [None] for ul
        self.skip = 0
        self.pending = ""  # a list item's number, put before its first text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append("\x00")
            if tag == "ol":
                start = dict(attrs).get("start") or "1"
                self.lists.append([int(start) - 1 if start.isdigit() else 0])
            elif tag == "ul":
                self.lists.append([None])
            elif tag == "li" and self.lists:
                counter = self.lists[-1]
                if counter[0] is None:
                    self.pending = "- "
                else:
                    counter[0] += 1
                    self.pending = f"{counter[0]}. "

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\x00")
            if tag in ("ol", "ul") and self.lists:
                self.lists.pop()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            text = re.sub(r"\s+", " ", data.replace("\xa0", " "))
            if self.pending and text.strip():
                text, self.pending = self.pending + text.lstrip(), ""
            self.parts.append(text)

    def text(self) -> str:
        paragraphs = []
        for para in "".join(self.parts).split("\x00"):
            lines = [" ".join(line.split()) for line in para.split("\n")]
            joined = "\n".join(line for line in lines if line)
            if joined:
                paragraphs.append(joined)
        return "\n\n".join(paragraphs)


def strip_markup(text: str) -> str:
    """The plain text of an HTML/XML resolution text."""
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return parser.text()


def _resolution_text(sak: dict[str, Any], warnings: list[str]) -> str:
    vedtak = sak.get("vedtak")
    text = vedtak.get("tekstInnhold") if isinstance(vedtak, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise InputError("sak.vedtak.tekstInnhold", text,
                         "the message carries no resolution text; nothing can be compared")
    fmt = vedtak.get("tekstFormat") if isinstance(vedtak, dict) else None  # type: ignore[union-attr]
    fmt_text = " ".join(str(fmt.get(k, "")) for k in ("kodeverdi", "kodebeskrivelse")).lower() \
        if isinstance(fmt, dict) else ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if any(f in fmt_text for f in _MARKUP_FORMATS):
        text = strip_markup(text)
    elif "rtf" in fmt_text.split() or text.lstrip().startswith("{\\rtf"):
        raise InputError("sak.vedtak.tekstFormat", _short(fmt), "RTF text cannot be read; "
                         "send the resolution as plain text or HTML")
    elif _TAG_RE.search(text):
        warnings.append("sak.vedtak.tekstInnhold contains HTML tags but tekstFormat does not say "
                        "so; the markup was removed")
        text = strip_markup(text)
    if not text.strip():
        raise InputError("sak.vedtak.tekstInnhold", _short(vedtak), "the resolution text is empty "
                         "once the markup is removed")
    return clean_text("sak.vedtak.tekstInnhold", text)


def _case_number(field_name: str, value: Any) -> str:
    if not isinstance(value, dict):
        raise InputError(field_name, value, "a case number (saksaar, sakssekvensnummer) is needed")
    return f"PS {value['saksaar']}/{value['sakssekvensnummer']}"


# -- import of a resolution ---------------------------------------------------------------

def _digest(msg: dict[str, Any]) -> str:
    canonical = json.dumps(msg, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _already(site: Site, scope: Scope, key: str, warnings: list[str]) -> ImportResult | None:
    with Session(site.engine) as s:
        row = s.exec(
            select(Resolution, PartyCase, PlanVersion, Plan)
            .join(PartyCase, col(PartyCase.id) == Resolution.party_case_id)
            .join(PlanVersion, col(PlanVersion.id) == PartyCase.plan_version_id)
            .join(Plan, col(Plan.id) == PlanVersion.plan_id)
            .where(Resolution.partnership_id == scope.id, Resolution.import_key == key)).first()
    if row is None:
        return None
    res, case, pv, plan = row
    return ImportResult(plan.key, pv.number, scope.party_key(case.party_id), res.stage, res.verdict,
                        case.state, [*warnings, "already imported: nothing new was stored"], True)


def _registered(site: Site, scope: Scope, party: str, sak: dict[str, Any], case_number: str) -> str | None:
    """The plan version whose case ``party`` registered under the message's
    external key (``sak.referanseEksternNoekkel.noekkel``) or case number
    (the committee's or the case system's), as ``KEY@N``; None if none is."""
    keys = {str(v.get("noekkel")) for v in (sak.get("referanseEksternNoekkel"),
                                            sak.get("fagsystemetsReferanseEksternNoekkel"))
            if isinstance(v, dict) and v.get("noekkel")}
    numbers = {case_number}
    if isinstance(sak.get("fagsystemetsSaksnummer"), dict):
        numbers.add(_case_number("sak.fagsystemetsSaksnummer", sak["fagsystemetsSaksnummer"]))
    with Session(site.engine) as s:
        rows = s.exec(
            select(Plan.key, PlanVersion.number, PartyCase.external_key, PartyCase.case_number)
            .join(PlanVersion, col(PlanVersion.plan_id) == Plan.id)
            .join(PartyCase, col(PartyCase.plan_version_id) == PlanVersion.id)
            .where(Plan.partnership_id == scope.id, PartyCase.party_id == scope.party_ids[party],
                   col(PlanVersion.state).not_in(_CLOSED))).all()
    for key, number, ext, cno in rows:
        if (ext and ext in keys) or (cno and _norm_case(cno) in {_norm_case(n) for n in numbers}):
            return f"{key}@{number}"
    return None


def _norm_case(value: str) -> str:
    m = _CASE_NO.fullmatch(value.strip())
    if not m:
        return value.strip().upper()
    year = m.group(1)
    return f"{2000 + int(year) if len(year) == 2 else int(year)}/{int(m.group(2))}"


def _awaiting(site: Site, scope: Scope, party: str, stage: str, prefix: str, utvalg_id: Any) -> str:
    """The one plan version awaiting ``party``'s ``stage``, as ``KEY@N``."""
    phase = scope.config.workflow.phase_of_stage(stage)
    assert phase is not None
    path = scope.config.paths[party]
    with Session(site.engine) as s:
        rows = s.exec(
            select(Plan, PlanVersion, PartyCase)
            .join(PlanVersion, col(PlanVersion.plan_id) == Plan.id)
            .join(PartyCase, col(PartyCase.plan_version_id) == PlanVersion.id)
            .where(Plan.partnership_id == scope.id, PartyCase.party_id == scope.party_ids[party],
                   col(PlanVersion.state).not_in(_CLOSED))
            .order_by(col(Plan.key), col(PlanVersion.number))).all()
    fits = [f"{plan.key}@{pv.number}" for plan, pv, case in rows if pv.state == phase.state
            and scope.machines.can("case", CaseFSM(case, path), "record", stage=stage, result="postponed")]
    if len(fits) == 1:
        return fits[0]
    if not fits:
        open_ = ", ".join(f"{plan.key}@{pv.number} ({pv.state}; {party}: {case.state})"
                          for plan, pv, case in rows) or "none"
        raise InputError(f"{prefix}utvalgId", utvalg_id,
                         f"no plan version is awaiting {party}'s {stage}; plan versions in "
                         f"progress: {open_}")
    raise InputError("plan", ", ".join(fits),
                     f"several plan versions await {party}'s {stage}: {', '.join(fits)}; "
                     "name one (plan_ref=KEY@N)")


def import_vedtak(site: Site, partnership: str | None,
                  data: bytes | str | dict[str, Any] | PathLike[str], source_name: str = "", *,
                  plan_ref: str | None = None, actor: str | None = None,
                  authorize: Callable[[str], None] | None = None) -> ImportResult:
    """Record the resolution in a SendVedtakFraUtvalg message (JSON bytes, text,
    a parsed dict or a file path).

    ``authorize`` (the web layer's role check) is called with the party key
    the committee maps to, before anything is stored; it raises to refuse.

    The committee is mapped to a party and body (stage) through the
    partnership's ``fiks_utvalg_ids``/``fiks_utvalg_names``; ``moetedato``
    gives the meeting date (Oslo), ``sak.utvalgetsSaksnummer`` the case number
    (``PS 2025/34``), ``sak.vedtak.tekstInnhold`` the text (markup removed
    when ``tekstFormat`` says HTML/XML). ``erEndeligVedtak = false`` is a
    recommendation: refused for a resolution stage. The plan version is the
    single one awaiting that body (or ``plan_ref``). Recording then runs
    :func:`bvflow.services.record_resolution` with outcome ``passed`` (the text
    comparison decides identical/deviating), actor ``actor`` (default
    ``"fiks"`` or ``"fiks:<source_name>"``).

    Raises:
        InputError: malformed JSON (field ``message``), a schema violation, an
            unknown committee (``utvalgId``), no resolution text, a
            recommendation for a resolution stage (``erEndeligVedtak``), no or
            several plan versions awaiting the body, and every check of
            record_resolution (dates, outcome …).
        TransitionNotAllowed: the party's case cannot record that stage.
    """
    msg, warnings = _read(data, VEDTAK_SCHEMA, "SendVedtakFraUtvalg")
    scope = site.scope(partnership)
    digest = _digest(msg)
    key, source = f"fiks:{digest}", f"fiks:{digest[:20]}"
    party, stage = _map_committee(scope, msg["utvalgId"], msg["utvalgNavn"], "", warnings)
    if authorize is not None:
        authorize(party)
    done = _already(site, scope, key, warnings)
    if done is not None:
        return done
    kind = scope.config.workflow.stages[stage].kind
    final = msg["erEndeligVedtak"]
    if kind not in ("recommendation", "resolution"):
        raise InputError("utvalgId", msg["utvalgId"], f"is {party}'s {stage}, which gives an "
                         f"approval, not a resolution: record it with `bvflow decide`")
    if not final and kind == "resolution":
        raise InputError("erEndeligVedtak", final,
                         f"the message is a recommendation (innstilling), but {party}'s {stage} "
                         "passes the final resolution; only a recommendation stage (e.g. "
                         "formannskap) can record a recommendation")
    if final and kind == "recommendation":
        warnings.append(f"erEndeligVedtak = true, but {stage} gives a recommendation in workflow "
                        f"'{scope.config.workflow.name}'; recorded as its recommendation")
    meeting_date = _oslo_date("moetedato", msg["moetedato"])
    sak = msg["sak"]
    case_number = _case_number("sak.utvalgetsSaksnummer", sak["utvalgetsSaksnummer"])
    text = _resolution_text(sak, warnings)
    ref = plan_ref or _registered(site, scope, party, sak, case_number) or _awaiting(
        site, scope, party, stage, "", msg["utvalgId"])
    who = actor if actor is not None else (f"fiks:{source_name}" if source_name else "fiks")
    try:
        r = services.record_resolution(site, partnership, ref, party, stage, meeting_date,
                                       "passed", text, case_number=case_number,
                                       actor=who[:128], source=source, import_key=key,
                                       meeting_external_id=_external_id(msg["moeteId"]) or None)
    except ConflictError:
        # someone imported the same message at the same moment: theirs counts
        done = _already(site, scope, key, warnings)
        if done is not None:
            return done
        raise
    return ImportResult(r.plan, r.version, r.party, r.stage, r.verdict, r.case_state, warnings, False)


# -- export --------------------------------------------------------------------------------

_CASE_NO = re.compile(r"(?:PS\s*)?(\d{4}|\d{2})\s*/\s*(\d{1,9})", re.I)


def export_vedtak(site: Site, partnership: str | None, plan_ref: str, party: str) -> dict[str, Any]:
    """``party``'s recorded final resolution of ``plan_ref`` as a schema-valid
    SendVedtakFraUtvalg message (a dict; ``json.dumps`` it to send).

    ``utvalgId``/``utvalgNavn`` come from the body's first ``fiks_utvalg_ids``
    / ``fiks_utvalg_names`` (name default: the body's name); ``moeteId`` is the
    meeting's imported id when known; ``moetedato`` the meeting date at noon,
    Oslo time; the case number ``PS 2025/34`` becomes ``utvalgetsSaksnummer``
    (and ``fagsystemetsSaksnummer``: bvflow does not store the archive's case
    number); the text is plain text.

    Raises:
        NotFoundError: unknown party, plan, or no passed resolution recorded.
        InputError: the party has no resolution stage; no committee id
            configured; a case number that is not ``saksår/sekvensnummer``.
    """
    scope = site.scope(partnership)
    party_id = party_id_of(scope, party)
    wf = scope.config.workflow
    stages = [s for s in scope.config.paths[party] if wf.stages[s].kind == "resolution"]
    if not stages:
        raise InputError("party", party, "passes no resolution in workflow "
                         f"'{wf.name}' (its decisions are approvals)")
    stage = stages[-1]
    pc = scope.config.party(party)
    bc = pc.bodies.get(stage) if pc else None
    if bc is None or not bc.fiks_utvalg_ids:
        raise InputError(f"{party}.bodies.{stage}.fiks_utvalg_ids", [],
                         "configure the body's committee id (utvalgId) in "
                         f"{Path(scope.config.file).name} to export its resolutions")
    body_id = scope.body_ids[(party, stage)]
    with Session(site.engine) as s:
        plan, pv = find_version(s, scope, plan_ref)
        body = s.get(Body, body_id)
        res = s.exec(
            select(Resolution).join(PartyCase, col(PartyCase.id) == Resolution.party_case_id)
            .where(PartyCase.plan_version_id == pv.id, PartyCase.party_id == party_id,
                   Resolution.stage == stage,
                   col(Resolution.outcome).in_(("passed", "passed_with_amendments")))
            .order_by(col(Resolution.id).desc())).first()
        if res is None:
            raise NotFoundError("party", party, f"no passed resolution of its {stage} is recorded "
                                f"for {plan.key}@{pv.number}")
        meeting = s.exec(select(Meeting).where(Meeting.body_id == body_id,
                                               Meeting.meeting_date == res.meeting_date)).first()
    m = _CASE_NO.fullmatch(res.case_number.strip())
    if not m:
        raise InputError("case_number", res.case_number, "cannot be written as saksår/"
                         "sekvensnummer (e.g. PS 2025/34); record the case number in that form")
    year = int(m.group(1)) + (2000 if len(m.group(1)) == 2 else 0)
    number = {"saksaar": year, "sakssekvensnummer": int(m.group(2))}
    day = res.meeting_date
    message: dict[str, Any] = {
        "utvalgId": bc.fiks_utvalg_ids[0],
        "utvalgNavn": bc.fiks_utvalg_names[0] if bc.fiks_utvalg_names else (body.name if body else stage),
        "moeteId": (meeting.external_id if meeting and meeting.external_id
                    else f"bvflow:{party}:{stage}:{day.isoformat()}"),
        "moetedato": datetime.combine(day, time(12, 0), tzinfo=OSLO).isoformat(),
        "erEndeligVedtak": True,
        "sak": {
            "referanseEksternNoekkel": {"fagsystem": "bvflow", "noekkel": f"{plan.key}@{pv.number}/{party}"},
            "fagsystemetsSaksnummer": dict(number),
            "utvalgetsSaksnummer": dict(number),
            "tittel": plan.title,
            "vedtaksdato": day.isoformat(),
            "saksansvarlig": res.recorded_by,
            "vedtak": {"tekstInnhold": res.text,
                       "tekstFormat": {"kodeverdi": "text/plain", "kodebeskrivelse": "Rein tekst"}},
        },
    }
    try:
        warnings = validate(message, VEDTAK_SCHEMA, "SendVedtakFraUtvalg")
    except InputError as exc:  # pragma: no cover - a bug in the export
        raise BvflowError(f"the exported message is not schema-valid: {exc}") from exc
    assert not warnings
    return message


# -- calendars -----------------------------------------------------------------------------------

def _external_id(value: str) -> str:
    value = value.strip()
    return value if len(value) <= 255 else "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _apply_calendar(s: Session, scope: Scope, party: str, stage: str, desired: dict[str, date],
                    kind: str, today: date, counts: dict[str, int], warnings: list[str]) -> None:
    """Make ``party``'s ``stage`` calendar hold ``desired`` (external id → date).

    Meetings of this ``kind`` whose id is gone are removed (cancelled) unless
    they lie in the past (a calendar may leave out held meetings); a meeting
    already in the calendar on a wanted date without an external id (config,
    command, record) is taken over rather than duplicated.
    """
    body_id = scope.body_ids[(party, stage)]
    rows = list(s.exec(select(Meeting).where(Meeting.body_id == body_id)))
    by_ext = {m.external_id: m for m in rows if m.external_id}
    moving: set[str] = set()
    deleted: set[int] = set()
    for m in rows:
        if not m.external_id:
            continue
        if m.external_id in desired:
            if m.meeting_date != desired[m.external_id]:
                # moved: re-added below on its new date (two meetings may swap dates)
                moving.add(m.external_id)
                deleted.add(id(m))
                s.delete(m)
        elif m.source == kind and m.meeting_date >= today:
            counts["removed"] += 1
            deleted.add(id(m))
            s.delete(m)
    s.flush()
    remaining = {m.meeting_date: m for m in rows if id(m) not in deleted}
    for ext, day in desired.items():
        here = remaining.get(day)
        if ext not in moving and ext in by_ext:
            counts["unchanged"] += 1
            continue
        if here is not None:
            if here.external_id and here.external_id != ext:
                if here.external_id in desired:
                    warnings.append(f"{party} {stage}: meetings {here.external_id!r} and {ext!r} are "
                                    f"both on {day.isoformat()}; kept one")
                    continue
            here.external_id, here.source = ext, kind
            counts["moved" if ext in moving else "unchanged"] += 1
            continue
        m = Meeting(partnership_id=scope.id, body_id=body_id, meeting_date=day, source=kind,
                    external_id=ext)
        s.add(m)
        remaining[day] = m
        counts["moved" if ext in moving else "added"] += 1


def _store_calendars(site: Site, scope: Scope, calendars: dict[tuple[str, str], dict[str, date]],
                     kind: str, warnings: list[str]) -> CalendarResult:
    counts = {"added": 0, "moved": 0, "removed": 0, "unchanged": 0}
    with unit_of_work(site.engine, f"calendar of {scope.key}") as s:
        for (party, stage), desired in calendars.items():
            _apply_calendar(s, scope, party, stage, desired, kind, site.clock.today(), counts, warnings)
    return CalendarResult(counts["added"], counts["moved"], counts["removed"], counts["unchanged"],
                          warnings)


def import_moeteplan(site: Site, partnership: str | None,
                     data: bytes | str | dict[str, Any] | PathLike[str], *,
                     skip_unknown: bool = False) -> CalendarResult:
    """Import the meeting calendars of a ResultatMoeteplan message.

    Each ``utvalg`` is mapped to a body like a resolution's committee; its
    ``moete`` list becomes that body's calendar of Fiks meetings (matched by
    ``moeteid``: a changed date moves the meeting, a meeting no longer listed
    and not yet held is removed). Committees of other bodies make the import
    fail unless ``skip_unknown`` (then: a warning each).

    Raises: InputError (malformed JSON, schema, unknown committee, a meeting
    without date); nothing is stored then.
    """
    msg, warnings = _read(data, MOETEPLAN_SCHEMA, "ResultatMoeteplan")
    scope = site.scope(partnership)
    calendars: dict[tuple[str, str], dict[str, date]] = {}
    for i, utvalg in enumerate(msg.get("utvalg") or []):
        prefix = f"utvalg[{i}]."
        try:
            target = _map_committee(scope, utvalg["utvalgId"], utvalg["utvalgNavn"], prefix, warnings)
        except InputError as exc:
            if not skip_unknown:
                raise
            warnings.append(f"skipped: {exc}")
            continue
        cal = calendars.setdefault(target, {})
        for j, moete in enumerate(utvalg.get("moete") or []):
            where = f"{prefix}moete[{j}]"
            ext = _external_id(moete["moeteid"])
            if not ext:
                raise InputError(f"{where}.moeteid", moete["moeteid"], "the meeting id is empty")
            if "moetedato" not in moete:
                raise InputError(f"{where}.moetedato", None, "the meeting has no date")
            day = _oslo_date(f"{where}.moetedato", moete["moetedato"])
            if ext in cal and cal[ext] != day:
                raise InputError(f"{where}.moeteid", ext, f"listed twice with different dates "
                                 f"({cal[ext].isoformat()}, {day.isoformat()})")
            cal[ext] = day
    return _store_calendars(site, scope, calendars, FIKS_SOURCE, warnings)


def import_ical(site: Site, partnership: str | None, data: bytes, party: str, body: str
                ) -> CalendarResult:
    """Import an iCalendar file (RFC 5545) as ``party``'s ``body`` calendar.

    Every ``VEVENT`` is a meeting, identified by its ``UID``, on the Oslo date
    of its ``DTSTART`` (all-day or timed; a floating time is Oslo time).
    ``STATUS:CANCELLED`` events and events gone from the file (not yet held)
    are removed; a recurring event counts with its first date only (warning).

    Raises: NotFoundError / InputError (party, body, a file that is no
    iCalendar, an event without UID or DTSTART); nothing is stored then.
    """
    from icalendar import Calendar

    scope = site.scope(partnership)
    party_id_of(scope, party)
    check_stage(scope, party, body, ("recommendation", "resolution", "approval", "final_approval"), "")
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        cal = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise InputError("calendar", _short(data[:60].decode("utf-8", "replace")),
                         f"not a valid iCalendar file: {exc}") from exc
    if isinstance(cal, list) or getattr(cal, "name", "") != "VCALENDAR":
        raise InputError("calendar", _short(data[:60].decode("utf-8", "replace")),
                         "not a single VCALENDAR")
    warnings: list[str] = []
    desired: dict[str, date] = {}
    for j, ev in enumerate(cal.walk("VEVENT")):
        where = f"VEVENT[{j}]"
        summary = str(ev.get("SUMMARY", ""))
        uid = str(ev.get("UID", "")).strip()
        if not uid:
            raise InputError(f"{where}.UID", summary, "the event has no UID; it could not be "
                             "updated by a later import")
        if ev.get("RECURRENCE-ID") is not None:
            warnings.append(f"{where} ({uid}): a changed occurrence of a recurring event; ignored")
            continue
        if str(ev.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start = ev.get("DTSTART")
        if start is None:
            raise InputError(f"{where}.DTSTART", summary, "the event has no start date")
        value = start.dt
        try:
            if isinstance(value, datetime):
                day = value.date() if value.tzinfo is None else value.astimezone(OSLO).date()
            else:
                day = value
        except OverflowError:
            raise InputError(f"{where}.DTSTART", str(value), "not a usable date") from None
        check_span(f"{where}.DTSTART", day)
        if ev.get("RRULE") is not None:
            warnings.append(f"{where} ({uid}): a recurring event; only its first date "
                            f"{day.isoformat()} was imported")
        ext = _external_id(uid)
        if ext in desired and desired[ext] != day:
            raise InputError(f"{where}.UID", uid, "used by two events with different dates")
        desired[ext] = day
    return _store_calendars(site, scope, {(party, body): desired}, ICAL_SOURCE, warnings)
