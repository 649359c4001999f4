"""``bvflow demo``: replay a plan's approval from a TOML script with a simulated clock.

The script (default: the shipped ``demo/vest-telemark-2025.toml``) holds the
plan, its proposal and deadlines, and dated steps (submit, record,
accept_equivalent, decide, resubmit, revise). Between steps the demo runs the
daily scan for every day, as the scheduler would, so findings appear on the
day the system would notice them. The site is left in the demo folder.
"""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from . import queries, services
from .clock import SimulatedClock
from .config import load_site
from .defaults import default_path
from .errors import DefinitionError, InputError
from .findings import Finding
from .messages import fmt_date, text
from .partnerships import add_partnership
from .render import (
    case_state_label,
    plan_state_label,
    render_findings,
    render_overview,
    render_record,
    render_status,
    render_summary,
)
from .scheduler import tick
from .site import Site

__all__ = ["run_demo"]

_MARKER = ".bvflow-demo"
_ACTIONS = {"submit", "record", "import", "accept_equivalent", "decide", "resubmit", "revise",
            "content_import", "content_set", "content_diff", "document"}


def _prepare(directory: Path) -> Path:
    if directory.exists():
        if not (directory / _MARKER).exists() and any(directory.iterdir()):
            raise InputError("--dir", str(directory), "exists and is not a bvflow demo folder; "
                             "choose another with --dir")
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / _MARKER).write_text("made by `bvflow demo`; removed when the demo runs again\n")
    for name in ("config.toml", "partnerships", "workflows", "notifications"):
        src = default_path(name)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, directory / name)
    return directory / "config.toml"


