"""Plan content: import/export, the checks with their exact messages, carry-over,
the revision account at submission, the diff (service and CLI)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bvflow import content, services
from bvflow.cli import app
from bvflow.clock import SimulatedClock
from bvflow.contentchecks import ContentRefused, check_content, ledger
from bvflow.contentmodel import BudgetYearContent, MeasureContent, PlanContent, dump_toml, load_toml
from bvflow.errors import InputError
from bvflow.site import Site

from .conftest import DEADLINES, PROPOSAL, REPO, snapshot
from .test_flow import at_kdd

PLAN = "handlingsplan-2025"
DEMO = (REPO / "demo" / "content" / "handlingsplan-2025.toml").read_text(encoding="utf-8")
NB = "\u00a0"  # babel groups thousands with no-break spaces: 18 000 000 kr


def nok(text: str) -> str:
    return text.replace("_", NB)


def with_content(site: Site, source: str = DEMO) -> None:
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    content.import_content(site, None, PLAN, source, "sg")


def test_import_show_export_round_trip(site: Site) -> None:
    with_content(site)
    stored = content.get_content(site, None, PLAN)
    assert stored == load_toml(DEMO)
    assert [(g.key, g.weight_pct) for g in stored.sub_goals] == [  # type: ignore[union-attr]
        ("housing", 60), ("jobs", 20), ("competence", 20)]  # seed: 60 / 20 / 20
    survey = stored.measure("housing-survey")  # type: ignore[union-attr]
    assert survey is not None and survey.budget == {2025: 600_000, 2026: 900_000}
    assert survey.start == date(2025, 9, 1) and survey.end == date(2026, 6, 30)
    assert load_toml(content.export_toml(site, None, PLAN)) == stored


@pytest.mark.parametrize(("change", "field", "message"), [
    ("budget = { 2025 = 600_000.5, 2026 = 900_000 }", "measures[housing-survey].budget.2025",
     "Tiltak «housing-survey», 2025: beløpet 600000.5 er ikkje heile kroner (skriv eit heiltal utan øre)."),
    ("budget = { 2025 = -600_000, 2026 = 900_000 }", "measures[housing-survey].budget.2025",
     "Tiltak «housing-survey», 2025: beløpet -600000 er negativt; beløp kan ikkje vere under 0."),
    ('budget = { 2025 = "600 000", 2026 = 900_000 }', "measures[housing-survey].budget.2025",
     "Tiltak «housing-survey», 2025: beløpet '600 000' er ikkje heile kroner (skriv eit heiltal utan øre)."),
])
def test_amounts_are_non_negative_whole_nok(site: Site, change: str, field: str, message: str) -> None:
    services.create_plan(site, None, PLAN, "H", PROPOSAL)
    before = snapshot(site.engine)
    bad = DEMO.replace("budget = { 2025 = 600_000, 2026 = 900_000 }", change)
    with pytest.raises(InputError) as err:
        content.import_content(site, None, PLAN, bad)
    assert (err.value.field, err.value.problem) == (field, message)
    assert snapshot(site.engine) == before


def test_budget_year_amount_names_the_year() -> None:
    with pytest.raises(InputError) as err:
        load_toml(DEMO.replace("measure_funds = 18_000_000", "measure_funds = -1"))
    assert err.value.problem == ("Budsjettår 2025, statlege tiltaksmidlar: beløpet -1 er negativt; "
                                 "beløp kan ikkje vere under 0.")


def test_every_measure_belongs_to_a_sub_goal() -> None:
    bad = DEMO.replace('sub_goal = "jobs"', 'sub_goal = "tourism"')
    with pytest.raises(InputError) as err:
        load_toml(bad)
    assert err.value.field == "measures[jobs-network].sub_goal"
    assert err.value.problem == ("Tiltak «jobs-network» høyrer til delmålet «tourism», som ikkje finst i "
                                 "planen (delmål: housing, jobs, competence).")
    c = load_toml(DEMO)
    orphan = replace(c, measures=(*c.measures, replace(c.measures[0], key="x", sub_goal="tourism")))
    assert [p.message for p in check_content(orphan).errors] == [
        "Tiltak «x» høyrer til delmålet «tourism», som ikkje finst i planen "
        "(delmål: housing, jobs, competence)."]


def test_weight_deviation_is_a_warning_with_its_tolerance() -> None:
    c = load_toml(DEMO)
    result = check_content(c)
    assert result.errors == []
    assert [p.message for p in result.warnings] == [
        "Delmål «housing»: 65,3 % av tiltaksmidlane mot ei vekt på 60 % (avvik +5,3 prosentpoeng, "
        "toleranse 5).",
        "Delmål «jobs»: 12,2 % av tiltaksmidlane mot ei vekt på 20 % (avvik −7,8 prosentpoeng, "
        "toleranse 5).",
    ]
    assert check_content(replace(c, weight_tolerance_pct=8)).warnings == []
    assert [p.message for p in check_content(c, lang="en").warnings][1] == (
        "Sub-goal 'jobs': 12.2 % of the measure funds against a weight of 20 % (deviation −7.8 "
        "percentage points, tolerance 5).")


def test_weights_must_add_up_to_100() -> None:
    c = load_toml(DEMO.replace("weight_pct = 60", "weight_pct = 50"))
    assert [p.message for p in check_content(c).errors] == [
        "Vektene til delmåla er til saman 90 %, ikkje 100 %."]


def _money(years: dict[int, tuple[int, bool]], allocated: dict[int, int], spent: dict[int, int]
           ) -> PlanContent:
    m = MeasureContent("m", "g", "M", date(2025, 1, 1), "state_measure_funds", "ongoing",
                       budget=allocated, spent=spent)
    from bvflow.contentmodel import SubGoalContent
    return PlanContent(2025, 2028, (SubGoalContent("g", "G", 100),), (m,),
                       tuple(BudgetYearContent(y, 0, g, closed) for y, (g, closed) in years.items()))


def test_carry_over_2025_to_2028() -> None:
    """18 mill. in 2025; 2025 closed with 3 mill. spent of 5 allocated: 15 mill.
    go on to 2026; 2026 plans 6, 2027 plans 7, 2028 the 2 left."""
    c = _money({2025: (18_000_000, True), 2026: (0, False), 2027: (0, False), 2028: (0, False)},
               {2025: 5_000_000, 2026: 6_000_000, 2027: 7_000_000, 2028: 2_000_000},
               {2025: 3_000_000, 2026: 1_000_000})
    rows = [(r.year, r.carried_in, r.available, r.allocated, r.spent, r.used, r.carried_out)
            for r in ledger(c)]
    assert rows == [
        (2025, 0, 18_000_000, 5_000_000, 3_000_000, 3_000_000, 15_000_000),
        (2026, 15_000_000, 15_000_000, 6_000_000, 1_000_000, 6_000_000, 9_000_000),
        (2027, 9_000_000, 9_000_000, 7_000_000, 0, 7_000_000, 2_000_000),
        (2028, 2_000_000, 2_000_000, 2_000_000, 0, 2_000_000, 0),
    ]
    assert check_content(c).errors == []
    # one krone more in 2028 than is left: refused, naming the year and the carry-over
    over = _money({2025: (18_000_000, True), 2026: (0, False), 2027: (0, False), 2028: (0, False)},
                  {2025: 5_000_000, 2026: 6_000_000, 2027: 7_000_000, 2028: 2_000_001},
                  {2025: 3_000_000, 2026: 1_000_000})
    assert [p.message for p in check_content(over).errors] == [nok(
        "Budsjettår 2028: tiltak med statlege tiltaksmidlar har 2_000_001 kr, men berre 2_000_000 kr er "
        "tilgjengeleg (0 kr løyvd i 2028 + 2_000_000 kr overført frå tidlegare år); 1 kr for mykje.")]
    # while 2025 is open, its allocation (5 mill.), not its spending, is what is used
    open_2025 = replace(c, years=(BudgetYearContent(2025, 0, 18_000_000, False), *c.years[1:]))
    assert [r.carried_out for r in ledger(open_2025)] == [13_000_000, 7_000_000, 0, -2_000_000]
    assert [p.subject for p in check_content(open_2025).errors] == ["2028"]


def test_operating_grant_is_not_carried_over() -> None:
    c = load_toml(DEMO.replace('funding = "state_measure_funds"\nstatus = "planned"\n'
                               'budget = { 2025 = 300_000, 2026 = 900_000 }',
                               'funding = "operating_grant"\nstatus = "planned"\n'
                               'budget = { 2025 = 300_000, 2026 = 2_100_000 }'))
    assert [p.message for p in check_content(c).errors] == [nok(
        "Budsjettår 2026: tiltak med driftstilskot har 2_100_000 kr, men driftstilskotet for 2026 er "
        "2_000_000 kr (driftstilskot kan ikkje overførast).")]


def test_submission_refused_over_budget_and_nothing_stored(site: Site) -> None:
    with_content(site, DEMO.replace("budget = { 2025 = 400_000, 2026 = 2_000_000, 2027 = 2_500_000 }",
                                    "budget = { 2025 = 17_000_000 }"))
    before = snapshot(site.engine)
    with pytest.raises(ContentRefused) as err:
        services.submit_plan(site, None, PLAN, "sg")
    assert err.value.problems[0].message == nok(
        "Budsjettår 2025: tiltak med statlege tiltaksmidlar har 18_400_000 kr, men berre 18_000_000 kr "
        "er tilgjengeleg (18_000_000 kr løyvd i 2025 + 0 kr overført frå tidlegare år); 400_000 kr for "
        "mykje.")
    # nothing is left for 2026 and 2027 either; each year is named once
    assert [p.subject for p in err.value.problems] == ["2025", "2026", "2027"]
    assert err.value.field == "content" and err.value.value == f"{PLAN}@1"
    assert snapshot(site.engine) == before


def approved_with_content(site: Site, clock: SimulatedClock) -> None:
    """Version 1 with the demo content, approved by everyone."""
    services.create_plan(site, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    content.import_content(site, None, PLAN, DEMO, "sg")
    from . import test_flow

    orig = test_flow.submitted
    test_flow.submitted = lambda s: services.submit_plan(s, None, PLAN, "sg")  # type: ignore[assignment]
    try:
        at_kdd(site, clock)
    finally:
        test_flow.submitted = orig
    services.decide(site, None, PLAN, "kdd", "approved", date(2025, 8, 12))
    clock.set_date(date(2025, 9, 10))


def test_revision_accounts_for_every_change(site: Site, clock: SimulatedClock) -> None:
    approved_with_content(site, clock)
    pv = services.revise_plan(site, None, PLAN, "sg", reason="Hausten 2025")
    assert content.get_content(site, None, PLAN) == content.get_content(site, None, f"{PLAN}@1")
    content.set_measure(site, None, PLAN, "housing-survey", {"budget.2026": "1 100 000", "end": "2026-09-30"})
    content.set_measure(site, None, PLAN, "jobs-network", {"status": "ended", "budget.2026": "0",
                                                          "spent.2025": "180000"})
    content.set_measure(site, None, PLAN, "jobs-startup", {
        "sub_goal": "jobs", "title": "Etablerarrettleiing", "start": "2026-01-01", "end": "2027-12-31",
        "funding": "state_measure_funds", "status": "planned", "budget.2026": "600000",
        "budget.2027": "600000"})
    before = snapshot(site.engine)
    with pytest.raises(ContentRefused) as err:
        services.submit_plan(site, None, PLAN, "sg")
    assert [p.message for p in err.value.problems] == [
        "Tiltak «housing-survey» er endra sidan versjon 1 (end, budget.2026), men manglar grunngjeving "
        "for endringa (reason).",
        "Tiltak «jobs-network» er avslutta, men manglar ei kort vurdering av kva tiltaket har bidrege til "
        "(assessment).",
    ]
    assert str(err.value).startswith(
        f"content = '{PLAN}@2': kan ikkje sendast ut før innhaldet er i orden (2 feil):\n  - Tiltak")
    assert snapshot(site.engine) == before
    cs = content.diff_versions(site, None, f"{PLAN}@1", f"{PLAN}@2")
    assert [m.key for m in cs.measures_added] == ["jobs-startup"]
    assert [(c.key, c.kind) for c in cs.measures_changed] == [("housing-survey", "changed"),
                                                              ("jobs-network", "ended")]
    assert [(c.field, c.old, c.new) for c in cs.measures_changed[0].changes] == [
        ("end", date(2026, 6, 30), date(2026, 9, 30)), ("budget.2026", 900_000, 1_100_000)]
    assert ("jobs", 2026, 900_000, 600_000) in cs.budget_by_sub_goal
    content.set_measure(site, None, PLAN, "housing-survey", {"reason": "Kartlegginga tek med fleire tomter."})
    content.set_measure(site, None, PLAN, "jobs-network", {"assessment": "25 bedrifter på tre samlingar."})
    content.set_measure(site, None, PLAN, "jobs-startup", {"reason": "ny"})  # a new measure needs none
    assert content.check(site, None, PLAN).errors == []
    services.submit_plan(site, None, PLAN, "sg")
    assert pv.number == 2
    # a measure left out of a revision is refused
    with pytest.raises(InputError, match="only a draft"):
        content.set_measure(site, None, PLAN, "jobs-startup", {"title": "X"})


def test_measure_left_out_of_a_revision_is_refused(site: Site, clock: SimulatedClock) -> None:
    approved_with_content(site, clock)
    services.revise_plan(site, None, PLAN, "sg")
    c = content.get_content(site, None, PLAN)
    assert c is not None
    content.import_content(site, None, PLAN, dump_toml(replace(c, measures=c.measures[1:])))
    assert [p.message for p in content.check(site, None, PLAN).errors] == [
        "Tiltak «housing-survey» frå versjon 1 manglar: behald det med status = \"ended\" og ei vurdering "
        "av kva det har bidrege til."]


def test_content_cli_import_check_diff_json(site: Site, clock: SimulatedClock, tmp_path: Path) -> None:
    approved_with_content(site, clock)
    services.revise_plan(site, None, PLAN, "sg")
    cfg = str(site.config.path)
    runner = CliRunner()
    r = runner.invoke(app, ["content", "set", PLAN, "jobs-network", "status=ended", "--config", cfg])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["content", "check", PLAN, "--config", cfg])
    assert r.exit_code == 2
    assert "feil: Tiltak «jobs-network» er avslutta, men manglar ei kort vurdering" in r.output
    r = runner.invoke(app, ["content", "diff", f"{PLAN}@1", f"{PLAN}@2", "--json", "--config", cfg])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["ended"] == [{"key": "jobs-network", "title": "Næringsnettverk for Vest-Telemark (eksempel)",
                              "reason": "", "assessment": "",
                              "changes": [{"field": "status", "old": "planned", "new": "ended"}]}]
    assert data["new"] == [] and data["changed"] == []
    r = runner.invoke(app, ["content", "diff", f"{PLAN}@1", PLAN, "--config", cfg])
    assert "Avslutta tiltak:\n  × jobs-network" in r.output and "vurdering: MANGLAR" in r.output
    out = tmp_path / "c.toml"
    r = runner.invoke(app, ["content", "export", PLAN, "-o", str(out), "--config", cfg])
    assert r.exit_code == 0 and load_toml(out.read_text()) == content.get_content(site, None, PLAN)
    r = runner.invoke(app, ["content", "set", PLAN, "jobs-network", "budget.2026=1.5", "--config", cfg])
    assert r.exit_code == 2
    assert "beløpet '1.5' er ikkje heile kroner" in r.output


def test_ending_a_measure_does_not_hide_changes_and_taking_it_up_again_needs_a_reason() -> None:
    """Found by a tester: ending a measure while changing its plan, and taking
    an ended measure up again, both slipped through the revision account."""
    from dataclasses import replace

    from bvflow.contentchecks import check_content
    from bvflow.contentmodel import load_toml

    from .conftest import REPO

    old = load_toml((REPO / "demo" / "content" / "handlingsplan-2025.toml").read_text("utf-8"))
    m = old.measures[0]
    rest = tuple(replace(x, reason="") for x in old.measures[1:])
    ended_and_changed = replace(m, status="ended", assessment="Ferdig kartlagt.", title="Heilt anna",
                                budget={y: a * 3 for y, a in m.budget.items()}, reason="")
    errors = check_content(replace(old, measures=(ended_and_changed,) + rest), old, 1).errors
    assert [(e.code, e.subject) for e in errors] == [("missing_reason", m.key)]
    assert "title" in errors[0].message and "budget" in errors[0].message
    was_ended = replace(m, status="ended", assessment="Ferdig kartlagt.")
    ended = replace(old, measures=(was_ended,) + rest)
    again = replace(ended, measures=(replace(was_ended, status="ongoing", assessment=""),) + rest)
    errors = check_content(again, ended, 2).errors
    assert [(e.code, e.subject) for e in errors] == [("missing_reason", m.key)]
    assert "status" in errors[0].message
    fixed = replace(again, measures=(replace(again.measures[0], reason="Treng ei ny runde."),) + rest)
    assert check_content(fixed, ended, 2).errors == []


def test_values_a_tester_used_to_break_the_content_are_refused() -> None:
    """Control characters decoded from TOML escapes, amounts beyond any budget
    (and beyond a 64-bit column), years outside 2000–2099: refused, naming the field."""
    import pytest

    from bvflow.contentmodel import load_toml
    from bvflow.errors import InputError

    from .conftest import REPO

    base = (REPO / "demo" / "content" / "handlingsplan-2025.toml").read_text("utf-8")
    cases = [
        (base.replace('title = "Fleire eigna bustader i Vest-Telemark"',
                      'title = "Fleire \\u001b[31mbustader\\u0007"'), "sub_goals[housing].title"),
        (base.replace("first_year = 2025", "first_year = 99999999999999999999"), "first_year"),
        (base.replace("last_year = 2028", "last_year = 1900"), "last_year"),
        (base.replace("measure_funds = 18_000_000", "measure_funds = 99999999999999999999", 1),
         "budget_years[2025].measure_funds"),
    ]
    for source, field in cases:
        with pytest.raises(InputError) as err:
            load_toml(source)
        assert err.value.field == field, (field, err.value)
