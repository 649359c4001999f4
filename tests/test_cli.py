"""The command line as people use it: installed entry point, JSON output, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bvflow.cli import app

from .conftest import PROPOSAL, REPO, SHARED, make_site_dir

BVFLOW = str(Path(sys.executable).with_name("bvflow"))
runner = CliRunner()


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("BVFLOW_")} | env
    return subprocess.run([BVFLOW, *args], cwd=cwd, env=e, capture_output=True, text=True,
                          timeout=300)


def test_init_writes_an_editable_site_from_the_installed_package(tmp_path: Path) -> None:
    r = run(["init", "site"], tmp_path)
    assert r.returncode == 0, r.stderr
    for name in ("config.toml", "partnerships/vest-telemark.toml", "workflows/handlingsplan.toml",
                 "notifications/nn/finding.txt.j2"):
        assert (tmp_path / "site" / name).is_file(), name
    r = run(["status", "--json"], tmp_path / "site")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
    again = run(["init", "site"], tmp_path)
    assert again.returncode == 2 and "exists already" in again.stderr


def test_demo_replays_2025_and_leaves_a_working_site(tmp_path: Path) -> None:
    r = run(["demo"], tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    # Tokke's council meets after the municipal deadline: found on the day of submission
    assert ("2. mai 2025 · styringsgruppa sender planen ut\n"
            "  (Styringsgruppa sender planen ut etter Vest-Telemarktinget 29.–30. april 2025.)\n"
            "  nytt funn: [no_meeting_before_deadline] Tokke kommune: Kommunestyret i Tokke har "
            "inkje møte att før fristen 20. juni 2025.") in out
    assert "seljord: vedteke = likelydande → ferdig" in out  # pasted with typographic differences
    assert "kviteseid kommunestyre: likelydande → ferdig (frå vedtak-kviteseid-kommunestyre.json)" in out
    assert "nissedal: vedteke ≠ ulikt → AVVIK" in out and "nissedal som likeverdig" in out
    assert "fyresdal: vedteke med endringar ≠ ulikt → AVVIK" in out
    assert "fyresdal: vedteke = likelydande → ferdig" in out
    assert "gjeldande versjon 1: returnert frå godkjennar" in out
    assert "gjeldande versjon 1: godkjent" in out
    # the scheduler ran day by day: reminders weeks ahead, an escalation, digests, the wheel
    assert "Påminning: Tokke kommune – frist 20. juni 2025 for handlingsplan-2025 v1" in out
    assert "Eskalering: Tokke kommune – inkje møte før fristen sidan 2. mai 2025" in out
    assert "Vekeoversikt 2025-W19" in out
    assert "1. september 2025 · årshjulet opna revisjon: vest-telemark:handlingsplan-2025@2" in out
    emls = list((tmp_path / "bvflow-demo" / "outbox").glob("*.eml"))
    assert len(emls) > 50
    subjects = [e.read_text(encoding="ascii").split("Subject: ")[1].split("\n")[0] for e in emls]
    assert any("Vekeoversikt" in s for s in subjects)
    assert "Funn systemet sjølv reiste undervegs:" in out
    assert "[deadline_passed] Tokke kommune: fristen 20. juni 2025 har gått ut" in out
    # the second partnership beside it, and the overview across both
    assert "Bygdevekst Rindal og Holtålen (eksempel)  handlingsplan-2025 v1" in out
    st = run(["status", "--json"], tmp_path, BVFLOW_CONFIG="bvflow-demo/config.toml")
    assert st.returncode == 0, st.stderr
    versions = {(v["version"], v["state"]) for v in json.loads(st.stdout)}
    # the autumn revision: content changed, refused until accounted for, then submitted
    assert versions == {(1, "approved"), (2, "in_municipalities")}
    assert "    × jobs-network: Næringsnettverk for Vest-Telemark (eksempel)" in out
    assert ("avvist: kan ikkje sendast ut før innhaldet er i orden (2 feil):\n"
            "    - Tiltak «housing-survey» er endra sidan versjon 1 (end, budget.2026)") in out
    assert (tmp_path / "bvflow-demo" / "saksframlegg-handlingsplan-2025.pdf").read_bytes()[:5] == b"%PDF-"
    hist = run(["history", "handlingsplan-2025", "--json"], tmp_path,
               BVFLOW_CONFIG="bvflow-demo/config.toml")
    events = [e["event"] for e in json.loads(hist.stdout)]
    assert events.count("return_non_principled") == 1 and events.count("resubmit") == 2
    # running again starts afresh
    assert run(["demo"], tmp_path).returncode == 0


def test_check_text_json(tmp_path: Path) -> None:
    case = json.loads((SHARED / "cases" / "identical-04.json").read_text(encoding="utf-8"))
    (tmp_path / "p.txt").write_text(case["proposal"], encoding="utf-8")
    (tmp_path / "r.txt").write_text(case["resolution"], encoding="utf-8")
    r = runner.invoke(app, ["check-text", str(tmp_path / "p.txt"), str(tmp_path / "r.txt"), "--json"])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["verdict"] == "different"
    assert data["differences"][0]["kind"] == "added"
    (tmp_path / "r.txt").write_text(case["proposal"].replace("\n", "\r\n"), encoding="utf-8")
    r = runner.invoke(app, ["check-text", str(tmp_path / "p.txt"), str(tmp_path / "r.txt"), "--json"])
    assert json.loads(r.stdout)["verdict"] == "identical" and json.loads(r.stdout)["differences"] == []


def test_record_status_findings_and_errors_through_the_cli(tmp_path: Path, db_url: str) -> None:
    d = make_site_dir(tmp_path, db_url)
    cfg = ["--config", str(d / "config.toml")]
    (tmp_path / "proposal.txt").write_text(PROPOSAL, encoding="utf-8")
    # the CLI runs on today's clock: a plan submitted today, a meeting today
    from datetime import date as _date

    next_year = f"{_date.today().year + 1}-06-20"  # deadlines lie at most ten years ahead
    r = runner.invoke(app, ["plan", "create", "hp", "--title", "Handlingsplan",
                            "--proposal-file", str(tmp_path / "proposal.txt"),
                            "--deadline", f"municipalities={next_year}", *cfg])
    assert r.exit_code == 0, r.output
    assert runner.invoke(app, ["plan", "submit", "hp", *cfg]).exit_code == 0
    from datetime import date

    today = date.today().isoformat()
    r = runner.invoke(app, ["record", "hp", "seljord", "kommunestyre", "--date", today,
                            "--case-number", "PS 25/44", "--text", PROPOSAL.replace("2025", "2026"),
                            "--json", *cfg])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout)
    assert (rec["verdict"], rec["case_state"]) == ("different", "deviating")
    st = json.loads(runner.invoke(app, ["status", "hp", "--json", *cfg]).stdout)[0]
    seljord = next(p for p in st["parties"] if p["party"] == "seljord")
    assert (seljord["stages"][1]["case_number"], seljord["stages"][1]["verdict"]) == ("PS 25/44",
                                                                                     "different")
    f = json.loads(runner.invoke(app, ["findings", "hp", "--json", *cfg]).stdout)
    # the calendars in the example site end in 2025: no council meeting left either
    dev = [x for x in f if x["party"] == "seljord"]
    assert [x["kind"] for x in dev] == ["no_meeting_before_deadline", "deviating_resolution"]
    dev = dev[1:]
    assert {"kind", "party", "severity", "message"} <= set(dev[0])
    assert dev[0]["severity"] == "warning"
    r = runner.invoke(app, ["record", "hp", "skien", "kommunestyre", "--date", today,
                            "--as-proposed", *cfg])
    assert r.exit_code == 2 and "party = 'skien'" in r.output
    r = runner.invoke(app, ["record", "hp", "seljord", "kommunestyre", "--date", "12.06.2025",
                            "--as-proposed", *cfg])
    assert r.exit_code == 2 and "--date = '12.06.2025': not a date" in r.output
    r = runner.invoke(app, ["accept-equivalent", "hp", "seljord", "--reason", "same", *cfg])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["accept-equivalent", "hp", "seljord", "--reason", "again", *cfg])
    assert r.exit_code == 4 and "'passed'" in r.output
    hist = runner.invoke(app, ["history", "hp", *cfg]).stdout
    assert "accept_equivalent" in hist and "«same»" in hist


def test_missing_config_tells_what_to_do(tmp_path: Path) -> None:
    r = run(["status"], tmp_path)
    assert r.returncode == 3
    assert "config.toml" in r.stderr and "bvflow init" in r.stderr


def test_readme_commands_are_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    block = readme.split("```")[1].strip().splitlines()
    cmds = [line for line in block if line and not line.startswith(("#", "sh", "bash"))]
    assert len(cmds) == 2, cmds
    assert "bvflow demo" in cmds[0]
    assert cmds[1] in ci


@pytest.mark.parametrize("cmd", ["status", "findings", "history", "meeting", "record", "decide",
                                 "accept-equivalent", "plan", "init", "demo", "check-text", "scan",
                                 "outbox", "db"])
def test_every_command_has_help(cmd: str) -> None:
    r = runner.invoke(app, [cmd, "--help"])
    assert r.exit_code == 0 and "Usage" in r.output


def test_check_text_refuses_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text(PROPOSAL, encoding="utf-8")
    (tmp_path / "r.txt").write_text(" \n", encoding="utf-8")
    r = runner.invoke(app, ["check-text", str(tmp_path / "p.txt"), str(tmp_path / "r.txt")])
    assert r.exit_code == 2 and "resolution_file" in r.output and "empty" in r.output


def test_import_and_export_a_fiks_resolution_through_the_cli(tmp_path: Path) -> None:
    assert run(["demo"], tmp_path).returncode == 0
    env = {"BVFLOW_CONFIG": "bvflow-demo/config.toml"}
    out = tmp_path / "kviteseid.json"
    r = run(["export", "vedtak", "handlingsplan-2025@1", "kviteseid", "-o", str(out)], tmp_path, **env)
    assert r.returncode == 0, r.stderr
    msg = json.loads(out.read_text(encoding="utf-8"))
    assert msg["utvalgId"] == "KVI-KST" and msg["sak"]["utvalgetsSaksnummer"]["sakssekvensnummer"] == 58
    r = run(["import", "vedtak", str(default_demo() / "fiks" / "vedtak-kviteseid-kommunestyre.json")],
            tmp_path, **env)
    assert r.returncode == 0 and "already imported" in r.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    r = run(["import", "vedtak", str(bad)], tmp_path, **env)
    assert r.returncode == 2 and "not valid JSON" in r.stderr


def default_demo() -> Path:
    from bvflow.defaults import default_path

    return default_path("demo")
