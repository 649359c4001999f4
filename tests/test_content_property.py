"""Property: applying the change set of two contents to the old one gives the new one."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bvflow.contentdiff import apply_changes, diff_content
from bvflow.contentmodel import (
    FUNDING,
    STATUSES,
    BudgetYearContent,
    MeasureContent,
    PlanContent,
    SubGoalContent,
    dump_toml,
    load_toml,
)

KEYS = st.sampled_from(["a", "b", "c", "d", "e", "f"])
YEARS = st.integers(2024, 2029)
AMOUNT = st.integers(1, 5_000_000)
TEXT = st.sampled_from(["", "Ny", "Endra tekst", "Vurdering: godt"])


@st.composite
def measures(draw: st.DrawFn, key: str, goals: list[str]) -> MeasureContent:
    start = draw(st.dates(date(2024, 1, 1), date(2027, 12, 31)))
    end = draw(st.one_of(st.none(), st.dates(start, date(2029, 12, 31))))
    return MeasureContent(
        key=key, sub_goal=draw(st.sampled_from(goals)), title=draw(st.sampled_from(["T1", "T2", "T3"])),
        start=start, end=end, funding=draw(st.sampled_from(FUNDING)), status=draw(st.sampled_from(STATUSES)),
        description=draw(TEXT), responsible=draw(st.sampled_from(["", "Seljord kommune", "NUS"])),
        budget=dict(sorted(draw(st.dictionaries(YEARS, AMOUNT, max_size=3)).items())),
        spent=dict(sorted(draw(st.dictionaries(YEARS, AMOUNT, max_size=2)).items())),
        reason=draw(TEXT), assessment=draw(TEXT))


@st.composite
def contents(draw: st.DrawFn) -> PlanContent:
    goal_keys = draw(st.lists(st.sampled_from(["housing", "jobs", "competence", "culture"]),
                              min_size=1, max_size=4, unique=True))
    goals = tuple(SubGoalContent(k, draw(st.sampled_from(["G1", "G2"])), draw(st.integers(0, 100)))
                  for k in goal_keys)
    keys = draw(st.lists(KEYS, max_size=5, unique=True))
    ms = tuple(draw(measures(k, goal_keys)) for k in keys)
    years = tuple(BudgetYearContent(y, draw(AMOUNT), draw(AMOUNT), draw(st.booleans()))
                  for y in sorted(draw(st.sets(YEARS, max_size=4))))
    return PlanContent(2025, draw(st.integers(2025, 2030)), goals, ms, years, draw(TEXT),
                       draw(st.integers(0, 20)))


@settings(max_examples=300, deadline=None)
@given(contents(), contents())
def test_applying_the_diff_to_the_old_content_gives_the_new(old: PlanContent, new: PlanContent) -> None:
    cs = diff_content(old, new)
    assert apply_changes(old, cs) == new
    assert cs.empty == (old == new)


@settings(max_examples=100, deadline=None)
@given(contents())
def test_the_file_round_trips(c: PlanContent) -> None:
    assert load_toml(dump_toml(c)) == c
