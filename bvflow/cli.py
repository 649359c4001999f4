"""The ``bvflow`` command line: a thin shell over :mod:`bvflow.services` and
:mod:`bvflow.queries`. Errors from bvflow print one line to stderr and exit
with the error's ``exit_code`` (2 input, 3 definition, 4 transition, 5 conflict).

Every command finds its site through ``--config`` / ``BVFLOW_CONFIG``
(default ``./config.toml``) and its partnership through ``--partnership`` /
``BVFLOW_PARTNERSHIP`` (default: the only one).
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from . import partnerships, queries, services
from .clock import OSLO
from .db import upgrade
from .defaults import default_path
from .errors import BvflowError, InputError
from .messages import fmt_date
from .render import (
    case_state_label,
    plan_state_label,
    render_findings,
    render_history,
    render_overview,
    render_record,
    render_status,
    to_json,
)
from .site import Site
from .textcompare import compare_texts, render_diff

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="bvflow: carries an inter-municipal plan through political approval.")
plan_app = typer.Typer(no_args_is_help=True, help="Create, submit, show and revise plans.")
meeting_app = typer.Typer(no_args_is_help=True, help="Meeting calendars (møteplan).")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
partnership_app = typer.Typer(no_args_is_help=True, help="Partnerships of this installation.")
import_app = typer.Typer(no_args_is_help=True, help="Take data from municipal systems (KS Fiks, iCalendar).")
export_app = typer.Typer(no_args_is_help=True, help="Give data back to municipal systems (KS Fiks).")
app.add_typer(plan_app, name="plan")
app.add_typer(meeting_app, name="meeting")
app.add_typer(db_app, name="db")
app.add_typer(partnership_app, name="partnership")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")

F = TypeVar("F", bound=Callable[..., Any])

ConfigOpt = Annotated[Path | None, typer.Option("--config", envvar="BVFLOW_CONFIG",
                                                help="Site config.toml (default ./config.toml).")]
PartOpt = Annotated[str | None, typer.Option("--partnership", envvar="BVFLOW_PARTNERSHIP",
                                             help="Partnership key (default: the only one).")]
ActorOpt = Annotated[str | None, typer.Option("--actor", envvar="BVFLOW_ACTOR",
                                              help="Who does this (default: login name).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


#: Service field names as the options people typed them.
_OPTION_OF = {"meeting_date": "--date", "decided_on": "--date", "text": "--text",
              "reason": "--reason", "proposal": "--proposal", "title": "--title",
              "deadline": "--deadline", "proposal_file": "--proposal-file",
              "text_file": "--text-file", "outcome": "--outcome"}


def _self() -> str:
    """How this program was started, for hints that must work when pasted."""
    return sys.argv[0] if "/" in sys.argv[0] else "bvflow"


def _errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            option = _OPTION_OF.get(exc.field)
            message = f"{option} = {exc.value!r}: {exc.problem}" if option else str(exc)
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except BvflowError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
    return wrapper  # type: ignore[return-value]


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown"


def _date(field: str, value: str) -> date:
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(field, value, "not a date; write YYYY-MM-DD") from None


def _deadlines(values: list[str] | None) -> dict[str, date]:
    out: dict[str, date] = {}
    for v in values or []:
        phase, sep, day = v.partition("=")
        if not sep:
            raise InputError("deadline", v, "write PHASE=YYYY-MM-DD, e.g. municipalities=2025-06-20")
        out[phase.strip()] = _date(f"deadline.{phase.strip()}", day.strip())
    return out


def _read(field: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(field, str(path), f"cannot read the file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(field, str(path), "the file is not UTF-8 text") from None


def _print_json(data: Any) -> None:
    typer.echo(to_json(data))


# -- site ------------------------------------------------------------------

@app.command()
@_errors
def init(directory: Annotated[Path, typer.Argument(help="Folder to create the site in.")]) -> None:
    """Write an editable copy of config.toml, partnerships/, workflows/ and notifications/."""
    if not str(directory).strip() or directory == Path("."):
        raise InputError("directory", str(directory), "name a new folder, e.g. `bvflow init mysite`")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError("directory", str(directory), f"cannot create it: {exc.strerror}") from None
    for name in ("config.toml", "partnerships", "workflows", "notifications"):
        target = directory / name
        if target.exists():
            raise InputError("directory", str(directory), f"{name} exists already; "
                             "choose an empty folder")
    for name in ("config.toml", "partnerships", "workflows", "notifications"):
        src = default_path(name)
        if src.is_dir():
            shutil.copytree(src, directory / name)
        else:
            shutil.copy2(src, directory / name)
    typer.echo(f"Site written to {directory}. Edit {directory}/config.toml and "
               f"{directory}/partnerships/, then: cd {directory} && {_self()} status")


@db_app.command("upgrade")
@_errors
def db_upgrade(config: ConfigOpt = None) -> None:
    """Bring the database schema to the newest version."""
    from .config import load_site
    from .db import make_engine

    cfg = load_site(config)
    upgrade(make_engine(cfg.database_url))
    typer.echo("database schema is current")


@app.command()
@_errors
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where to leave the demo site.")]
    = Path("bvflow-demo"),
    data: Annotated[Path | None, typer.Option("--data", help="Demo script (TOML).")] = None,
) -> None:
    """Replay the Vest-Telemark 2025 action plan with a simulated clock."""
    from .demo import run_demo

    run_demo(directory, data, echo=typer.echo, command=_self())


# -- partnerships ------------------------------------------------------------

@partnership_app.command("list")
@_errors
def partnership_list(config: ConfigOpt = None, json_: JsonOpt = False) -> None:
    """List the partnerships: key, name, workflow, parties per role."""
    rows = partnerships.list_partnerships(config)
    if json_:
        _print_json([r.to_dict() for r in rows])
        return
    for r in rows:
        roles = ", ".join(f"{len(v)} {k}" for k, v in r.roles.items())
        typer.echo(f"{r.key:<20} {r.name:<40} {r.workflow:<16} {roles}")


@partnership_app.command("check")
@_errors
def partnership_check(file: Annotated[Path | None, typer.Argument(help="A partnership TOML file; "
                                                                  "default: all of them.")] = None,
                      config: ConfigOpt = None) -> None:
    """Check partnership files against their workflows (errors name file and key)."""
    rows = [partnerships.check_partnership(file, config)] if file else \
        partnerships.list_partnerships(config)
    for r in rows:
        typer.echo(f"ok  {r.key}  ({r.file})")


@partnership_app.command("add")
@_errors
def partnership_add(file: Path, config: ConfigOpt = None) -> None:
    """Check a partnership file, copy it into partnerships/ and list it in config.toml."""
    r = partnerships.add_partnership(file, config)
    typer.echo(f"added {r.key} ({r.name}); choose it with --partnership {r.key}")


# -- plans -------------------------------------------------------------------

@plan_app.command("create")
@_errors
def plan_create(
    key: str,
    title: Annotated[str, typer.Option(help="Title people see.")],
    proposal_file: Annotated[Path | None, typer.Option(help="File with the proposed resolution.")] = None,
    proposal: Annotated[str | None, typer.Option(help="The proposed resolution as text.")] = None,
    deadline: Annotated[list[str] | None, typer.Option(help="PHASE=YYYY-MM-DD (repeat).")] = None,
    config: ConfigOpt = None, partnership: PartOpt = None, actor: ActorOpt = None,
) -> None:
    """Create a plan with version 1 in draft."""
    if (proposal is None) == (proposal_file is None):
        raise InputError("proposal", proposal, "give exactly one of --proposal or --proposal-file")
    text = proposal if proposal is not None else _read("proposal_file", proposal_file)  # type: ignore[arg-type]
    site = Site.open(config)
    pv = services.create_plan(site, partnership, key, title, text, _deadlines(deadline), _actor(actor))
    typer.echo(f"created {key} v{pv.number} (draft)")


@plan_app.command("submit")
@_errors
def plan_submit(plan: str, deadline: Annotated[list[str] | None, typer.Option()] = None,
                config: ConfigOpt = None, partnership: PartOpt = None, actor: ActorOpt = None) -> None:
    """Submit a draft to the parties (steering group)."""
    site = Site.open(config)
    found = services.submit_plan(site, partnership, plan, _actor(actor), _deadlines(deadline))
    typer.echo(f"submitted {plan}")
    (st,) = queries.status(site, partnership, plan)
    wf = site.scope(partnership).config.workflow
    populated = {p.role for p in site.scope(partnership).config.parties}
    missing = [p.name for p in wf.phases if p.name not in st.deadlines and p.role in populated]
    if missing:
        typer.echo(f"warning: no deadline for {', '.join(missing)}: nothing can be found late there; "
                   f"set them on a draft with `plan edit --deadline PHASE=YYYY-MM-DD` next time", err=True)
    if found:
        typer.echo(render_findings(found, site.config.language), nl=False)


@plan_app.command("show")
@_errors
def plan_show(plan: str, config: ConfigOpt = None, partnership: PartOpt = None,
              json_: JsonOpt = False) -> None:
    """Show one plan version: state, proposal, deadlines, matrix."""
    site = Site.open(config)
    st = queries.status(site, partnership, plan)
    scope = site.scope(partnership)
    if json_:
        _print_json([s.to_dict() for s in st])
        return
    typer.echo(render_status(st, scope.config.workflow, site.config.language), nl=False)
    for version in st:
        typer.echo(f"\nFramlegg til vedtak ({version.plan} v{version.version}):\n")
        typer.echo(version.proposal.rstrip("\n"))


@plan_app.command("register")
@_errors
def plan_register(plan: str, party: str,
                  case_number: Annotated[str | None, typer.Option(help="The party's case number, "
                                                                  "e.g. 'PS 2025/34'.")] = None,
                  external_key: Annotated[str | None, typer.Option(help="Its case system's key.")]
                  = None,
                  config: ConfigOpt = None, partnership: PartOpt = None, actor: ActorOpt = None) -> None:
    """Register a party's own case for a plan version (so imports find it)."""
    site = Site.open(config)
    services.register_case(site, partnership, plan, party, case_number=case_number,
                           external_key=external_key, actor=_actor(actor))
    typer.echo(f"registered {party}'s case for {plan}")


