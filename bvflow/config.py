"""Site configuration: one installation file listing partnerships, one file per partnership.

``config.toml`` (installation)::

    [site]
    database_url = "sqlite:///bvflow.db"  # relative SQLite paths: from this file's folder
    language = "nn"                        # nn | nb | en
    default_partnership = "vest-telemark"  # optional: used when no --partnership is given
    [findings]
    missing_record_working_days = 2
    [[partnerships]]
    file = "partnerships/vest-telemark.toml"

Environment overrides: ``BVFLOW_DATABASE_URL``, ``BVFLOW_LANGUAGE``.
A partnership file holds ``[partnership]`` (key, name, workflow),
``[steering_group]`` (contacts), and ``[[parties]]`` with role, contacts and
``[parties.bodies.<stage>]`` (name, meetings = [dates]). Workflows are looked
up in ``workflows/`` beside ``config.toml``, then in bvflow's defaults.
All problems raise :class:`~bvflow.errors.DefinitionError` naming file, key, value.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, ValidationError, field_validator

from .defaults import default_path
from .errors import DefinitionError
from .workflow import WorkflowDefinition, load_workflow

__all__ = [
    "Contact",
    "MailSettings",
    "ReminderConfig",
    "RevisionConfig",
    "SchedulerSettings",
    "WebSettings",
    "WheelConfig",
    "PartnershipConfig",
    "PartyConfig",
    "SiteConfig",
    "load_partnership",
    "load_site",
]

Language = Literal["nn", "nb", "en"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Strict):
    """A person to notify. ``language``: nn (default), nb or en."""

    name: str = Field(min_length=1)
    email: EmailStr
    language: Language = "nn"


class BodyConfig(_Strict):
    """A party's body for one stage. ``fiks_utvalg_ids`` / ``fiks_utvalg_names``:
    the committee ids and names (KS Fiks ``utvalgId`` / ``utvalgNavn``) under
    which the municipality's systems send this body's resolutions and calendar;
    imports look up by id first, then by name (case-insensitive, trimmed)."""

    name: str = ""
    meetings: list[date] = []
    fiks_utvalg_ids: list[str] = []
    fiks_utvalg_names: list[str] = []


class PartyConfig(_Strict):
    """A party of the partnership: ``role`` must be a role of the workflow's phases."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    name: str = Field(min_length=1)
    role: str = Field(min_length=1)
    number: str = ""
    contacts: list[Contact] = []
    bodies: dict[str, BodyConfig] = {}


class SteeringGroup(_Strict):
    name: str = "Styringsgruppa"
    contacts: list[Contact] = []


MonthDay = str  # "MM-DD"


def _check_month_day(value: str) -> str:
    import re as _re
    from datetime import date as _date

    if not _re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])", value):
        raise ValueError("write the date as MM-DD, e.g. 06-27")
    month, day = int(value[:2]), int(value[3:])
    try:
        _date(2028, month, day)  # a leap year: 02-29 is allowed (28 February in other years)
    except ValueError:
        raise ValueError(f"{value} is not a day of the year") from None
    return value


MonthDayField = Annotated[str, AfterValidator(_check_month_day)]


class RevisionConfig(_Strict):
    """One plan revision of the year: when it opens, and its deadline per phase
    (``"MM-DD"`` in the year it opens, or the next year when earlier than ``opens``)."""

    name: str = Field(min_length=1)
    opens: MonthDayField
    deadlines: dict[str, MonthDayField] = {}


class WheelConfig(_Strict):
    """KDD's annual wheel (årshjul), in Europe/Oslo. All dates are ``"MM-DD"``.
    Source: seed (two revisions a year, one political meeting, yearly reporting,
    delivery to KDD by 27 June in 2025); the dates are defaults to edit."""

    revisions: list[RevisionConfig] = []
    political_meeting: MonthDayField | None = None
    reporting_deadline: MonthDayField | None = None
    delivery_deadline: MonthDayField | None = None


class ReminderConfig(_Strict):
    """Reminder rules. Working days skip weekends and Norwegian public holidays."""

    before_deadline: list[Annotated[int, Field(ge=1, le=60)]] = Field(default=[10, 5, 2])
    escalate_after: int = Field(default=5, ge=1, le=60)
    digest_weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday"] = "monday"
    send_window: tuple[str, str] = ("08:00", "16:00")

    @field_validator("send_window")
    @classmethod
    def _window(cls, value: tuple[str, str]) -> tuple[str, str]:
        import re as _re

        for v in value:
            if not _re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", v):
                raise ValueError(f"{v!r}: write times as HH:MM, e.g. 08:00")
        if value[0] >= value[1]:
            raise ValueError("the window must start before it ends, e.g. [\"08:00\", \"16:00\"]")
        return value


