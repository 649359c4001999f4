"""Workflow definitions and partnership files: validation on load, other shapes by TOML alone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bvflow import machines, queries, services
from bvflow.clock import SimulatedClock
from bvflow.config import load_site
from bvflow.defaults import default_path
from bvflow.errors import DefinitionError
from bvflow.site import Site
from bvflow.workflow import load_workflow, parse_workflow

from .conftest import make_site_dir

DEFAULT = (default_path("workflows") / "handlingsplan.toml").read_text(encoding="utf-8")


def test_default_workflow_loads() -> None:
    wf = load_workflow(default_path("workflows") / "handlingsplan.toml")
    assert [p.state for p in wf.phases] == ["in_municipalities", "at_county", "at_partners", "at_kdd"]
    assert wf.phase("municipalities").stages == ("formannskap", "kommunestyre")
    assert wf.stages["formannskap"].optional is True
    assert wf.plan_states == ("draft", "in_municipalities", "at_county", "at_partners", "at_kdd",
                              "returned", "approved", "superseded")


def _bad(tmp_path: Path, text: str) -> DefinitionError:
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_workflow(f)
    assert str(f) in str(err.value)
    return err.value


def test_unknown_stage_is_named(tmp_path: Path) -> None:
    err = _bad(tmp_path, DEFAULT.replace('stages = ["fylkeskommune"]', 'stages = ["fylkesting"]'))
    assert (err.key, err.value) == ("phases[1].stages[0]", "fylkesting")
    assert "unknown stage" in str(err)


def test_unreachable_stage_is_named(tmp_path: Path) -> None:
    text = DEFAULT + '\n[stages.kontrollutval]\ntitle = "Kontrollutval"\nkind = "approval"\n'
    err = _bad(tmp_path, text)
    assert (err.key, err.value) == ("stages.kontrollutval", "kontrollutval")
    assert "unreachable" in str(err)


def test_stage_after_a_resolution_is_unreachable(tmp_path: Path) -> None:
    err = _bad(tmp_path, DEFAULT.replace('stages = ["formannskap", "kommunestyre"]',
                                         'stages = ["kommunestyre", "formannskap"]'))
    assert err.key == "phases[0].stages[1]" and "unreachable" in str(err)


def test_phase_after_final_approval_is_unreachable(tmp_path: Path) -> None:
    text = DEFAULT + '\n[[phases]]\nname = "late"\nstate = "at_late"\nrole = "late"\nstages = []\n'
    err = _bad(tmp_path, text.replace('[stages.kdd]', '[stages.extra]\nkind = "approval"\n\n[stages.kdd]')
               .replace('stages = []', 'stages = ["extra"]'))
    assert err.key == "phases[4].name" and err.value == "late"


def test_unknown_kind_and_key(tmp_path: Path) -> None:
    err = _bad(tmp_path, DEFAULT.replace('kind = "approval"', 'kind = "vote"', 1))
    assert (err.key, err.value) == ("stages.fylkeskommune.kind", "vote")
    err = _bad(tmp_path, DEFAULT.replace('optional = true', 'optinal = true'))
    assert err.key == "stages.formannskap.optinal"


def test_syntax_error_names_file(tmp_path: Path) -> None:
    err = _bad(tmp_path, DEFAULT + "\n[[phases]\n")
    assert err.key == "(syntax)"


def test_party_with_no_path_is_rejected(tmp_path: Path) -> None:
    d = make_site_dir(tmp_path, f"sqlite:///{tmp_path}/x.db")
    p = d / "partnerships" / "vest-telemark.toml"
    p.write_text(p.read_text(encoding="utf-8").replace('role = "partner"', 'role = "sponsor"'),
                 encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_site(d / "config.toml")
    assert err.value.file == str(p)
    assert (err.value.key, err.value.value) == ("parties[7].role", "sponsor")
    assert "no path" in str(err.value)


def test_body_not_in_the_partys_phase_is_rejected(tmp_path: Path) -> None:
    d = make_site_dir(tmp_path, f"sqlite:///{tmp_path}/x.db")
    p = d / "partnerships" / "vest-telemark.toml"
    p.write_text(p.read_text(encoding="utf-8").replace("[parties.bodies.samarbeidspart]",
                                                       "[parties.bodies.kdd]"), encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_site(d / "config.toml")
    assert (err.value.key, err.value.value) == ("parties[7].bodies.kdd", "kdd")


def test_bad_email_in_contacts_is_named(tmp_path: Path) -> None:
    d = make_site_dir(tmp_path, f"sqlite:///{tmp_path}/x.db")
    p = d / "partnerships" / "vest-telemark.toml"
    p.write_text(p.read_text(encoding="utf-8").replace("politisk@tokke.example", "tokke-at-example"),
                 encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_site(d / "config.toml")
    assert err.value.key == "parties[4].contacts[0].email" and err.value.value == "tokke-at-example"


THREE_WF = """
[workflow]
name = "tre"
title = "Tre kommunar, kommunestyre og departement"