@plan_app.command("resubmit")
@_errors
def plan_resubmit(plan: str, reason: Annotated[str, typer.Option()], config: ConfigOpt = None,
                  partnership: PartOpt = None, actor: ActorOpt = None) -> None:
    """Resubmit to the final approver after non-principled changes (the mandate)."""
    site = Site.open(config)
    services.resubmit(site, partnership, plan, reason, _actor(actor))
    typer.echo(f"resubmitted {plan}")


@plan_app.command("revise")
@_errors
def plan_revise(plan: str, reason: Annotated[str, typer.Option()] = "revision",
                proposal_file: Annotated[Path | None, typer.Option()] = None,
                deadline: Annotated[list[str] | None, typer.Option(help="PHASE=YYYY-MM-DD (repeat).")]
                = None,
                config: ConfigOpt = None, partnership: PartOpt = None, actor: ActorOpt = None) -> None:
    """Open a revision: a new draft version from the approved one."""
    site = Site.open(config)
    text = _read("proposal_file", proposal_file) if proposal_file else None
    pv = services.revise_plan(site, partnership, plan, _actor(actor), text, reason,
                              _deadlines(deadline))
    typer.echo(f"opened {plan}@{pv.number} (draft); edit it with `{_self()} plan edit`, "
               f"send it out with `{_self()} plan submit`")


