"""KS Fiks import/export of resolutions and meeting calendars, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar, Event
from jsonschema import Draft202012Validator
from sqlmodel import Session, col, select

from bvflow import fiks, queries, services
from bvflow.clock import SimulatedClock
from bvflow.errors import InputError
from bvflow.models import AuditRecord, Resolution
from bvflow.site import Site

from .conftest import DEADLINES, PROPOSAL, REPO, make_site_dir, snapshot

PLAN = "handlingsplan-2025"
DEMO = REPO / "demo" / "fiks" / "vedtak-kviteseid-kommunestyre.json"

#: committee ids and names per (party, stage), written into a copy of vest-telemark.toml
MAPPING = {
    ("seljord", "formannskap"): (["SEL-FSK"], ["Formannskapet"]),
    ("seljord", "kommunestyre"): (["SEL-KST"], ["Kommunestyret"]),
    ("kviteseid", "formannskap"): (["KVI-FSK"], ["Formannskapet i Kviteseid"]),
    ("kviteseid", "kommunestyre"): (["KVI-KST"], ["Kommunestyret i Kviteseid"]),
    ("nissedal", "formannskap"): (["4030-FS"], ["Formannskapet i Nissedal"]),
    ("nissedal", "kommunestyre"): (["4030-KS"], ["Kommunestyret i Nissedal"]),
    ("fyresdal", "formannskap"): (["FYR-FS"], ["Formannskap Fyresdal"]),
    ("fyresdal", "kommunestyre"): (["FYR-KS"], ["Kommunestyre Fyresdal"]),
    ("tokke", "formannskap"): (["TOK-FSK"], ["Formannskapet i Tokke"]),
    ("tokke", "kommunestyre"): (["TOK-KST"], ["Kommunestyret i Tokke"]),
    ("vinje", "formannskap"): (["VIN-FSK"], ["Formannskapet i Vinje"]),
    ("vinje", "kommunestyre"): (["VIN-KST"], ["Kommunestyret i Vinje"]),
    ("telemark", "fylkeskommune"): (["TFK-FU"], ["Fylkesutvalet"]),
}


def mapped_toml() -> str:
    """vest-telemark.toml with the committee mapping added under each body."""
    text = (REPO / "partnerships" / "vest-telemark.toml").read_text(encoding="utf-8")
    party = None
    out = []
    for line in text.splitlines():
        if line.startswith("fiks_utvalg_"):
            continue  # the shipped example ids give way to this test's own mapping
        m = re.match(r'key = "([a-z-]+)"', line)
        if m:
            party = m.group(1)
        out.append(line)
        b = re.match(r"\[parties\.bodies\.([a-z]+)\]", line)
        if b and (party, b.group(1)) in MAPPING:
            ids, names = MAPPING[(party, b.group(1))]
            out.append(f"fiks_utvalg_ids = {json.dumps(ids)}")
            out.append(f"fiks_utvalg_names = {json.dumps(names, ensure_ascii=False)}")
    return "\n".join(out) + "\n"


@pytest.fixture
def fsite(tmp_path: Path, db_url: str, clock: SimulatedClock):
    """The Vest-Telemark site with the Fiks committee mapping; plan submitted 2 May 2025."""
    d = make_site_dir(tmp_path, db_url, {"vest-telemark.toml": mapped_toml()})
    s = Site.open(d / "config.toml", clock)
    services.create_plan(s, None, PLAN, "Handlingsplan 2025", PROPOSAL, DEADLINES, "sg")
    services.submit_plan(s, None, PLAN, "sg")
    yield s
    s.engine.dispose()


def vedtak(utvalg_id: str, navn: str, day: str, number: int, text: str, final: bool = True,
           fmt: str = "text/plain") -> dict[str, Any]:
    return {
        "utvalgId": utvalg_id, "utvalgNavn": navn, "moeteId": f"{utvalg_id}-{day}",
        "moetedato": f"{day}T18:00:00+02:00", "erEndeligVedtak": final,
        "sak": {
            "referanseEksternNoekkel": {"fagsystem": "Elements", "noekkel": f"{utvalg_id}/{number}"},
            "fagsystemetsSaksnummer": {"saksaar": 2025, "sakssekvensnummer": 1000 + number},
            "utvalgetsSaksnummer": {"saksaar": 2025, "sakssekvensnummer": number},
            "tittel": "Handlingsplan 2025 – Bygdevekstavtala", "vedtaksdato": day,
            "saksansvarlig": "Politisk sekretariat",
            "vedtak": {"tekstInnhold": text, "tekstFormat": {"kodeverdi": fmt}},
        },
    }


def resolutions(site: Site) -> list[Resolution]:
    with Session(site.engine) as s:
        return list(s.exec(select(Resolution).order_by(col(Resolution.id))))


def assert_schema_valid(message: dict[str, Any], schema: str = fiks.VEDTAK_SCHEMA) -> None:
    reg = fiks._registry()
    errors = list(Draft202012Validator(reg[schema].contents, registry=reg).iter_errors(message))
    assert errors == []


# -- resolutions -----------------------------------------------------------------------

def test_demo_message_is_schema_valid() -> None:
    message = json.loads(DEMO.read_text(encoding="utf-8"))
    assert_schema_valid(message)
    assert fiks.validate(message, fiks.VEDTAK_SCHEMA, "SendVedtakFraUtvalg") == []
    assert message["utvalgId"] == "KVI-KST"
    assert message["sak"]["vedtak"]["tekstInnhold"].strip() == PROPOSAL.strip()


def test_six_municipalities_recorded_with_their_verdicts(fsite: Site, clock: SimulatedClock) -> None:
    clock.set_date(date(2025, 6, 27))
    html = ("<ol><li><p>Vedlagde utkast til handlingsplan for 2025 i Bygdevekstavtala vert "
            "vedteken.</p></li>\n<li><p>Styringsgruppa i Bygdevekstprosjektet f&aring;r fullmakt "
            "til &aring; gjere ikkje-prinsipielle endringar i teksten dersom handlingsplanen ikkje "
            "blir godkjent av KDD.</p></li></ol>")
    messages = [
        vedtak("SEL-KST", "Kommunestyret", "2025-06-05", 31, PROPOSAL),
        json.loads(DEMO.read_text(encoding="utf-8")),
        vedtak("4030-KS", "Kommunestyret i Nissedal", "2025-06-12", 44,
               PROPOSAL.replace("vert vedteken", "blir vedtatt")),
        vedtak("FYR-KS", "Kommunestyre Fyresdal", "2025-06-19", 27, html, fmt="text/html"),
        vedtak("TOK-KST", "Kommunestyret i Tokke", "2025-06-26", 19,
               PROPOSAL.replace("Vedlagde", "vedlagde")),
        vedtak("VIN-FSK", "Formannskapet i Vinje", "2025-05-20", 12, PROPOSAL, final=False),
        vedtak("VIN-KST", "Kommunestyret i Vinje", "2025-06-19", 40, PROPOSAL),
    ]
    results = [fiks.import_vedtak(fsite, None, json.dumps(m, ensure_ascii=False).encode(), f"m{i}.json")
               for i, m in enumerate(messages)]
    got = [(r.party, r.stage, r.verdict, r.case_state, r.already_imported, r.warnings) for r in results]
    assert got == [
        ("seljord", "kommunestyre", "identical", "passed", False, []),
        ("kviteseid", "kommunestyre", "identical", "passed", False, []),
        ("nissedal", "kommunestyre", "different", "deviating", False, []),
        ("fyresdal", "kommunestyre", "identical", "passed", False, []),
        ("tokke", "kommunestyre", "minor", "deviating", False, []),
        ("vinje", "formannskap", "identical", "kommunestyre", False, []),
        ("vinje", "kommunestyre", "identical", "passed", False, []),
    ]
    assert {(r.plan, r.version) for r in results} == {(PLAN, 1)}
    stored = {(r.stage, r.case_number, r.meeting_date, r.outcome) for r in resolutions(fsite)}
    assert ("kommunestyre", "PS 2025/58", date(2025, 6, 12), "passed") in stored
    assert ("formannskap", "PS 2025/12", date(2025, 5, 20), "passed") in stored
    fyresdal = next(r for r in resolutions(fsite) if r.case_number == "PS 2025/27")
    assert fyresdal.text.startswith("1. Vedlagde utkast") and "<" not in fyresdal.text
    assert all(r.source.startswith("fiks:") and r.import_key for r in resolutions(fsite))
    # the audit trail records the source of every imported record, like a manual one
    with Session(fsite.engine) as s:
        recs = s.exec(select(AuditRecord).where(AuditRecord.event == "record")).all()
    assert len(recs) == 7
    assert all(a.details["source"].startswith("fiks:") and a.actor.startswith("fiks:m") for a in recs)
    (st,) = queries.status(fsite, None, PLAN)
    assert st.state == "in_municipalities"  # Nissedal and Tokke deviate


def test_variations_are_accepted_with_warnings(fsite: Site, clock: SimulatedClock) -> None:
    clock.set_date(date(2025, 6, 20))
    m = vedtak("KVI-FSK", "Formannskapet i Kviteseid", "2025-05-20", 22, PROPOSAL, final=False)
    older = {"møteId": m.pop("moeteId"), "møtedato": "2025-05-20", "erEndelegVedtak": "false"}
    m.pop("moetedato"), m.pop("erEndeligVedtak")
    m.update(older)
    m["sak"]["utvalgetsSaksnummer"] = {"saksår": 2025, "sakssekvensnummer": 22}
    r = fiks.import_vedtak(fsite, None, m)
    assert (r.party, r.stage, r.verdict, r.case_state) == ("kviteseid", "formannskap", "identical",
                                                           "kommunestyre")
    text = "\n".join(r.warnings)
    for name in ("møteId", "møtedato", "erEndelegVedtak", "saksår"):
        assert f"{name}: read as" in text
    assert "moetedato = '2025-05-20': a date without time" in text
    assert "erEndeligVedtak = 'false': a string" in text
    (res,) = resolutions(fsite)
    assert (res.meeting_date, res.case_number) == (date(2025, 5, 20), "PS 2025/22")
    # a date-time in UTC is read as the Oslo date (late evening UTC = next day in Oslo)
    m2 = vedtak("KVI-KST", "x", "2025-06-12", 58, PROPOSAL)
    m2["moetedato"] = "2025-06-11T22:30:00Z"
    r = fiks.import_vedtak(fsite, None, m2)
    assert resolutions(fsite)[-1].meeting_date == date(2025, 6, 12) and r.warnings == []


def _refused(site: Site, data: Any, field: str, *words: str) -> InputError:
    before = snapshot(site.engine)
    with pytest.raises(InputError) as err:
        fiks.import_vedtak(site, None, data)
    assert err.value.field == field, str(err.value)
    for w in words:
        assert w in str(err.value)
    assert snapshot(site.engine) == before
    return err.value


def test_what_cannot_be_mapped_is_refused_and_nothing_stored(fsite: Site, clock: SimulatedClock) -> None:
    clock.set_date(date(2025, 6, 20))
    ok = vedtak("SEL-KST", "Kommunestyret", "2025-06-05", 31, PROPOSAL)
    unknown = copy.deepcopy(ok) | {"utvalgId": "SEL-HOV", "utvalgNavn": "Hovudutval for teknisk"}
    _refused(fsite, unknown, "utvalgId", "'SEL-HOV'", "Hovudutval for teknisk", "fiks_utvalg_ids")
    no_text = copy.deepcopy(ok)
    del no_text["sak"]["vedtak"]
    _refused(fsite, no_text, "sak.vedtak.tekstInnhold", "no resolution text")
    blank = copy.deepcopy(ok)
    blank["sak"]["vedtak"]["tekstInnhold"] = "<p> </p>"
    blank["sak"]["vedtak"]["tekstFormat"] = {"kodeverdi": "HTML"}
    _refused(fsite, blank, "sak.vedtak.tekstInnhold", "empty")
    _refused(fsite, b'{"utvalgId": "SEL-KST", "sak": {', "message", "not valid JSON")
    _refused(fsite, "[1, 2]", "message", "must be a JSON object")
    missing = copy.deepcopy(ok)
    del missing["sak"]["saksansvarlig"]
    _refused(fsite, missing, "sak.saksansvarlig", "required")
    bad_type = copy.deepcopy(ok)
    bad_type["sak"]["utvalgetsSaksnummer"]["saksaar"] = "tjuetjuefem"
    _refused(fsite, bad_type, "sak.utvalgetsSaksnummer.saksaar", "tjuetjuefem")
    bad_date = copy.deepcopy(ok) | {"moetedato": "5. juni 2025"}
    _refused(fsite, bad_date, "moetedato", "date-time")
    recommendation = copy.deepcopy(ok) | {"erEndeligVedtak": False}
    _refused(fsite, recommendation, "erEndeligVedtak", "recommendation", "kommunestyre")
    county = copy.deepcopy(ok) | {"utvalgId": "TFK-FU", "utvalgNavn": "Fylkesutvalet"}
    _refused(fsite, county, "utvalgId", "approval")
    # the record's own checks apply as to a secretary: a meeting in the future
    future = vedtak("SEL-KST", "Kommunestyret", "2025-09-18", 31, PROPOSAL)
    _refused(fsite, future, "meeting_date", "future")
    # once Seljord's council has passed the plan, no plan version awaits it any more
    fiks.import_vedtak(fsite, None, ok)
    again = vedtak("SEL-KST", "Kommunestyret", "2025-06-19", 35, PROPOSAL)
    _refused(fsite, again, "utvalgId", "no plan version is awaiting seljord's kommunestyre",
             f"{PLAN}@1 (in_municipalities; seljord: passed)")


def test_the_same_message_is_recorded_once(fsite: Site, clock: SimulatedClock) -> None:
    clock.set_date(date(2025, 6, 20))
    raw = DEMO.read_bytes()
    first = fiks.import_vedtak(fsite, None, raw, "vedtak.json")
    assert not first.already_imported
    before = snapshot(fsite.engine)
    for data in (raw, json.loads(raw), DEMO):  # bytes, parsed, file: the same message
        again = fiks.import_vedtak(fsite, None, data)
        assert again.already_imported
        assert (again.plan, again.version, again.party, again.stage, again.verdict, again.case_state) == (
            PLAN, 1, "kviteseid", "kommunestyre", "identical", "passed")
        assert "already imported" in again.warnings[-1]
    assert snapshot(fsite.engine) == before


def test_export_is_schema_valid_and_reimports_to_the_same_values(fsite: Site,
                                                                  clock: SimulatedClock) -> None:
    clock.set_date(date(2025, 5, 2))
    services.create_plan(fsite, None, "kopi", "Handlingsplan 2025 (kopi)", PROPOSAL, DEADLINES, "sg")
    services.submit_plan(fsite, None, "kopi", "sg")
    clock.set_date(date(2025, 6, 20))
    # two plan versions await Kviteseid's council: the import names them and stores nothing
    err = _refused(fsite, DEMO.read_bytes(), "plan", f"{PLAN}@1", "kopi@1")
    assert "several plan versions" in str(err)
    r = fiks.import_vedtak(fsite, None, DEMO.read_bytes(), plan_ref=PLAN)
    assert (r.plan, r.verdict, r.case_state) == (PLAN, "identical", "passed")

    out = fiks.export_vedtak(fsite, None, PLAN, "kviteseid")
    assert_schema_valid(out)
    assert (out["utvalgId"], out["moeteId"], out["moetedato"], out["erEndeligVedtak"]) == (
        "KVI-KST", "KVI-KST-2025-06-12", "2025-06-12T12:00:00+02:00", True)
    assert out["sak"]["utvalgetsSaksnummer"] == {"saksaar": 2025, "sakssekvensnummer": 58}
    r2 = fiks.import_vedtak(fsite, None, json.dumps(out).encode())  # only "kopi" awaits it now
    assert (r2.plan, r2.verdict, r2.case_state, r2.warnings) == ("kopi", "identical", "passed", [])
    a, b = resolutions(fsite)

    def values(x: Resolution) -> tuple[object, ...]:
        return (x.body_id, x.stage, x.meeting_date, x.case_number, x.outcome, x.text, x.verdict)

    assert values(a) == values(b)
    assert fiks.export_vedtak(fsite, None, "kopi", "kviteseid")["sak"]["vedtak"] == out["sak"]["vedtak"]


def test_export_refuses_what_it_cannot_write(fsite: Site, clock: SimulatedClock) -> None:
    with pytest.raises(InputError, match="no passed resolution"):
        fiks.export_vedtak(fsite, None, PLAN, "seljord")
    with pytest.raises(InputError, match="passes no resolution"):
        fiks.export_vedtak(fsite, None, PLAN, "telemark")
    clock.set_date(date(2025, 6, 20))
    services.record_resolution(fsite, None, PLAN, "seljord", "kommunestyre", date(2025, 6, 5),
                               "passed", as_proposed=True, case_number="sak 31")
    with pytest.raises(InputError) as err:
        fiks.export_vedtak(fsite, None, PLAN, "seljord")
    assert err.value.field == "case_number"


# -- calendars -----------------------------------------------------------------------------------

def seljord_calendar(moete: list[dict[str, str]]) -> dict[str, Any]:
    return {"utvalg": [
        {"utvalgId": "SEL-FSK", "utvalgNavn": "Formannskapet", "moete": moete},
        {"utvalgId": "X-17", "utvalgNavn": "Kommunestyret", "moete": [
            {"moeteid": "KS-1", "moetedato": "2025-09-18T18:00:00+02:00", "tittel": "Kommunestyret"}]},
    ]}


def calendar_of(site: Site, party: str, stage: str) -> list[tuple[str, str]]:
    return [(m["date"], m["source"]) for m in queries.meetings(site, None, party) if m["stage"] == stage]


def test_moeteplan_reimport_moves_and_cancels(fsite: Site, clock: SimulatedClock) -> None:
    moete = [{"moeteid": "FS-1", "moetedato": "2025-08-28T09:00:00+02:00"},
             {"moeteid": "FS-2", "moetedato": "2025-09-10T09:00:00+02:00"},
             {"moeteid": "FS-3", "moetedato": "2025-10-01"}]
    r = fiks.import_moeteplan(fsite, None, json.dumps(seljord_calendar(moete)))
    # 28 Aug and 18 Sep were in the configured calendar already: taken over, not duplicated
    assert (r.added, r.moved, r.removed, r.unchanged) == (2, 0, 0, 2)
    assert any("date without time" in w for w in r.warnings)
    assert any("X-17" in w and "mapped by" in w for w in r.warnings)
    assert calendar_of(fsite, "seljord", "formannskap") == [
        ("2025-05-15", "config"), ("2025-08-28", "fiks"), ("2025-09-10", "fiks"),
        ("2025-10-01", "fiks"), ("2025-10-23", "config")]
    same = fiks.import_moeteplan(fsite, None, seljord_calendar(moete))
    assert (same.added, same.moved, same.removed, same.unchanged) == (0, 0, 0, 4)

    moved = [moete[0], {"moeteid": "FS-2", "moetedato": "2025-09-11T09:00:00+02:00"}]  # FS-3 cancelled
    r = fiks.import_moeteplan(fsite, None, seljord_calendar(moved))
    assert (r.added, r.moved, r.removed, r.unchanged) == (0, 1, 1, 2)
    assert calendar_of(fsite, "seljord", "formannskap") == [
        ("2025-05-15", "config"), ("2025-08-28", "fiks"), ("2025-09-11", "fiks"), ("2025-10-23", "config")]
    assert ("2025-09-18", "fiks") in calendar_of(fsite, "seljord", "kommunestyre")


def test_moeteplan_with_unknown_committee_is_refused(fsite: Site) -> None:
    data = seljord_calendar([{"moeteid": "FS-9", "moetedato": "2025-09-10T09:00:00+02:00"}])
    data["utvalg"].append({"utvalgId": "SEL-HOV", "utvalgNavn": "Hovudutvalet", "moete": []})
    before = snapshot(fsite.engine)
    with pytest.raises(InputError) as err:
        fiks.import_moeteplan(fsite, None, data)
    assert (err.value.field, err.value.value) == ("utvalg[2].utvalgId", "SEL-HOV")
    no_date = seljord_calendar([{"moeteid": "FS-9"}])
    with pytest.raises(InputError) as err:
        fiks.import_moeteplan(fsite, None, no_date)
    assert err.value.field == "utvalg[0].moete[0].moetedato"
    assert snapshot(fsite.engine) == before
    r = fiks.import_moeteplan(fsite, None, data, skip_unknown=True)
    assert r.added == 1 and any("skipped" in w and "SEL-HOV" in w for w in r.warnings)


def ics(events: list[tuple[str, object, str]]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Kviteseid kommune//Møteplan//NN")
    cal.add("version", "2.0")
    for uid, start, status in events:
        ev = Event()
        ev.add("uid", uid)
        ev.add("dtstamp", datetime(2025, 5, 1, tzinfo=UTC))
        ev.add("dtstart", start)
        ev.add("summary", "Kommunestyret i Kviteseid")
        if status:
            ev.add("status", status)
        cal.add_component(ev)
    return cal.to_ical()


def test_ical_reimport_moves_and_cancels(fsite: Site) -> None:
    first = ics([("k1@kviteseid", date(2025, 9, 25), ""),
                 ("k2@kviteseid", datetime(2025, 10, 16, 16, 0, tzinfo=UTC), ""),
                 ("k3@kviteseid", date(2025, 12, 11), "")])
    r = fiks.import_ical(fsite, None, first, "kviteseid", "kommunestyre")
    assert (r.added, r.moved, r.removed, r.unchanged) == (2, 0, 0, 1)
    assert fiks.import_ical(fsite, None, first, "kviteseid", "kommunestyre").unchanged == 3
    second = ics([("k1@kviteseid", date(2025, 9, 25), ""),
                  ("k2@kviteseid", datetime(2025, 10, 23, 16, 0, tzinfo=UTC), ""),
                  ("k3@kviteseid", date(2025, 12, 11), "CANCELLED")])
    r = fiks.import_ical(fsite, None, second, "kviteseid", "kommunestyre")
    assert (r.added, r.moved, r.removed, r.unchanged) == (0, 1, 1, 1)
    assert calendar_of(fsite, "kviteseid", "kommunestyre") == [
        ("2025-06-12", "config"), ("2025-09-25", "ical"), ("2025-10-23", "ical"), ("2025-11-20", "config")]
    before = snapshot(fsite.engine)
    with pytest.raises(InputError) as err:
        fiks.import_ical(fsite, None, b"BEGIN:VCALENDAR\r\nthis is no calendar", "kviteseid", "kommunestyre")
    assert err.value.field == "calendar"
    with pytest.raises(InputError) as err:
        fiks.import_ical(fsite, None, first, "kviteseid", "bystyre")
    assert err.value.field == "body"
    assert snapshot(fsite.engine) == before


@pytest.mark.parametrize("how", ["case_number", "external_key"])
def test_a_registered_case_picks_the_plan_version(fsite: Site, clock: SimulatedClock, how: str) -> None:
    """With two versions awaiting the body, the one whose case the secretary
    registered (case number or external key from the message) is chosen."""
    clock.set_date(date(2025, 5, 2))
    services.create_plan(fsite, None, "kopi", "Kopi", PROPOSAL, DEADLINES, "sg")
    services.submit_plan(fsite, None, "kopi", "sg")
    msg = json.loads(DEMO.read_bytes())
    if how == "case_number":
        services.register_case(fsite, None, "kopi", "kviteseid", case_number="PS 25/58")
    else:
        msg["sak"]["referanseEksternNoekkel"] = {"fagsystem": "Elements", "noekkel": "KVI-2025-000123"}
        services.register_case(fsite, None, "kopi", "kviteseid", external_key="KVI-2025-000123")
    with pytest.raises(InputError) as err:  # the same key cannot name two versions
        services.register_case(fsite, None, PLAN, "kviteseid", **{how: "PS 25/58" if how == "case_number"
                                                                   else "KVI-2025-000123"})
    assert err.value.field == how
    clock.set_date(date(2025, 6, 20))
    r = fiks.import_vedtak(fsite, None, json.dumps(msg).encode())
    assert (r.plan, r.version, r.case_state) == ("kopi", 1, "passed")
    hist = [e for e in queries.history(fsite, None, "kopi") if e.event == "register"]
    assert hist and hist[0].party == "kviteseid"