def _load(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DefinitionError(str(path), "(file)", str(path), "demo script not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(str(path), "(syntax)", str(exc), "not valid TOML") from None
    for key in ("plan", "steps"):
        if key not in data:
            raise DefinitionError(str(path), key, None, "is required")
    for i, step in enumerate(data["steps"]):
        if step.get("action") not in _ACTIONS:
            raise DefinitionError(str(path), f"steps[{i}].action", step.get("action"),
                                  f"use one of {sorted(_ACTIONS)}")
        if not isinstance(step.get("date"), date):
            raise DefinitionError(str(path), f"steps[{i}].date", step.get("date"), "must be a date")
    return data


_DEFAULT_SCRIPTS = ("vest-telemark-2025.toml", "rindal-holtalen-2025.toml")


def run_demo(directory: Path, data_path: Path | None = None,
             echo: Callable[[str], None] = print, command: str = "bvflow") -> Site:
    """Run the demo into ``directory`` (recreated) and return the site left behind.

    Without ``data_path`` it replays the shipped scripts: Vest-Telemark 2025,
    then a second, differently shaped partnership beside it, and ends with the
    overview across partnerships. A script with ``partnership_file`` adds that
    partnership to the site first (as ``bvflow partnership add`` does).

    Raises: DefinitionError (bad script), InputError (folder not a demo folder),
    and any service error a step raises (the script is wrong).
    """
    paths = [data_path] if data_path else [default_path("demo") / n for n in _DEFAULT_SCRIPTS]
    scripts = [(p, _load(p)) for p in paths]
    for path, script in scripts:
        for step in script["steps"]:
            step["_dir"] = path.parent
    config_path = _prepare(directory)
    for path, script in scripts:
        if "partnership_file" in script:
            script["partnership"] = add_partnership(path.parent / script["partnership_file"],
                                                    config_path).key
    if len(scripts) > 1:
        # commands without --partnership act on the first script's partnership
        first = load_site(config_path).partnerships[0].key
        text = config_path.read_text(encoding="utf-8").replace(
            "[site]\n", f'[site]\ndefault_partnership = "{first}"\n', 1)
        config_path.write_text(text, encoding="utf-8")
    clock = SimulatedClock()
    site = Site.open(config_path, clock)
    for _, script in scripts:
        _replay(site, clock, script, directory, echo)
    if len(site.config.partnerships) > 1:
        last = max([step["date"] for _, script in scripts for step in script["steps"]]
                   + [script["run_until"] for _, script in scripts if "run_until" in script])
        clock.set_date(last)
        echo(f"Oversyn over alle partnarskap ({fmt_date(last, site.config.language)}, "
             "`bvflow status --all`):")
        echo(_indent(render_overview(queries.overview(site, last), site.config.language)))
    echo(f"Prøv: BVFLOW_CONFIG={directory}/config.toml {command} status   (eller status --all, "
         "--partnership rindal-holtalen)")
    return site


def _replay(site: Site, clock: SimulatedClock, script: dict[str, Any], directory: Path,
            echo: Callable[[str], None]) -> None:
    scope = site.scope(script.get("partnership"))
    part = scope.key
    steps = sorted(script["steps"], key=lambda s: s["date"])
    clock.set_date(steps[0]["date"])
    lang = site.config.language
    plan = script["plan"]
    key = plan["key"]
    services.create_plan(site, part, key, plan["title"], plan["proposal"].strip() + "\n",
                         plan.get("deadlines", {}), actor="styringsgruppa")
    if plan.get("content"):  # sub-goals, measures and budget (plan content)
        from . import content

        source = (steps[0]["_dir"] / plan["content"]).read_text(encoding="utf-8")
        c = content.import_content(site, part, key, source, "styringsgruppa", plan["content"])
        echo(f"Innhald: {len(c.sub_goals)} delmål, {len(c.measures)} tiltak (eksempeldata) frå "
             f"{plan['content']}")
    echo(f"bvflow demo · {scope.config.name} · {plan['title']}")
    echo(f"Stad: {directory}/ (config.toml og bvflow.db). Simulert klokke frå "
         f"{fmt_date(steps[0]['date'], lang)}.\n")
    seen: dict[tuple[Any, ...], Finding] = {}
    last_day = steps[0]["date"] - timedelta(days=1)

    mailed: set[int] = set()

    def scan_until(day: date) -> None:
        """Run the scheduler as `bvflow serve` would, day by day: the daily run
        at 07:30 (wheel, findings, reminders, escalations, digest), delivery
        in the afternoon; print what it decided to send."""
        nonlocal last_day
        d = last_day + timedelta(days=1)
        while d <= day:
            clock.set_date(d, time(7, 30))
            report = tick(site, "bvflow-demo", deliver=False)
            for f in queries.status(site, part, key, d)[0].findings:
                seen.setdefault(_fkey(f), f)
            clock.set_date(d, time(15, 55))
            tick(site, "bvflow-demo")
            _echo_mail(site, part, d, mailed, echo, report.revisions)
            d += timedelta(days=1)
        last_day = day

    for i, step in enumerate(steps):
        if step["date"] > last_day:  # a new day: the days before, then this day's morning run
            scan_until(step["date"] - timedelta(days=1))
            clock.set_date(step["date"], time(7, 30))
            revisions = tick(site, "bvflow-demo", deliver=False).revisions
            if revisions:
                echo(f"{fmt_date(step['date'], lang)} · årshjulet opna revisjon: {', '.join(revisions)}")
            last_day = step["date"]
        clock.set_date(step["date"])
        echo(f"{fmt_date(step['date'], lang)} · {_describe(step, lang)}")
        if step.get("note"):
            echo(f"  ({step['note']})")
        new = _run_step(site, part, key, step, echo)
        for f in new:
            if _fkey(f) not in seen:
                seen[_fkey(f)] = f
                echo(f"  nytt funn: [{f.kind}] {f.message_in(lang)}")
        statuses = queries.status(site, part, key)
        if step.get("show"):
            echo("")
            echo(_indent(render_status(statuses, scope.config.workflow, lang)))
        else:
            echo("  " + render_summary(statuses[0], scope.config.workflow, lang))
        if i + 1 == len(steps) or steps[i + 1]["date"] != step["date"]:
            clock.set_date(step["date"], time(15, 55))  # the day's delivery
            tick(site, "bvflow-demo")
            _echo_mail(site, part, step["date"], mailed, echo, [])
    if script.get("run_until"):
        scan_until(script["run_until"])
    echo("Funn systemet sjølv reiste undervegs:")
    echo(_indent(render_findings(sorted(seen.values(), key=lambda f: (f.key_date, f.party)), lang)))
    rows = queries.outbox(site, part)
    sent = sum(r["status"] == "sent" for r in rows)
    echo(f"{len(rows)} meldingar i utboksen, {sent} sende (`bvflow outbox --partnership {part}`); "
         f"e-postane ligg som .eml-filer i {site.config.mail.folder}\n")


def _echo_mail(site: Site, part: str, day: date, mailed: set[int], echo: Callable[[str], None],
               revisions: list[str]) -> None:
    """Print, once each, the subjects of the messages sent for ``part`` on ``day``."""
    from sqlmodel import Session, col, select

    from .models import OutboxMessage

    scope = site.scope(part)
    with Session(site.engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.partnership_id == scope.id,
                                                  OutboxMessage.status == "sent",
                                                  col(OutboxMessage.id).not_in(mailed or [-1]))).all()
    by_subject: dict[str, list[str]] = {}
    for m in rows:
        mailed.add(m.id)  # type: ignore[arg-type]
        by_subject.setdefault(m.subject, []).append(m.recipient)
    if revisions:
        echo(f"{fmt_date(day, site.config.language)} · årshjulet opna revisjon: {', '.join(revisions)}")
    if by_subject:
        echo(f"{fmt_date(day, site.config.language)} · e-post sendt:")
        for subject, to in by_subject.items():
            echo(f"    {subject}  → {', '.join(sorted(to))}")


def _fkey(f: Finding) -> tuple[Any, ...]:
    return (f.plan, f.version, f.party, f.kind, f.key_date)


def _indent(text: str) -> str:
    return "\n".join(("  " + line) if line else line for line in text.rstrip("\n").split("\n")) + "\n"


def _describe(step: dict[str, Any], lang: str) -> str:
    a = step["action"]
    if a == "record":
        return f"{step['party']} {step['body']} registrerer vedtak ({step.get('case_number', '')})"
    if a == "import":
        return f"vedtak kjem inn frå KS Fiks: {step['file']}"
    if a == "decide":
        return f"{step['party']}: {text(lang, 'outcome.' + step['outcome'])}"
    return {"submit": "styringsgruppa sender planen ut", "accept_equivalent":
            f"styringsgruppa godtek vedtaket til {step.get('party')} som likeverdig",
            "resubmit": "styringsgruppa sender planen til KDD att (fullmakt)",
            "revise": "revisjon opna: ny utkastversjon",
            "content_import": f"styringsgruppa lastar inn revidert innhald: {step.get('file')}",
            "content_set": f"styringsgruppa endrar tiltak {step.get('measure')}",
            "content_diff": f"endringar {step.get('from')} → {step.get('to')} (`bvflow content diff`)",
            "document": "saksframlegget blir laga (HTML og PDF)"}[a]


def _run_step(site: Site, part: str, key: str, step: dict[str, Any],
              echo: Callable[[str], None]) -> list[Finding]:
    a = step["action"]
    actor = "styringsgruppa"
    if a == "submit":
        from .contentchecks import ContentRefused

        try:
            return services.submit_plan(site, part, key, actor)
        except ContentRefused as exc:
            if not step.get("expect_refused"):
                raise
            echo(f"  avvist: {exc.problem}".replace("\n", "\n  "))
            return []
    if a.startswith("content_") or a == "document":
        _content_step(site, part, key, step, echo)
        return []
    if a == "record":
        party = step["party"]
        r = services.record_resolution(
            site, part, key, party, step["body"], step.get("meeting", step["date"]),
            step.get("outcome", "passed"), step.get("text"),
            as_proposed=step.get("as_proposed", False), case_number=step.get("case_number", ""),
            actor=f"sekretariat-{party}")
        echo(_indent(render_record(r, site.scope(part).config.workflow, site.config.language)).rstrip("\n"))
        return r.findings
    if a == "import":
        from . import fiks  # noqa: PLC0415

        path = step["_dir"] / step["file"]  # relative to the demo script
        r = fiks.import_vedtak(site, part, path, path.name)
        wf = site.scope(part).config.workflow
        echo(f"  {r.party} {r.stage}: {text(site.config.language, 'verdict.' + r.verdict)} → "
             f"{case_state_label(wf, r.case_state, site.config.language)} (frå {path.name})"
             if r.verdict else f"  {r.party} {r.stage} (frå {path.name})")
        return []
    if a == "accept_equivalent":
        return services.accept_equivalent(site, part, key, step["party"], step["reason"], actor)
    if a == "decide":
        pv = services.decide(site, part, key, step["party"], step["outcome"], step["date"],
                             step.get("case_number", ""), step.get("reason", ""),
                             actor=step["party"])
        wf = site.scope(part).config.workflow
        echo(f"  gjeldande versjon {pv.number}: {plan_state_label(wf, pv.state, site.config.language)}")
        return []
    if a == "resubmit":
        services.resubmit(site, part, key, step["reason"], actor)
        return []
    pv = services.revise_plan(site, part, key, actor, reason=step.get("reason", ""))
    echo(f"  {key}@{pv.number} er oppretta som utkast (revisjon av versjon {pv.number - 1})")
    return []


def _content_step(site: Site, part: str, key: str, step: dict[str, Any],
                  echo: Callable[[str], None]) -> None:
    """The plan-content steps: import a file, set a measure's fields, show a
    diff, write the case document beside the demo's config."""
    from . import casedoc, content
    from .contentdiff import render_changes

    a = step["action"]
    lang = site.config.language
    if a == "content_import":
        source = (step["_dir"] / step["file"]).read_text(encoding="utf-8")
        content.import_content(site, part, key, source, "styringsgruppa", step["file"])
    elif a == "content_set":
        content.set_measure(site, part, key, step["measure"],
                            {k: str(v) for k, v in step["values"].items()}, "styringsgruppa")
    elif a == "content_diff":
        cs = content.diff_versions(site, part, step["from"], step["to"])
        echo(_indent(render_changes(cs, lang)).rstrip("\n"))
    else:
        folder = site.config.path.parent
        name = f"saksframlegg-{key}"
        (folder / f"{name}.html").write_text(casedoc.render_html(site, part, key), encoding="utf-8")
        (folder / f"{name}.pdf").write_bytes(casedoc.render_pdf(site, part, key))
        echo(f"  skrive: {folder / name}.html og .pdf")