@plan_app.command("edit")
@_errors
def plan_edit(plan: str,
              proposal_file: Annotated[Path | None, typer.Option(help="New proposed resolution.")]
              = None,
              title: Annotated[str | None, typer.Option()] = None,
              deadline: Annotated[list[str] | None, typer.Option(help="PHASE=YYYY-MM-DD (repeat).")]
              = None,
              reason: Annotated[str, typer.Option()] = "",
              config: ConfigOpt = None, partnership: PartOpt = None, actor: ActorOpt = None) -> None:
    """Change a draft before it is submitted: proposal, title, deadlines."""
    site = Site.open(config)
    text = _read("proposal_file", proposal_file) if proposal_file else None
    pv = services.edit_draft(site, partnership, plan, proposal=text, title=title,
                             deadlines=_deadlines(deadline), actor=_actor(actor), reason=reason)
    typer.echo(f"edited {plan}@{pv.number} (draft)")


# -- meetings ------------------------------------------------------------------

@meeting_app.command("add")
@_errors
def meeting_add(party: str, body: str, day: Annotated[str, typer.Argument(metavar="DATE")],
                config: ConfigOpt = None, partnership: PartOpt = None) -> None:
    """Add a planned meeting: PARTY BODY YYYY-MM-DD."""
    site = Site.open(config)
    services.add_meeting(site, partnership, party, body, _date("meeting_date", day))
    typer.echo(f"added {party} {body} {day}")


@meeting_app.command("list")
@_errors
def meeting_list(party: Annotated[str | None, typer.Option()] = None, config: ConfigOpt = None,
                 partnership: PartOpt = None, json_: JsonOpt = False) -> None:
    """List the meeting calendar."""
    site = Site.open(config)
    rows = queries.meetings(site, partnership, party)
    if json_:
        _print_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['date']}  {r['party']:<12} {r['stage']:<14} {r['body']}")


# -- recording -----------------------------------------------------------------

