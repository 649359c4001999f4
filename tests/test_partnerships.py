"""Several partnerships in one installation: three shapes side by side, and isolation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bvflow import queries, services
from bvflow.cli import app
from bvflow.clock import SimulatedClock
from bvflow.defaults import default_path
from bvflow.errors import DefinitionError, NotFoundError
from bvflow.site import Site

from .conftest import DEADLINES, MUNICIPALITIES, PROPOSAL, make_site_dir

VT = (default_path("partnerships") / "vest-telemark.toml").read_text(encoding="utf-8")
TWO_COUNTIES = (default_path("demo") / "partnerships" / "rindal-holtalen.toml").read_text(encoding="utf-8")


def region_of_ten() -> str:
    """Ten municipalities, two cooperation partners, no formannskap, one county."""
    parts = ['[partnership]\nkey = "storregion"\nname = "Storregion (test)"\n']
    for i in range(10):
        parts.append(f'[[parties]]\nkey = "k{i}"\nname = "Kommune {i}"\nrole = "municipality"\n'
                     f'[parties.bodies.kommunestyre]\nmeetings = [2025-06-{10 + i:02d}]\n')
    parts.append('[[parties]]\nkey = "fylke"\nname = "Fylket"\nrole = "county"\n')
    parts.append('[[parties]]\nkey = "husbanken"\nname = "Husbanken"\nrole = "partner"\n')
    parts.append('[[parties]]\nkey = "innovasjon"\nname = "Innovasjon Norge"\nrole = "partner"\n')
    parts.append('[[parties]]\nkey = "kdd"\nname = "KDD"\nrole = "ministry"\n')
    return "\n".join(parts)


@pytest.fixture
def multi(tmp_path: Path, db_url: str) -> tuple[Site, SimulatedClock]:
    d = make_site_dir(tmp_path, db_url, {"vest-telemark.toml": VT, "rindal-holtalen.toml": TWO_COUNTIES,
                                         "storregion.toml": region_of_ten()})
    clock = SimulatedClock()
    clock.set_date(date(2025, 5, 2))
    site = Site.open(d / "config.toml", clock)
    yield site, clock
    site.engine.dispose()


def _flow(site: Site, clock: SimulatedClock, part: str, municipalities: list[str],
          approvers: list[str]) -> list[str]:
    clock.set_date(date(2025, 5, 2))
    services.create_plan(site, part, "hp", "Plan", PROPOSAL, DEADLINES)
    services.submit_plan(site, part, "hp")
    clock.set_date(date(2025, 6, 20))
    for m in municipalities:
        services.record_resolution(site, part, "hp", m, "kommunestyre", date(2025, 6, 19), "passed",
                                   as_proposed=True)
    seen = []
    for a in approvers:
        seen.append(services.decide(site, part, "hp", a, "approved", date(2025, 6, 20)).state)
    return seen


def test_three_shapes_run_their_full_flow_in_one_database(multi: tuple[Site, SimulatedClock]) -> None:
    site, clock = multi
    assert _flow(site, clock, "vest-telemark", list(MUNICIPALITIES),
                 ["telemark", "husbanken", "kdd"]) == ["at_partners", "at_kdd", "approved"]
    # both county authorities must approve before KDD; no partner phase
    assert _flow(site, clock, "rindal-holtalen", ["rindal", "holtalen"],
                 ["trondelag", "more-og-romsdal", "kdd"]) == ["at_county", "at_kdd", "approved"]
    # ten municipalities without formannskap, two partners
    assert _flow(site, clock, "storregion", [f"k{i}" for i in range(10)],
                 ["fylke", "husbanken", "innovasjon", "kdd"]) == [
        "at_partners", "at_partners", "at_kdd", "approved"]
    rows = queries.overview(site, date(2025, 6, 20))
    assert [(r.partnership, r.plan, r.state) for r in rows] == [
        ("vest-telemark", "hp", "approved"), ("rindal-holtalen", "hp", "approved"),
        ("storregion", "hp", "approved")]


def test_nothing_crosses_partnerships(multi: tuple[Site, SimulatedClock]) -> None:
    site, clock = multi
    for part in ("vest-telemark", "rindal-holtalen"):
        services.create_plan(site, part, "hp", f"Plan {part}", PROPOSAL, DEADLINES)
        services.submit_plan(site, part, "hp")
    clock.set_date(date(2025, 6, 12))
    services.record_resolution(site, "vest-telemark", "hp", "seljord", "kommunestyre",
                               date(2025, 6, 5), "passed", PROPOSAL.replace("2025", "2026"))
    # a party, a plan version or a body of another partnership is not found
    with pytest.raises(NotFoundError) as err:
        services.record_resolution(site, "rindal-holtalen", "hp", "seljord", "kommunestyre",
                                   date(2025, 6, 5), "passed", as_proposed=True)
    assert err.value.field == "party"
    with pytest.raises(NotFoundError):
        services.accept_equivalent(site, "rindal-holtalen", "hp", "seljord", "x")
    with pytest.raises(NotFoundError):
        services.add_meeting(site, "rindal-holtalen", "tokke", "kommunestyre", date(2025, 6, 1))
    with pytest.raises(NotFoundError):
        services.record_resolution(site, "storregion", "hp", "k1", "kommunestyre",
                                   date(2025, 6, 5), "passed", as_proposed=True)
    # the same party key ("kdd") in two partnerships are two parties
    with pytest.raises(Exception, match="not awaiting kdd"):
        services.decide(site, "rindal-holtalen", "hp", "kdd", "approved", date(2025, 6, 12))
    # reads show only their own partnership
    (rh,) = queries.status(site, "rindal-holtalen", "hp")
    assert rh.title == "Plan rindal-holtalen"
    assert {p.party for p in rh.parties} == {"rindal", "holtalen", "more-og-romsdal", "trondelag", "kdd"}
    assert all(c.outcome == "" for p in rh.parties for c in p.cells)
    assert not any(f.party == "seljord" for f in rh.findings)
    vt_hist = queries.history(site, "vest-telemark", "hp")
    rh_hist = queries.history(site, "rindal-holtalen", "hp")
    assert {e.party for e in rh_hist} <= {None, "rindal", "holtalen"}
    assert "seljord" in {e.party for e in vt_hist}
    assert {m["party"] for m in queries.meetings(site, "rindal-holtalen")} == {"rindal", "holtalen"}
    def contacts(part: str) -> set[str]:
        pc = site.scope(part).config
        people = [*pc.steering_group.contacts, *(c for p in pc.parties for c in p.contacts)]
        return {str(c.email) for c in people}

    vt_out = queries.outbox(site, "vest-telemark")
    rh_out = queries.outbox(site, "rindal-holtalen")
    assert vt_out and {r["recipient"] for r in vt_out} <= contacts("vest-telemark")
    assert {r["recipient"] for r in rh_out} <= contacts("rindal-holtalen")
    before = queries.outbox(site, "rindal-holtalen")
    clock.set_date(date(2025, 6, 21))
    services.raise_findings(site, "vest-telemark", date(2025, 6, 21))
    assert queries.outbox(site, "rindal-holtalen") == before
    with pytest.raises(NotFoundError):
        queries.meetings(site, "storregion", party="seljord")


def test_no_partnership_given_with_several_is_an_error(multi: tuple[Site, SimulatedClock]) -> None:
    site, _ = multi
    with pytest.raises(DefinitionError) as err:
        queries.status(site, None)
    assert "--partnership" in str(err.value) and "storregion" in str(err.value)


runner = CliRunner()


def test_partnership_add_check_list(tmp_path: Path) -> None:
    d = make_site_dir(tmp_path, f"sqlite:///{tmp_path}/p.db")
    cfg = ["--config", str(d / "config.toml")]
    new = tmp_path / "storregion.toml"
    new.write_text(region_of_ten(), encoding="utf-8")
    r = runner.invoke(app, ["partnership", "check", str(new), *cfg])
    assert r.exit_code == 0 and "ok  storregion" in r.output
    r = runner.invoke(app, ["partnership", "add", str(new), *cfg])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["partnership", "list", "--json", *cfg])
    keys = [x["key"] for x in __import__("json").loads(r.stdout)]
    assert keys == ["vest-telemark", "storregion"]
    r = runner.invoke(app, ["status", "--all", "--json", *cfg])
    assert [x["partnership"] for x in __import__("json").loads(r.stdout)] == keys
    # adding it again: the key is taken; config.toml unchanged
    before = (d / "config.toml").read_text(encoding="utf-8")
    r = runner.invoke(app, ["partnership", "add", str(new), *cfg])
    assert r.exit_code == 3 and "partnership.key = 'storregion'" in r.output
    assert (d / "config.toml").read_text(encoding="utf-8") == before
    # a broken file names file and key, and is not added
    bad = tmp_path / "bad.toml"
    bad.write_text(region_of_ten().replace('key = "storregion"', 'key = "bad"')
                   .replace('role = "county"', 'role = "fylke"'), encoding="utf-8")
    r = runner.invoke(app, ["partnership", "add", str(bad), *cfg])
    assert r.exit_code == 3
    assert str(bad) in r.output and "role = 'fylke'" in r.output and "parties[10].role" in r.output
    assert (d / "config.toml").read_text(encoding="utf-8") == before
    assert not (d / "partnerships" / "bad.toml").exists()
    # commands need --partnership now, or take it from the environment
    r = runner.invoke(app, ["status", *cfg])
    assert r.exit_code == 3 and "--partnership" in r.output
    r = runner.invoke(app, ["status", "--json", *cfg], env={"BVFLOW_PARTNERSHIP": "storregion"})
    assert r.exit_code == 0 and r.stdout.strip() == "[]"