class PartnershipHead(_Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    name: str = Field(min_length=1)
    workflow: str = "handlingsplan"


class _PartnershipFile(_Strict):
    partnership: PartnershipHead
    steering_group: SteeringGroup = SteeringGroup()
    parties: list[PartyConfig] = Field(min_length=1)
    wheel: WheelConfig = WheelConfig()
    reminders: ReminderConfig = ReminderConfig()


@dataclass(frozen=True)
class PartnershipConfig:
    """A loaded and cross-checked partnership. ``paths[party_key]`` is the tuple
    of stages that party goes through (its path in the workflow)."""

    key: str
    name: str
    file: str
    digest: str
    workflow: WorkflowDefinition
    steering_group: SteeringGroup
    parties: tuple[PartyConfig, ...]
    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    wheel: WheelConfig = field(default_factory=WheelConfig)
    reminders: ReminderConfig = field(default_factory=ReminderConfig)

    def party(self, key: str) -> PartyConfig | None:
        return next((p for p in self.parties if p.key == key), None)


class _SiteSection(_Strict):
    database_url: str = "sqlite:///bvflow.db"
    language: Language = "nn"
    default_partnership: str | None = None


class MailSettings(_Strict):
    """How mail leaves. ``transport``: ``folder`` (default: ``.eml`` files in
    ``folder``, nothing installed) or ``smtp``. ``security``: ``starttls``
    (port 587, required, never a silent fall-back), ``tls`` (implicit, 465) or
    ``none`` (only for a local relay). The password comes from
    ``BVFLOW_SMTP_PASSWORD`` when not given here."""

    transport: Literal["folder", "smtp"] = "folder"
    folder: str = "outbox"
    sender: str = "bvflow <bvflow@localhost>"

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        from email.utils import parseaddr

        _, addr = parseaddr(value)
        if not addr or "@" not in addr or not addr.isascii() or " " in addr:
            raise ValueError("write it as 'Name <address@example.org>' with a plain ASCII address")
        return value
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = Field(default=30, gt=0)
    batch_size: int = Field(default=50, ge=1)
    retry_base_seconds: int = Field(default=60, ge=1)
    max_attempts: int = Field(default=8, ge=1)


class SchedulerSettings(_Strict):
    """``tick_minutes``: how often the scheduler wakes; ``daily_at``: local time
    (Europe/Oslo) of the daily run (wheel, findings, reminders, digest)."""

    tick_minutes: int = Field(default=5, ge=1, le=60)
    daily_at: str = Field(default="07:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class WebSettings(_Strict):
    """``[web]``: where ``bvflow serve`` listens (``host``, ``port``), whether
    cookies are marked ``Secure`` (set true behind HTTPS), and how long a
    login lasts (``session_hours``)."""

    host: str = Field(default="127.0.0.1", min_length=1, max_length=255)
    port: int = Field(default=8000, ge=1, le=65535)
    secure_cookies: bool = False
    session_hours: int = Field(default=12, ge=1, le=24 * 30)


class _FindingsSection(_Strict):
    missing_record_working_days: int = Field(default=2, ge=0, le=60)


class _PartnershipRef(_Strict):
    file: str


class _SiteFile(_Strict):
    site: _SiteSection = _SiteSection()
    findings: _FindingsSection = _FindingsSection()
    mail: MailSettings = MailSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    web: WebSettings = WebSettings()
    partnerships: list[_PartnershipRef] = Field(min_length=1)


@dataclass(frozen=True)
class SiteConfig:
    """The installation: database URL (absolute), language, findings settings
    and the partnerships, in file order."""

    path: Path
    database_url: str
    language: str
    missing_record_working_days: int
    partnerships: tuple[PartnershipConfig, ...]
    default_partnership: str | None = None
    mail: MailSettings = field(default_factory=MailSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    web: WebSettings = field(default_factory=WebSettings)

    def partnership(self, key: str | None) -> PartnershipConfig:
        """The partnership ``key``; when ``key`` is None, the only one, or
        ``[site] default_partnership``.

        Raises:
            DefinitionError: unknown key, or None while there are several and no default.
        """
        if key is None and self.default_partnership:
            key = self.default_partnership
        if key is None:
            if len(self.partnerships) == 1:
                return self.partnerships[0]
            raise DefinitionError(
                str(self.path), "partnership", None,
                "several partnerships; choose one with --partnership or BVFLOW_PARTNERSHIP "
                f"({', '.join(p.key for p in self.partnerships)})",
            )
        for p in self.partnerships:
            if p.key == key:
                return p
        raise DefinitionError(
            str(self.path), "partnership", key,
            f"unknown partnership; known: {', '.join(p.key for p in self.partnerships)}",
        )


def _read_toml(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise DefinitionError(
            str(path), "(file)", str(path),
            "file not found; create one with `bvflow init DIR` or pass --config",
        ) from exc
    except OSError as exc:
        raise DefinitionError(str(path), "(file)", str(path), f"cannot read: {exc.strerror}") from exc
    try:
        return tomllib.loads(raw.decode("utf-8")), raw
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DefinitionError(str(path), "(syntax)", str(exc), "not valid TOML") from exc


def _validation(file: Path, exc: ValidationError, data: dict[str, Any]) -> DefinitionError:
    err = exc.errors()[0]
    loc = err["loc"]
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
        else:
            parts.append(str(item))
    value = None if err["type"] == "missing" else err.get("input")
    return DefinitionError(str(file), ".".join(parts), value, err["msg"])


def _find_workflow(name: str, config_dir: Path) -> Path:
    local = config_dir / "workflows" / f"{name}.toml"
    return local if local.exists() else default_path("workflows") / f"{name}.toml"


def load_partnership(path: Path, config_dir: Path) -> PartnershipConfig:
    """Load, validate and cross-check one partnership file against its workflow.

    Raises:
        DefinitionError: e.g. ``parties[3].role = 'kommune': no phase of workflow
            'handlingsplan' has this role`` (a party with no path).
    """
    data, raw = _read_toml(path)
    try:
        pf = _PartnershipFile.model_validate(data)
    except ValidationError as exc:
        raise _validation(path, exc, data) from exc
    wf_path = _find_workflow(pf.partnership.workflow, config_dir)
    if not wf_path.exists():
        raise DefinitionError(
            str(path), "partnership.workflow", pf.partnership.workflow,
            f"no workflow file {wf_path.name} in {config_dir / 'workflows'} or the defaults",
        )
    wf = load_workflow(wf_path)
    paths: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for i, party in enumerate(pf.parties):
        if party.key in seen:
            raise DefinitionError(str(path), f"parties[{i}].key", party.key, "key used twice")
        seen.add(party.key)
        phase = wf.phase_of_role(party.role)
        if phase is None:
            raise DefinitionError(
                str(path), f"parties[{i}].role", party.role,
                f"no phase of workflow '{wf.name}' has this role, so the party has no path; "
                f"roles: {', '.join(wf.roles)}",
            )
        for stage in party.bodies:
            if stage not in phase.stages:
                raise DefinitionError(
                    str(path), f"parties[{i}].bodies.{stage}", stage,
                    f"not a stage of phase '{phase.name}' ({', '.join(phase.stages)})",
                )
        paths[party.key] = tuple(
            s for s in phase.stages if not wf.stages[s].optional or s in party.bodies
        )
    phase_names = {p.name for p in wf.phases}
    for i, rev in enumerate(pf.wheel.revisions):
        for phase in rev.deadlines:
            if phase not in phase_names:
                raise DefinitionError(str(path), f"wheel.revisions[{i}].deadlines.{phase}", phase,
                                      f"no such phase in workflow '{wf.name}': {', '.join(phase_names)}")
    final = wf.final_phase
    if not any(p.role == final.role for p in pf.parties):
        raise DefinitionError(
            str(path), "parties", [p.key for p in pf.parties],
            f"no party has the role '{final.role}' of the final approver "
            f"({', '.join(final.stages)}): plans could never be approved",
        )
    digest = hashlib.sha256(raw + wf_path.read_bytes()).hexdigest()
    return PartnershipConfig(
        key=pf.partnership.key, name=pf.partnership.name, file=str(path), digest=digest,
        workflow=wf, steering_group=pf.steering_group, parties=tuple(pf.parties), paths=paths,
        wheel=pf.wheel, reminders=pf.reminders,
    )


def load_site(path: str | Path | None = None) -> SiteConfig:
    """Load the installation config from ``path``, ``$BVFLOW_CONFIG`` or ``./config.toml``.

    Raises:
        DefinitionError: the file or one of its partnership files is invalid.
    """
    p = Path(path or os.environ.get("BVFLOW_CONFIG") or "config.toml").resolve()
    data, _ = _read_toml(p)
    try:
        sf = _SiteFile.model_validate(data)
    except ValidationError as exc:
        raise _validation(p, exc, data) from exc
    url = os.environ.get("BVFLOW_DATABASE_URL") or sf.site.database_url
    url = _absolute_sqlite(url, p.parent)
    language = os.environ.get("BVFLOW_LANGUAGE") or sf.site.language
    if language not in ("nn", "nb", "en"):
        raise DefinitionError("BVFLOW_LANGUAGE", "language", language, "use nn, nb or en")
    parts: list[PartnershipConfig] = []
    for i, ref in enumerate(sf.partnerships):
        ppath = (p.parent / ref.file).resolve()
        if not ppath.exists():
            raise DefinitionError(str(p), f"partnerships[{i}].file", ref.file, "file not found")
        pc = load_partnership(ppath, p.parent)
        if any(x.key == pc.key for x in parts):
            raise DefinitionError(str(ppath), "partnership.key", pc.key, "key used by another file")
        parts.append(pc)
    default = sf.site.default_partnership
    if default is not None and default not in {x.key for x in parts}:
        raise DefinitionError(str(p), "site.default_partnership", default,
                              f"no such partnership; known: {', '.join(x.key for x in parts)}")
    mail = sf.mail
    if not Path(mail.folder).is_absolute():
        mail = mail.model_copy(update={"folder": str((p.parent / mail.folder).resolve())})
    if mail.password is None and os.environ.get("BVFLOW_SMTP_PASSWORD"):
        mail = mail.model_copy(update={"password": os.environ["BVFLOW_SMTP_PASSWORD"]})
    return SiteConfig(p, url, language, sf.findings.missing_record_working_days, tuple(parts),
                      default, mail, sf.scheduler, sf.web)


def _absolute_sqlite(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str((base / url[len(prefix):]).resolve())
    return url