[stages.kommunestyre]
kind = "resolution"

[stages.fylkeskommune]
kind = "approval"

[stages.kdd]
kind = "final_approval"

[[phases]]
name = "municipalities"
state = "in_municipalities"
role = "municipality"
stages = ["kommunestyre"]

[[phases]]
name = "county"
state = "at_county"
role = "county"
stages = ["fylkeskommune"]

[[phases]]
name = "kdd"
state = "at_kdd"
role = "ministry"
stages = ["kdd"]
"""

THREE = """
[partnership]
key = "tre-kommunar"
name = "Tre kommunar"
workflow = "tre"

[[parties]]
key = "a"
name = "A kommune"
role = "municipality"
[parties.bodies.kommunestyre]
meetings = [2025-03-20]

[[parties]]
key = "b"
name = "B kommune"
role = "municipality"
[parties.bodies.kommunestyre]
meetings = [2025-03-25]

[[parties]]
key = "c"
name = "C kommune"
role = "municipality"
[parties.bodies.kommunestyre]
meetings = [2025-04-10]

[[parties]]
key = "fylke"
name = "Fylket"
role = "county"

[[parties]]
key = "kdd"
name = "KDD"
role = "ministry"
"""


def test_three_municipalities_defined_in_toml_only(tmp_path: Path, db_url: str) -> None:
    d = make_site_dir(tmp_path, db_url, {"tre.toml": THREE}, {"tre.toml": THREE_WF})
    clock = SimulatedClock()
    clock.set_date(date(2025, 3, 1))
    site = Site.open(d / "config.toml", clock)
    text = "1. Planen vert vedteken.\n"
    services.create_plan(site, None, "plan", "Plan", text, {"municipalities": date(2025, 3, 31)})
    found = services.submit_plan(site, None, "plan")
    # C meets only after the deadline: seen on the day of submission
    assert [(f.kind, f.party) for f in found] == [("no_meeting_before_deadline", "c")]
    clock.set_date(date(2025, 4, 10))
    for party, day in (("a", date(2025, 3, 20)), ("b", date(2025, 3, 25)), ("c", date(2025, 4, 10))):
        services.record_resolution(site, None, "plan", party, "kommunestyre", day, "passed",
                                   as_proposed=True)
    (st,) = queries.status(site, None, "plan")
    assert st.state == "at_county"
    services.decide(site, None, "plan", "fylke", "approved", date(2025, 4, 10))
    # no partners phase in this workflow: straight to KDD
    assert services.decide(site, None, "plan", "kdd", "approved", date(2025, 4, 10)).state == "approved"
    site.engine.dispose()


def test_phase_without_parties_is_skipped(tmp_path: Path, db_url: str) -> None:
    """The default workflow with no partner in the partnership goes county → KDD."""
    d = make_site_dir(tmp_path, db_url)
    p = d / "partnerships" / "vest-telemark.toml"
    text = p.read_text(encoding="utf-8")
    start = text.index('[[parties]]\nkey = "husbanken"')
    end = text.index('[[parties]]\nkey = "kdd"')
    p.write_text(text[:start] + text[end:], encoding="utf-8")
    clock = SimulatedClock()
    clock.set_date(date(2025, 6, 12))
    site = Site.open(d / "config.toml", clock)
    services.create_plan(site, None, "p", "P", "1. Vedteke.\n")
    services.submit_plan(site, None, "p")
    for m in ("seljord", "kviteseid", "nissedal", "fyresdal", "tokke", "vinje"):
        services.record_resolution(site, None, "p", m, "kommunestyre", date(2025, 6, 12), "passed",
                                   as_proposed=True)
    assert services.decide(site, None, "p", "telemark", "approved", date(2025, 6, 12)).state == "at_kdd"
    site.engine.dispose()


def test_one_machine_per_workflow_and_kind(tmp_path: Path) -> None:
    wf = load_workflow(default_path("workflows") / "handlingsplan.toml")
    first = machines.machines_for(wf)
    built = machines.MACHINES_BUILT
    for _ in range(100):
        assert machines.machines_for(wf) is first
    assert machines.MACHINES_BUILT == built
    with pytest.raises(DefinitionError):
        parse_workflow({"workflow": {"name": "x"}}, "x.toml")


def test_partnership_without_final_approver_is_refused(tmp_path: Path) -> None:
    d = make_site_dir(tmp_path, f"sqlite:///{tmp_path}/x.db")
    p = d / "partnerships" / "vest-telemark.toml"
    text = p.read_text(encoding="utf-8")
    p.write_text(text[: text.index('[[parties]]\nkey = "kdd"')], encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_site(d / "config.toml")
    assert err.value.key == "parties" and "'ministry'" in str(err.value)


def test_membership_changes_after_submission(tmp_path: Path, db_url: str) -> None:
    d = make_site_dir(tmp_path, db_url)
    p = d / "partnerships" / "vest-telemark.toml"
    original = p.read_text(encoding="utf-8")
    clock = SimulatedClock()
    clock.set_date(date(2025, 6, 12))
    site = Site.open(d / "config.toml", clock)
    services.create_plan(site, None, "p", "P", "1. Vedteke.\n")
    services.submit_plan(site, None, "p")
    site.engine.dispose()
    # a new municipality joins: it is not a party to the version already out
    joined = original.replace('[[parties]]\nkey = "telemark"',
                              '[[parties]]\nkey = "drangedal"\nname = "Drangedal kommune"\n'
                              'role = "municipality"\n\n[[parties]]\nkey = "telemark"')
    p.write_text(joined, encoding="utf-8")
    site = Site.open(d / "config.toml", clock)
    with pytest.raises(Exception, match="was not a party when version 1 was submitted") as err:
        services.record_resolution(site, None, "p", "drangedal", "kommunestyre", date(2025, 6, 12),
                                   "passed", as_proposed=True)
    assert err.value.field == "party"  # type: ignore[attr-defined]
    (st,) = queries.status(site, None, "p")
    assert "drangedal" not in {r.party for r in st.parties}
    site.engine.dispose()
    # a municipality leaves while the version is in progress: refused, naming file and party
    p.write_text(original.replace('key = "vinje"', 'key = "vinje-old"', 1)
                 .replace('key = "vinje-old"\nname = "Vinje kommune"\nrole = "municipality"',
                          'key = "vinje-old"\nname = "Vinje kommune"\nrole = "municipality"'),
                 encoding="utf-8")
    site = Site.open(d / "config.toml", clock)
    with pytest.raises(DefinitionError) as derr:
        site.scope(None)
    assert (derr.value.file, derr.value.key, derr.value.value) == (str(p), "parties", "vinje")
    assert "p@1 is in progress" in str(derr.value)
    site.engine.dispose()