@app.command()
@_errors
def record(
    plan: str, party: str, body: str,
    meeting_date: Annotated[str, typer.Option("--date", help="Meeting date YYYY-MM-DD.")],
    outcome: Annotated[str, typer.Option(help="passed | passed_with_amendments | rejected | "
                                         "postponed")] = "passed",
    case_number: Annotated[str, typer.Option(help="e.g. 'PS 25/34'.")] = "",
    text: Annotated[str | None, typer.Option(help="Resolution text.")] = None,
    text_file: Annotated[Path | None, typer.Option(help="File with the resolution text.")] = None,
    as_proposed: Annotated[bool, typer.Option("--as-proposed", help="Passed as proposed.")] = False,
    config: ConfigOpt = None, partnership: PartOpt = None, actor: ActorOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Record a body's resolution (secretary): PLAN PARTY BODY."""
    if text is not None and text_file is not None:
        raise InputError("text", text, "give --text or --text-file, not both")
    if text_file is not None:
        text = _read("text_file", text_file)
    site = Site.open(config)
    r = services.record_resolution(
        site, partnership, plan, party, body, _date("meeting_date", meeting_date), outcome, text,
        as_proposed=as_proposed, case_number=case_number, actor=_actor(actor))
    if json_:
        _print_json({"plan": r.plan, "version": r.version, "party": r.party, "stage": r.stage,
                     "outcome": r.outcome, "verdict": r.verdict, "case_state": r.case_state,
                     "plan_state": r.plan_state,
                     "differences": [d.to_dict() for d in r.comparison.differences]
                     if r.comparison else [],
                     "findings": [f.to_dict() for f in r.findings]})
        return
    typer.echo(render_record(r, site.scope(partnership).config.workflow, site.config.language),
               nl=False)


@app.command("accept-equivalent")
@_errors
def accept_equivalent(plan: str, party: str, reason: Annotated[str, typer.Option()],
                      config: ConfigOpt = None, partnership: PartOpt = None,
                      actor: ActorOpt = None) -> None:
    """Steering group accepts a deviating resolution as equivalent (reason required)."""
    site = Site.open(config)
    services.accept_equivalent(site, partnership, plan, party, reason, _actor(actor))
    typer.echo(f"accepted {party}'s resolution as equivalent")


@app.command()
@_errors
def decide(
    plan: str, party: str,
    outcome: Annotated[str, typer.Argument(help="approved | rejected | postponed | "
                                           "returned_non_principled | returned_principled")],
    decided_on: Annotated[str, typer.Option("--date", help="Decision date YYYY-MM-DD.")],
    case_number: Annotated[str, typer.Option()] = "",
    reason: Annotated[str, typer.Option()] = "",
    config: ConfigOpt = None, partnership: PartOpt = None, actor: ActorOpt = None,
) -> None:
    """Record a county, partner or KDD decision: PLAN PARTY OUTCOME."""
    site = Site.open(config)
    pv = services.decide(site, partnership, plan, party, outcome, _date("decided_on", decided_on),
                         case_number, reason, _actor(actor))
    wf = site.scope(partnership).config.workflow
    typer.echo(f"{party}: {outcome}; {plan} v{pv.number}: "
               f"{plan_state_label(wf, pv.state, site.config.language)}")


# -- reading -----------------------------------------------------------------------

@app.command()
@_errors
def status(plan: Annotated[str | None, typer.Argument()] = None,
           at: Annotated[str | None, typer.Option(help="Findings as of YYYY-MM-DD.")] = None,
           all_: Annotated[bool, typer.Option("--all", help="Overview of every partnership.")] = False,
           config: ConfigOpt = None, partnership: PartOpt = None, json_: JsonOpt = False) -> None:
    """Where every plan version stands in every body (parties × stages)."""
    site = Site.open(config)
    if all_:
        if plan or partnership:
            raise InputError("--all", True, "shows every partnership; leave out PLAN and --partnership")
        rows = queries.overview(site, _date("at", at) if at else None)
        if json_:
            _print_json([r.to_dict() for r in rows])
        else:
            typer.echo(render_overview(rows, site.config.language), nl=False)
        return
    st = queries.status(site, partnership, plan, _date("at", at) if at else None)
    if json_:
        _print_json([s.to_dict() for s in st])
        return
    typer.echo(render_status(st, site.scope(partnership).config.workflow, site.config.language),
               nl=False)


@app.command()
@_errors
def findings(plan: Annotated[str | None, typer.Argument()] = None,
             at: Annotated[str | None, typer.Option(help="As of YYYY-MM-DD (default today).")] = None,
             config: ConfigOpt = None, partnership: PartOpt = None, json_: JsonOpt = False) -> None:
    """Out-of-step findings for a date (read only)."""
    site = Site.open(config)
    st = queries.status(site, partnership, plan, _date("at", at) if at else None)
    found = [f for s in st for f in s.findings]
    if json_:
        _print_json([f.to_dict() for f in found])
        return
    typer.echo(render_findings(found, site.config.language), nl=False)


@app.command()
@_errors
def scan(at: Annotated[str | None, typer.Option(help="As of YYYY-MM-DD (default today).")] = None,
         config: ConfigOpt = None, partnership: PartOpt = None) -> None:
    """Compute findings and queue notifications for new ones (what the scheduler runs)."""
    site = Site.open(config)
    result = services.raise_findings(site, partnership, _date("at", at) if at else None)
    typer.echo(render_findings(result.findings, site.config.language), nl=False)
    typer.echo(f"{result.queued} new notifications queued, {result.withdrawn} withdrawn "
               f"(`{_self()} outbox`)")


@app.command()
@_errors
def history(plan: str, config: ConfigOpt = None, partnership: PartOpt = None,
            json_: JsonOpt = False) -> None:
    """The audit trail of a plan: who, when, from, to, why."""
    site = Site.open(config)
    entries = queries.history(site, partnership, plan)
    if json_:
        _print_json([e.to_dict() for e in entries])
        return
    typer.echo(render_history(entries), nl=False)


@app.command("check-text")
@_errors
def check_text(proposal_file: Path, resolution_file: Path, json_: JsonOpt = False) -> None:
    """Compare two texts: identical, minor or different, with the difference."""
    proposal, resolution = _read("proposal_file", proposal_file), _read("resolution_file",
                                                                          resolution_file)
    for name, path, content in (("proposal_file", proposal_file, proposal),
                                ("resolution_file", resolution_file, resolution)):
        if not content.strip():
            raise InputError(name, str(path), "the file is empty")
    try:
        c = compare_texts(proposal, resolution)
    except ValueError as exc:  # the texts are longer than the comparison allows
        raise InputError("resolution_file", str(resolution_file), str(exc)) from None
    if json_:
        _print_json(c.to_dict())
        return
    typer.echo(c.verdict)
    if c.verdict != "identical":
        typer.echo(render_diff(c))


@app.command()
@_errors
def outbox(config: ConfigOpt = None, partnership: PartOpt = None, json_: JsonOpt = False) -> None:
    """Notifications: what went or will go to whom, and why a message failed."""
    site = Site.open(config)
    rows = queries.outbox(site, partnership)
    if json_:
        _print_json(rows)
        return
    for r in rows:
        due = datetime.fromisoformat(r["due_at"]).astimezone(OSLO)
        typer.echo(f"{due:%Y-%m-%d %H:%M}  {r['status']:<9} {r['recipient']:<36} {r['subject']}")
        if r["last_error"]:
            typer.echo(f"{'':28}{r['last_error']}")


# -- the wheel, reminders, delivery ------------------------------------------------

def _datetime(field: str, value: str) -> datetime:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` in Oslo time → aware UTC."""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2})?", value):
            raise ValueError(value)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(field, value, "write YYYY-MM-DDTHH:MM (Oslo time) or YYYY-MM-DD") from None
    if len(value) == 10:
        parsed = parsed.replace(hour=12)
    return parsed.replace(tzinfo=OSLO).astimezone(UTC)


@app.command()
@_errors
def wheel(start: Annotated[str | None, typer.Option("--from", help="First day (default today).")] = None,
          config: ConfigOpt = None, partnership: PartOpt = None, json_: JsonOpt = False) -> None:
    """The annual wheel: the coming twelve months of revisions and deadlines."""
    from .wheel import wheel_events

    site = Site.open(config)
    scope = site.scope(partnership)
    first = _date("--from", start) if start else site.clock.today()
    events = wheel_events(scope.config, first, first + timedelta(days=365))
    deadlines = queries.deadlines(site, partnership, first)
    if json_:
        _print_json({"wheel": [e.to_dict() for e in events], "deadlines": deadlines})
        return
    rows = [(e.day, e.title) for e in events] + [
        (date.fromisoformat(d["date"]), f"Frist: {d['title']} – {d['plan']} v{d['version']}")
        for d in deadlines]
    for day, title in sorted(rows):
        typer.echo(f"{fmt_date(day, site.config.language):>18}  {title}")


@app.command()
@_errors
def calendar(output: Annotated[Path | None, typer.Option("-o", "--output", help="File (default: "
                                                        "standard output).")] = None,
             config: ConfigOpt = None, partnership: PartOpt = None) -> None:
    """The wheel, deadlines and all meetings as iCalendar (all-day events)."""
    from .ical import partnership_calendar

    data = partnership_calendar(Site.open(config), partnership)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        typer.echo(f"wrote {output}")


@app.command()
@_errors
def remind(at: Annotated[str | None, typer.Option(help="Moment, YYYY-MM-DDTHH:MM Oslo time.")] = None,
           dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, store nothing.")] = False,
           config: ConfigOpt = None, partnership: PartOpt = None, json_: JsonOpt = False) -> None:
    """What reminders, alerts, escalations and digests are due at a moment, and why."""
    from .reminders import describe, run_reminders

    site = Site.open(config)
    now = _datetime("--at", at) if at else site.clock.now()
    if not dry_run and now > site.clock.now():
        raise InputError("--at", at, "is in the future: use --dry-run to look ahead")
    if not dry_run and now < site.clock.now() - timedelta(days=1):
        raise InputError("--at", at, "is more than a day ago: mail decided now would be dated then; "
                         "use --dry-run to look back")
    queued, withdrawn = run_reminders(site, partnership, now, dry_run=dry_run)
    if json_:
        _print_json({"queued": [q.to_dict() for q in queued], "withdrawn": withdrawn,
                     "dry_run": dry_run})
        return
    for q in queued:
        typer.echo(describe(q, site.config.language))
    verb = "would be queued" if dry_run else "queued"
    typer.echo(f"{len(queued)} {verb}; {withdrawn} pending alerts withdrawn (solved)")


@app.command()
@_errors
def deliver(config: ConfigOpt = None) -> None:
    """Send what is due in the outbox now (SMTP or the .eml folder)."""
    from .delivery import deliver_due_sync

    site = Site.open(config)
    r = deliver_due_sync(site.engine, site.config.mail, site.clock.now())
    where = site.config.mail.folder if site.config.mail.transport == "folder" else site.config.mail.host
    typer.echo(f"sent {r.sent}, to retry {r.retried}, failed {r.failed} ({where})")


@app.command()
@_errors
def serve(host: Annotated[str | None, typer.Option(help="Web address (default [web] host, "
                                                        "127.0.0.1).")] = None,
          port: Annotated[int | None, typer.Option(help="Web port (default [web] port, 8000).")] = None,
          no_scheduler: Annotated[bool, typer.Option("--no-scheduler",
                                                     help="Serve pages only; another process "
                                                          "runs the scheduler.")] = False,
          config: ConfigOpt = None) -> None:
    """Serve the web pages and the JSON API, and run the scheduler: the daily
    run (wheel, findings, reminders, digest) and mail delivery."""
    import uvicorn

    from .notify import check_templates
    from .scheduler import build_scheduler
    from .web import create_app

    site = Site.open(config)
    check_templates(str(site.config.path.parent))  # a broken template stops us here, not a mail
    host = host or site.config.web.host
    port = port or site.config.web.port
    sched = None
    if not no_scheduler:
        every = site.config.scheduler.tick_minutes
        sched = build_scheduler(site.config.path, every)
        sched.start()
        typer.echo(f"bvflow scheduler: every {every} min, daily run at "
                   f"{site.config.scheduler.daily_at} Europe/Oslo; mail via {site.config.mail.transport}.")
    typer.echo(f"bvflow web: http://{host}:{port}/  (API: /api/v1, OpenAPI: /api/v1/openapi.json). "
               "Stop with Ctrl-C.")
    if not any(u for u in _users().list_users(site)):
        typer.echo(f"No users yet: add one with `{_self()} user add NAME --admin`.", err=True)
    try:
        uvicorn.run(create_app(site), host=host, port=port, log_level="info", proxy_headers=False)
    finally:
        if sched is not None:
            sched.shutdown(wait=False)


# -- users --------------------------------------------------------------------------

user_app = typer.Typer(no_args_is_help=True, help="Users of the web pages and the API.")
app.add_typer(user_app, name="user")


def _users():  # type: ignore[no-untyped-def]
    from . import users

    return users


def _new_password(password_file: Path | None) -> str:
    if password_file is not None:
        return _read("password_file", password_file).rstrip("\n")
    env = os.environ.get("BVFLOW_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise InputError("password", "(none)", "give --password-file FILE or BVFLOW_PASSWORD; "
                                               "no terminal to ask on")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise InputError("password", "(hidden)", "the two passwords differ")
    return first


@user_app.command("add")
@_errors
def user_add(
    username: str,
    role: Annotated[str | None, typer.Option(help="steering, secretary or observer in "
                                                  "--partnership.")] = None,
    party: Annotated[str | None, typer.Option(help="The secretary's party (municipality key).")]
    = None,
    admin: Annotated[bool, typer.Option("--admin", help="Administrator of the installation.")] = False,
    name: Annotated[str, typer.Option(help="Full name shown on the pages.")] = "",
    email: Annotated[str, typer.Option()] = "",
    password_file: Annotated[Path | None, typer.Option(help="Read the password from this file "
                                                            "(else BVFLOW_PASSWORD, else asked).")]
    = None,
    config: ConfigOpt = None, partnership: PartOpt = None,
) -> None:
    """Add a user; with --role, give it a role in one partnership."""
    site = Site.open(config)
    if role is None and not admin:
        raise InputError("role", None, "give --role steering|secretary|observer, or --admin")
    info = _users().add_user(site, username, _new_password(password_file), display_name=name,
                             email=email, admin=admin, partnership=partnership, role=role, party=party)
    typer.echo(f"added {info.username}" + (" (administrator)" if info.is_admin else "")
               + "".join(f"; {k}: {g.role}" + (f" for {g.party}" if g.party else "")
                         for k, g in info.grants.items()))


@user_app.command("grant")
@_errors
def user_grant(username: str, role: Annotated[str, typer.Option(help="steering, secretary, observer")],
               party: Annotated[str | None, typer.Option()] = None,
               config: ConfigOpt = None, partnership: PartOpt = None) -> None:
    """Give a user a role in a partnership (replacing the one it had there)."""
    site = Site.open(config)
    _users().grant(site, username, partnership, role, party)
    typer.echo(f"{username}: {role}" + (f" for {party}" if party else "")
               + f" in {site.scope(partnership).key}")


@user_app.command("list")
@_errors
def user_list(config: ConfigOpt = None, json_: JsonOpt = False) -> None:
    """Every user with its roles (no secrets)."""
    rows = _users().list_users(Site.open(config))
    if json_:
        _print_json([u.to_dict() for u in rows])
        return
    for u in rows:
        roles = ", ".join(f"{k}: {g.role}" + (f" ({g.party})" if g.party else "")
                          for k, g in u.grants.items()) or "–"
        flags = " [admin]" * u.is_admin + " [disabled]" * u.disabled
        typer.echo(f"{u.username}{flags}  {u.display_name}  {roles}")


@user_app.command("disable")
@_errors
def user_disable(username: str, enable: Annotated[bool, typer.Option("--enable",
                                                                     help="Enable again.")] = False,
                 config: ConfigOpt = None) -> None:
    """Disable a user: its sessions end and its API tokens stop working at once."""
    _users().set_disabled(Site.open(config), username, not enable)
    typer.echo(f"{username}: {'enabled' if enable else 'disabled'}")


@user_app.command("password")
@_errors
def user_password(username: str, password_file: Annotated[Path | None, typer.Option()] = None,
                  config: ConfigOpt = None) -> None:
    """Set a user's password (ends its sessions)."""
    _users().set_password(Site.open(config), username, _new_password(password_file))
    typer.echo(f"{username}: password changed")


@user_app.command("token")
@_errors
def user_token(username: str, label: Annotated[str, typer.Option()] = "",
               calendar: Annotated[bool, typer.Option("--calendar", help="A token for the calendar "
                                                      "feed only (…/calendar.ics?token=…).")] = False,
               config: ConfigOpt = None) -> None:
    """Make a token (shown once). An API token goes in `Authorization: Bearer <token>`;
    a --calendar token opens only the read-only calendar feed."""
    typer.echo(_users().create_token(Site.open(config), username, label,
                                     scope="calendar" if calendar else "api"))


# -- KS Fiks and iCalendar ---------------------------------------------------------

@import_app.command("vedtak")
@_errors
def import_vedtak(files: Annotated[list[Path], typer.Argument(help="SendVedtakFraUtvalg JSON files.")],
                 plan: Annotated[str | None, typer.Option(help="KEY@N when several versions wait.")]
                 = None,
                 config: ConfigOpt = None, partnership: PartOpt = None) -> None:
    """Record resolutions from KS Fiks SendVedtakFraUtvalg messages (validated)."""
    from . import fiks

    site = Site.open(config)
    wf = site.scope(partnership).config.workflow
    for f in files:
        r = fiks.import_vedtak(site, partnership, f, f.name, plan_ref=plan)
        for w in r.warnings:
            typer.echo(f"warning: {f.name}: {w}", err=True)
        if r.already_imported:
            typer.echo(f"{f.name}: already imported ({r.party} {r.stage}, {r.plan}@{r.version})")
            continue
        verdict = text_label(site.config.language, r.verdict) if r.verdict else "–"
        typer.echo(f"{f.name}: {r.party} {r.stage} → {r.plan}@{r.version}: {verdict}; "
                   f"{case_state_label(wf, r.case_state, site.config.language)}")


@import_app.command("moeteplan")
@_errors
def import_moeteplan(file: Annotated[Path, typer.Argument(help="ResultatMoeteplan JSON file.")],
                     config: ConfigOpt = None, partnership: PartOpt = None) -> None:
    """Update meeting calendars from a KS Fiks ResultatMoeteplan message."""
    from . import fiks

    site = Site.open(config)
    _echo_calendar(fiks.import_moeteplan(site, partnership, file))


@import_app.command("ical")
@_errors
def import_ical(file: Annotated[Path, typer.Argument(help="An .ics file of one body's meetings.")],
                party: Annotated[str, typer.Option()], body: Annotated[str, typer.Option()],
                config: ConfigOpt = None, partnership: PartOpt = None) -> None:
    """Update one body's meeting calendar from an iCalendar file."""
    from . import fiks

    site = Site.open(config)
    _echo_calendar(fiks.import_ical(site, partnership, _read_bytes("file", file), party, body))


@export_app.command("vedtak")
@_errors
def export_vedtak(plan: str, party: str,
                  output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
                  config: ConfigOpt = None, partnership: PartOpt = None) -> None:
    """Write a recorded resolution as a schema-valid SendVedtakFraUtvalg message."""
    from . import fiks

    site = Site.open(config)
    data = json.dumps(fiks.export_vedtak(site, partnership, plan, party), ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(data)
    else:
        output.write_text(data + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}")


def _echo_calendar(r: Any) -> None:
    for w in r.warnings:
        typer.echo(f"warning: {w}", err=True)
    typer.echo(f"meetings: {r.added} added, {r.moved} moved, {r.removed} removed, "
               f"{r.unchanged} unchanged")


def _read_bytes(field: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(field, str(path), f"cannot read the file: {exc.strerror}") from None


def text_label(lang: str, verdict: str) -> str:
    from .messages import text

    return text(lang, f"verdict.{verdict}")


# -- plan content, case document, yearly report (issue 5) --------------------

content_app = typer.Typer(no_args_is_help=True,
                          help="Plan content: sub-goals, measures, budget; checks, diff, case document.")
app.add_typer(content_app, name="content")
LangOpt = Annotated[str | None, typer.Option("--lang", help="nn, nb or en (default: the site's).")]


def _lang(site: Site, lang: str | None) -> str:
    from .messages import LANGUAGES

    if lang is not None and lang not in LANGUAGES:
        raise InputError("lang", lang, f"use one of {', '.join(LANGUAGES)}")
    return lang or site.config.language


@content_app.command("import")
@_errors
def content_import(plan: str, file: Path, config: ConfigOpt = None, partnership: PartOpt = None,
                   actor: ActorOpt = None) -> None:
    """Replace a draft version's content with a TOML file (see `content export`)."""
    from . import content

    site = Site.open(config)
    c = content.import_content(site, partnership, plan, _read("file", file), _actor(actor), file.name)
    typer.echo(f"imported {file}: {len(c.sub_goals)} sub-goals, {len(c.measures)} measures, "
               f"{len(c.years)} budget years into {plan}")


@content_app.command("export")
@_errors
def content_export(plan: str, output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
                   config: ConfigOpt = None, partnership: PartOpt = None) -> None:
    """Write a version's content as a TOML file to edit and import again."""
    from . import content

    data = content.export_toml(Site.open(config), partnership, plan)
    if output is None:
        typer.echo(data, nl=False)
    else:
        output.write_text(data, encoding="utf-8")
        typer.echo(f"wrote {output}")


@content_app.command("show")
@_errors
def content_show(plan: str, config: ConfigOpt = None, partnership: PartOpt = None,
                 json_: JsonOpt = False, lang: LangOpt = None) -> None:
    """Sub-goals, measures and the ledger of state funds of a version."""
    from . import content
    from .contentmodel import to_data
    from .contentrender import render_content, render_ledger

    site = Site.open(config)
    c = content.get_content(site, partnership, plan)
    if c is None:
        raise InputError("plan", plan, "has no content; load it with `bvflow content import PLAN FILE`")
    rows = content.ledger_of(site, partnership, plan)
    if json_:
        data = to_data(c, json_safe=True)
        data["ledger"] = [r.__dict__ for r in rows]
        _print_json(data)
        return
    language = _lang(site, lang)
    typer.echo(render_content(c, language))
    typer.echo(render_ledger(rows, language), nl=False)


@content_app.command("set")
@_errors
def content_set(plan: str, measure: str,
                values: Annotated[list[str], typer.Argument(metavar="FIELD=VALUE...",
                                  help="e.g. reason='…' status=ended budget.2026=500000")],
                config: ConfigOpt = None, partnership: PartOpt = None, actor: ActorOpt = None) -> None:
    """Change fields of one measure of a draft (a new key adds the measure)."""
    from . import content

    pairs: dict[str, str] = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep:
            raise InputError("field", v, "write FIELD=VALUE, e.g. reason='Auka behov'")
        pairs[name.strip()] = value
    m = content.set_measure(Site.open(config), partnership, plan, measure, pairs, _actor(actor))
    typer.echo(f"{plan}: {m.key} updated ({', '.join(pairs)})")


@content_app.command("check")
@_errors
def content_check(plan: str, config: ConfigOpt = None, partnership: PartOpt = None,
                  json_: JsonOpt = False, lang: LangOpt = None) -> None:
    """The checks run before submission; exit code 2 when there are errors."""
    from . import content
    from .contentrender import render_problems

    site = Site.open(config)
    result = content.check(site, partnership, plan, _lang(site, lang))
    if json_:
        _print_json([p.to_dict() for p in result.problems])
    else:
        typer.echo(render_problems(result.problems, _lang(site, lang)), nl=False)
    if result.errors:
        raise typer.Exit(2)


@content_app.command("diff")
@_errors
def content_diff(old: Annotated[str, typer.Argument(metavar="V1", help="KEY@N, e.g. handlingsplan-2025@1")],
                 new: Annotated[str, typer.Argument(metavar="V2", help="KEY@N or KEY (newest)")],
                 config: ConfigOpt = None, partnership: PartOpt = None, json_: JsonOpt = False,
                 lang: LangOpt = None) -> None:
    """New, changed (field by field, old → new) and ended measures; budget per sub-goal and year."""
    from . import content
    from .contentdiff import render_changes

    site = Site.open(config)
    cs = content.diff_versions(site, partnership, old, new)
    if json_:
        _print_json({"from": old, "to": new, **cs.to_dict()})
    else:
        typer.echo(render_changes(cs, _lang(site, lang), f"{old} → {new}"), nl=False)


@content_app.command("document")
@_errors
def content_document(plan: str,
                     html: Annotated[Path | None, typer.Option("--html", help="Write the HTML here.")] = None,
                     pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the PDF here.")] = None,
                     config: ConfigOpt = None, partnership: PartOpt = None, lang: LangOpt = None) -> None:
    """The case document (saksframlegg) as HTML and/or PDF; without options, HTML to stdout."""
    from . import casedoc

    site = Site.open(config)
    language = _lang(site, lang)
    if html is None and pdf is None:
        typer.echo(casedoc.render_html(site, partnership, plan, language), nl=False)
        return
    if html is not None:
        html.write_text(casedoc.render_html(site, partnership, plan, language), encoding="utf-8")
        typer.echo(f"wrote {html}")
    if pdf is not None:
        pdf.write_bytes(casedoc.render_pdf(site, partnership, plan, language))
        typer.echo(f"wrote {pdf}")


@app.command()
@_errors
def report(year: Annotated[int, typer.Argument(help="The year, e.g. 2025.")],
           format_: Annotated[str, typer.Option("--format", help="html or csv.")] = "html",
           output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
           config: ConfigOpt = None, partnership: PartOpt = None, lang: LangOpt = None) -> None:
    """Yearly report to KDD: every measure's status, money per sub-goal, ended measures, approvals."""
    from . import report as reports

    if format_ not in ("html", "csv"):
        raise InputError("format", format_, "use html or csv")
    site = Site.open(config)
    rep = reports.yearly_report(site, partnership, year)
    language = _lang(site, lang)
    data = reports.render_html(rep, language) if format_ == "html" else reports.render_csv(rep, language)
    if output is None:
        typer.echo(data, nl=False)
    else:
        output.write_text(data, encoding="utf-8", newline="")
        typer.echo(f"wrote {output}")


def main() -> None:
    """Console entry point."""
    if os.environ.get("BVFLOW_DEBUG"):
        app()
        return
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted; nothing half-written was committed", err=True)
        sys.exit(130)
