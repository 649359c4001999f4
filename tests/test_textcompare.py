"""Tests for bvflow.textcompare (issue: identical-resolution check).

Shared cases live in ``<repo>/../shared/cases/identical-*.json`` with ``id``,
``proposal``, ``resolution`` and ``expected_verdict``; every case is one test
named by its id.
"""

from __future__ import annotations

import json
import random
import textwrap
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bvflow.textcompare import (
    MAX_TEXT_CHARS,
    VERDICTS,
    Comparison,
    Difference,
    Segment,
    compare_texts,
    normalize,
    render_diff,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = REPO_ROOT / ".." / "shared" / "cases"
CASE_FILES = sorted(CASES_DIR.glob("identical-*.json"))
#: The shared cases known when this was written; each must still be there and pass.
KNOWN_CASES = ("identical-01", "identical-02", "identical-03", "identical-04", "identical-05",
               "identical-06")


def test_every_known_shared_case_is_present() -> None:
    assert set(KNOWN_CASES) <= {p.stem for p in CASE_FILES}

SEED_PROPOSAL = (
    "1. Vedlagde utkast til handlingsplan for 2025 i Bygdevekstavtala vert vedteken.\n\n"
    "2. Styringsgruppa i Bygdevekstprosjektet får fullmakt til å gjere ikkje-prinsipielle "
    "endringar i teksten dersom handlingsplanen ikkje blir godkjent av KDD.\n"
)


@pytest.fixture
def seed() -> str:
    """The real seed proposal text (two numbered points, nynorsk)."""
    return SEED_PROPOSAL


def verdict(proposal: str, resolution: str) -> str:
    return compare_texts(proposal, resolution).verdict


def triples(comparison: Comparison) -> list[tuple[str, str, str]]:
    return [(d.kind, d.proposal, d.resolution) for d in comparison.differences]


# -- shared field cases -------------------------------------------------------


def _case_params() -> list[object]:
    if not CASE_FILES:
        return [pytest.param(None, id="no-identical-cases")]
    return [pytest.param(path, id=path.stem) for path in CASE_FILES]


@pytest.mark.parametrize("case_file", _case_params())
def test_shared_case(case_file: Path | None) -> None:
    if case_file is None:
        pytest.fail(f"no identical-*.json case files in {CASES_DIR.resolve()}")
    case = json.loads(case_file.read_text(encoding="utf-8"))
    assert case["id"] == case_file.stem
    comparison = compare_texts(case["proposal"], case["resolution"])
    assert comparison.verdict == case["expected_verdict"], case.get("why")


# -- identical: one test per rule --------------------------------------------


def test_same_text_is_identical(seed: str) -> None:
    comparison = compare_texts(seed, seed)
    assert comparison.verdict == "identical"
    assert comparison.differences == ()
    assert all(s.op == "equal" for s in comparison.segments)
    assert render_diff(comparison) == ""


def test_white_space_and_line_breaks_are_identical(seed: str) -> None:
    assert verdict(seed, seed.replace("\n", "\r\n")) == "identical"
    assert verdict(seed, seed.replace("\n", "\r")) == "identical"
    assert verdict(seed, "  " + seed.replace(" ", "  \t").replace("\n\n", "\n \n\n") + "\n\n") == (
        "identical"
    )
    # a line broken inside a point (reflowed text) is only white space
    assert verdict(seed, seed.replace("i Bygdevekstavtala", "i\nBygdevekstavtala")) == "identical"
    assert verdict(seed, seed.replace("\n\n", "\n")) == "identical"


def test_unicode_normalisation_is_identical(seed: str) -> None:
    nfd = unicodedata.normalize("NFD", seed)
    assert nfd != seed
    assert verdict(seed, nfd) == "identical"
    assert verdict(nfd, seed) == "identical"


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\u2007", "\u2009", "\u3000"])
def test_non_breaking_spaces_are_identical(seed: str, space: str) -> None:
    assert verdict(seed, seed.replace(" ", space)) == "identical"
    assert verdict(seed, seed.replace("1. ", "1." + space)) == "identical"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_zero_width_characters_vanish(seed: str, invisible: str) -> None:
    inside_word = seed.replace("Bygdevekstavtala", f"Bygde{invisible}vekst{invisible}avtala")
    assert verdict(seed, inside_word) == "identical"
    assert verdict(seed, invisible + seed.replace(" i ", f" {invisible}i{invisible} ")) == (
        "identical"
    )
    assert "Bygdevekstavtala" in normalize(inside_word).split()


def test_soft_hyphen_vanishes_inside_a_word(seed: str) -> None:
    resolution = seed.replace("handlingsplanen", "handlings\u00adplanen")
    assert verdict(seed, resolution) == "identical"
    assert "handlingsplanen" in normalize(resolution).split()


@pytest.mark.parametrize(
    "dash", ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"]
)
def test_dash_variants_are_one_class(seed: str, dash: str) -> None:
    assert verdict(seed, seed.replace("ikkje-prinsipielle", f"ikkje{dash}prinsipielle")) == (
        "identical"
    )
    assert verdict("perioden 2026–2029", f"perioden 2026{dash}2029") == "identical"
    assert verdict("perioden 2026–2029", f"perioden 2026 {dash} 2029") == "identical"


@pytest.mark.parametrize(
    ("opening", "closing"),
    [('"', '"'), ("“", "”"), ("„", "“"), ("«", "»"), ("'", "'"), ("‘", "’"), ("‚", "‘"),
     ("‹", "›"), ("`", "´")],
)
def test_quote_variants_are_one_class(opening: str, closing: str) -> None:
    proposal = "Planen «Bygdevekst 2025» vert vedteken."
    assert verdict(proposal, f"Planen {opening}Bygdevekst 2025{closing} vert vedteken.") == (
        "identical"
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [("1.", "2."), ("1)", "2)"), ("(1)", "(2)"), ("a)", "b)"), ("a.", "b."), ("(a)", "(b)"),
     ("i)", "ii)"), ("-", "-"), ("–", "–"), ("•", "•"), ("*", "*"), ("", "")],
)
def test_list_markers_are_ignored(seed: str, first: str, second: str) -> None:
    resolution = seed.replace("1. ", f"{first} ".lstrip()).replace("2. ", f"{second} ".lstrip())
    assert verdict(seed, resolution) == "identical"


def test_list_marker_style_mix_and_renumbering_are_identical() -> None:
    proposal = "Kommunestyret vedtek:\n1. Planen vert vedteken\n2. Rådmannen får fullmakt\n"
    assert verdict(proposal, "Kommunestyret vedtek:\n1) Planen vert vedteken\n2) Rådmannen "
                             "får fullmakt\n") == "identical"
    assert verdict(proposal, "Kommunestyret vedtek:\n3. Planen vert vedteken\n4. Rådmannen "
                             "får fullmakt\n") == "identical"


def test_full_stop_at_the_end_of_a_point_is_ignored(seed: str) -> None:
    without = seed.replace("vedteken.", "vedteken").replace("KDD.", "KDD")
    assert verdict(seed, without) == "identical"
    assert verdict("vert vedteken.", "vert vedteken") == "identical"
    assert verdict("«Planen vert vedteken.»", "«Planen vert vedteken»") == "identical"
    assert verdict("«Planen vert vedteken.»", "«Planen vert vedteken».") == "identical"
    assert verdict("Planen (sjå vedlegg.)", "Planen (sjå vedlegg).") == "identical"


def test_thousands_separators_are_identical() -> None:
    assert verdict("Ramma er kr 1 000 000.", "Ramma er kr 1000000.") == "identical"
    assert verdict("Ramma er kr 1\u00a0000\u202f000.", "Ramma er kr 1 000 000") == "identical"
    assert verdict("Ramma er kr 1 000 000.", "Ramma er kr 1 000 001.") == "different"


def test_empty_texts_do_not_raise() -> None:
    assert verdict("", "") == "identical"
    assert compare_texts("", "").segments == ()
    assert verdict("", "Planen vert vedteken.") == "different"
    assert verdict("Planen vert vedteken.", "") == "different"
    assert verdict(" \n\u200b", "") == "identical"
    assert normalize("") == ""


def test_normalize_is_the_identical_criterion(seed: str) -> None:
    assert normalize("1) Planen vert «vedteken».\n") == 'Planen vert " vedteken "'
    assert normalize(seed) == normalize(unicodedata.normalize("NFD", seed).replace("\n", "\r\n"))
    assert normalize("Planen vert vedteken") != normalize("planen vert vedteken")


# -- minor -------------------------------------------------------------------


def test_letter_case_is_minor(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("KDD", "kdd"))
    assert comparison.verdict == "minor"
    assert triples(comparison) == [("case", "KDD", "kdd")]
    assert comparison.differences[0].position == 29


def test_case_run_is_one_difference(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("Vedlagde utkast", "VEDLAGDE UTKAST"))
    assert comparison.verdict == "minor"
    assert triples(comparison) == [("case", "Vedlagde utkast", "VEDLAGDE UTKAST")]
    assert comparison.differences[0].position == 0


def test_comma_is_minor(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("teksten dersom", "teksten, dersom"))
    assert comparison.verdict == "minor"
    assert triples(comparison) == [("punctuation", "", ",")]
    assert comparison.differences[0].position == 22  # after "teksten"


@pytest.mark.parametrize("mark", [",", ":", ";", "!", "?", "(", ")"])
def test_other_punctuation_is_minor(mark: str) -> None:
    assert verdict("Planen vert vedteken", f"Planen {mark} vert vedteken") == "minor"


def test_full_stop_in_the_middle_of_a_point_is_minor() -> None:
    comparison = compare_texts("Planen vert vedteken. Rådmannen får fullmakt.",
                               "Planen vert vedteken Rådmannen får fullmakt.")
    assert comparison.verdict == "minor"
    assert triples(comparison) == [("punctuation", ".", "")]
    assert verdict("Planen vert vedteken. Rådmannen får fullmakt.",
                   "Planen vert vedteken, Rådmannen får fullmakt.") == "minor"


def test_hyphen_versus_space_in_a_compound_is_minor(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("ikkje-prinsipielle", "ikkje prinsipielle"))
    assert comparison.verdict == "minor"
    assert triples(comparison) == [("punctuation", "-", "")]


def test_case_and_punctuation_together_are_minor(seed: str) -> None:
    resolution = seed.replace("KDD", "«kdd»")
    comparison = compare_texts(seed, resolution)
    assert comparison.verdict == "minor"
    assert {d.kind for d in comparison.differences} == {"case", "punctuation"}


def test_punctuation_only_texts_are_minor() -> None:
    comparison = compare_texts(";", ",")
    assert comparison.verdict == "minor"
    assert triples(comparison) == [("punctuation", ";", ",")]
    assert [s.op for s in comparison.segments] == ["replace"]


# -- different ----------------------------------------------------------------


def test_added_word_is_different(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("i teksten", "i heile teksten"))
    assert comparison.verdict == "different"
    assert triples(comparison) == [("added", "", "heile")]
    assert comparison.differences[0].position == 22  # before "teksten"


def test_removed_word_is_different(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace(" av KDD", ""))
    assert comparison.verdict == "different"
    assert triples(comparison) == [("removed", "av KDD", "")]
    assert comparison.differences[0].position == 28


def test_changed_words_nynorsk_to_bokmal_is_different(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("vert vedteken", "blir vedtatt"))
    assert comparison.verdict == "different"
    assert triples(comparison) == [("changed", "vert vedteken", "blir vedtatt")]
    assert comparison.differences[0].position == 8


def test_one_letter_makes_a_different_word(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("endringar", "endringer"))
    assert comparison.verdict == "different"
    assert triples(comparison) == [("changed", "endringar", "endringer")]


def test_reordered_words_are_different(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("får fullmakt", "fullmakt får"))
    assert comparison.verdict == "different"
    assert {d.kind for d in comparison.differences} <= {"added", "removed", "changed"}
    assert comparison.differences


def test_changed_number_is_different(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("2025", "2026"))
    assert comparison.verdict == "different"
    assert triples(comparison) == [("changed", "2025", "2026")]
    assert verdict("perioden 2026–2029", "perioden 2026–2030") == "different"
    assert verdict("perioden 2026–2029", "perioden 2026-2029") == "identical"


def test_joined_compound_is_different(seed: str) -> None:
    assert verdict(seed, seed.replace("ikkje-prinsipielle", "ikkjeprinsipielle")) == "different"


def test_line_start_numbers_that_are_not_markers_still_count() -> None:
    # a date or an ordinal at the start of a line is text, not a list marker
    assert verdict("Vedtaket gjeld frå\n1. januar 2026.",
                   "Vedtaket gjeld frå\n2. januar 2026.") == "different"
    assert verdict("Planen vert vedteken.\n3. ledd gjeld ikkje.",
                   "Planen vert vedteken.\n4. ledd gjeld ikkje.") == "different"
    assert verdict("Sjå planen for\n2026. Ny sak.", "Sjå planen for\n2027. Ny sak.") == "different"


def test_a_point_is_a_line() -> None:
    # rule decision: a full stop before a line break ends a point (ignored),
    # the same full stop before a space is inside a point (punctuation)
    assert verdict("Planen vert vedteken.\nRådmannen får fullmakt.",
                   "Planen vert vedteken\nRådmannen får fullmakt") == "identical"
    comparison = compare_texts("Planen vert vedteken. Rådmannen får fullmakt.",
                               "Planen vert vedteken.\nRådmannen får fullmakt.")
    assert comparison.verdict == "minor"
    assert triples(comparison) == [("punctuation", ".", "")]


def test_marker_touching_the_text_and_unicode_bullets() -> None:
    proposal = "1. Planen vert vedteken\n2. Rådmannen får fullmakt"
    assert verdict(proposal, "1.Planen vert vedteken\n2.Rådmannen får fullmakt") == "identical"
    assert verdict(proposal, "\uf0b7 Planen vert vedteken\n\uf0b7 Rådmannen får fullmakt") == (
        "identical"
    )
    assert verdict(proposal, "1.1. Planen vert vedteken\n1.2. Rådmannen får fullmakt") == (
        "identical"
    )


# -- meaningful symbols are words ---------------------------------------------


@pytest.mark.parametrize(
    ("proposal", "resolution", "expected"),
    [
        # the tester's cases
        ("Endring: -5 mill.", "Endring: 5 mill.", ("removed", "-", "")),
        ("−5", "+5", ("changed", "−", "+")),
        ("20 %", "20 ‰", ("changed", "%", "‰")),
        ("§ 5", "5", ("removed", "§", "")),
        # the rest of the kind
        ("Sjå ¶ 3.", "Sjå 3.", ("removed", "¶", "")),
        ("Ramma er $ 5 mill.", "Ramma er € 5 mill.", ("changed", "$", "€")),
        ("Ramma er £5.", "Ramma er ¥5.", ("changed", "£", "¥")),
        ("Ramma er ₹5.", "Ramma er 5.", ("removed", "₹", "")),  # any category Sc
        ("Renta er +2 %.", "Renta er 2 %.", ("removed", "+", "")),
        ("a + b = c", "a b = c", ("removed", "+", "")),
        ("a + b = c", "a + b c", ("removed", "=", "")),
        ("Talet er < 5.", "Talet er > 5.", ("changed", "<", ">")),
        ("Talet er ≤ 5.", "Talet er ≥ 5.", ("changed", "≤", "≥")),
        ("Talet er 5 × 3.", "Talet er 5 ÷ 3.", ("changed", "×", "÷")),
        ("Avviket er ± 5 %.", "Avviket er 5 %.", ("removed", "±", "")),  # any category Sm
        ("Renta er 5 ‱.", "Renta er 5.", ("removed", "‱", "")),
        ("Plan- & bygningslova", "Plan- bygningslova", ("removed", "&", "")),
        # a minus sign at the start of a token, whatever dash is used
        ("Endring: –5 mill.", "Endring: 5 mill.", ("removed", "–", "")),
        ("Endring: \u22125 mill.", "Endring: +5 mill.", ("changed", "\u2212", "+")),
        ("Endring (-5 mill.) i år", "Endring (5 mill.) i år", ("removed", "-", "")),
        ("Endring «-5» i år", "Endring «5» i år", ("removed", "-", "")),
        ("Endring x=-5 i år", "Endring x=5 i år", ("removed", "-", "")),
        ("Endring:\n-5 mill.", "Endring:\n5 mill.", ("removed", "-", "")),
        ("Endring: -5 mill.", "Endring: - 5 mill.", ("removed", "-", "")),
    ],
)
def test_meaningful_symbols_are_words(
    proposal: str, resolution: str, expected: tuple[str, str, str]
) -> None:
    comparison = compare_texts(proposal, resolution)
    assert comparison.verdict == "different"
    assert triples(comparison) == [expected]
    assert verdict(resolution, proposal) == "different"


@pytest.mark.parametrize(
    ("proposal", "resolution"),
    [
        ("Renta er 5 %.", "Renta er 5%."),  # white space only
        ("Renta er 5 ‰.", "Renta er 5\u00a0‰."),
        ("Sjå § 5.", "Sjå §5."),
        ("Ramma er 1 000 000 €.", "Ramma er 1000000€."),
        ("Endring: -5 mill.", "Endring: \u22125 mill."),  # all minus signs are one word
        ("Endring: -5 mill.", "Endring: –5 mill."),
        ("Endring: -5 mill.", "Endring: \u20105 mill."),
        ("Endring: (-5 mill.)", "Endring: ( −5 mill.)"),
        ("perioden 2026-2029", "perioden 2026\u22122029"),  # a dash between numbers is a range
        ("perioden 2026–2029", "perioden 2026 – 2029"),
        ("vegen E-39", "vegen E–39"),  # a dash after a letter is punctuation
        ("Kommunestyret vedtek:\n- 5 mill. til vegar", "Kommunestyret vedtek:\n• 5 mill. til vegar"),
        ("- 5 mill. til vegar", "5 mill. til vegar"),  # a list marker, not a sign
    ],
)
def test_symbols_keep_identical_where_only_form_differs(proposal: str, resolution: str) -> None:
    assert verdict(proposal, resolution) == "identical"
    assert verdict(resolution, proposal) == "identical"


@pytest.mark.parametrize(
    ("proposal", "resolution", "expected"),
    [
        ("Endring: -5 mill.", "Endring -5 mill.", ("punctuation", ":", "")),
        ("vegen E-39", "vegen E 39", ("punctuation", "-", "")),
        ("perioden 2026-2029", "perioden 2026/2029", ("punctuation", "-", "/")),
        ("Renta er 5 %.", "renta er 5 %.", ("case", "Renta", "renta")),
    ],
)
def test_punctuation_next_to_symbols_stays_minor(
    proposal: str, resolution: str, expected: tuple[str, str, str]
) -> None:
    comparison = compare_texts(proposal, resolution)
    assert comparison.verdict == "minor"
    assert triples(comparison) == [expected]


def test_normalize_shows_symbols_and_the_minus_word() -> None:
    assert normalize("Endring: -5 mill. (–3 %)") == "Endring : − 5 mill . ( − 3 % )"
    assert normalize("perioden 2026–2029") == "perioden 2026 - 2029"
    assert normalize("§5") == normalize("§ 5") == "§ 5"


# -- size limit and worst-case speed -------------------------------------------


def _long_text(size: int) -> str:
    """Return a resolution-like text of exactly ``size`` characters."""
    lines: list[str] = []
    total = index = 0
    while total < size:
        line = (f"{index + 1}. Kommunestyret løyver {index * 7 % 1000} 000 kr til tiltak {index} "
                f"i handlingsplanen for {2025 + index % 10}, jf. § {index % 40 + 1}.")
        lines.append(line)
        total += len(line) + 1
        index += 1
    return "\n".join(lines)[:size]


def test_too_long_text_raises_value_error() -> None:
    assert MAX_TEXT_CHARS == 200_000
    long_text = _long_text(MAX_TEXT_CHARS + 1)
    with pytest.raises(ValueError, match=r"proposal.*200001.*200000"):
        compare_texts(long_text, "Planen vert vedteken.")
    with pytest.raises(ValueError, match=r"resolution.*200001.*200000"):
        compare_texts("Planen vert vedteken.", long_text)
    assert verdict(long_text[:-1], long_text[:-1]) == "identical"  # the limit itself is allowed


def test_longest_texts_with_reversed_lines_are_fast() -> None:
    proposal = _long_text(MAX_TEXT_CHARS)
    resolution = "\n".join(proposal.split("\n")[::-1])
    assert len(resolution) == MAX_TEXT_CHARS
    start = time.perf_counter()
    comparison = compare_texts(proposal, resolution)
    elapsed = time.perf_counter() - start
    assert comparison.verdict == "different"
    assert comparison.differences
    assert elapsed < 10.0  # about 0.1 s on a developer machine; before the fix about 45 s


@pytest.mark.parametrize(
    "kind", ["repeated lines shuffled", "staircase", "one line, words reversed", "every other line"]
)
def test_pathological_long_texts_are_fast(kind: str) -> None:
    # texts that make a plain difflib.SequenceMatcher quadratic or worse
    rng = random.Random(7)
    if kind == "repeated lines shuffled":
        lines = [f"linje {rng.randrange(200)}" for _ in range(20_000)]
        proposal, resolution = "\n".join(lines), "\n".join(rng.sample(lines, len(lines)))
    elif kind == "staircase":
        proposal = "\n".join(f"w{i}" for i in range(30_000))
        resolution = "\n".join(f"w{i}\nx" for i in range(30_000))
    elif kind == "one line, words reversed":
        proposal = _long_text(MAX_TEXT_CHARS).replace("\n", " ")
        resolution = " ".join(proposal.split()[::-1])
    else:
        proposal = "\n".join(f"Linje {i % 2} vert vedteken." for i in range(12_000))
        resolution = "\n".join(f"Linje {i % 2 + i % 2 * i} vert vedteken." for i in range(12_000))
    proposal, resolution = proposal[:MAX_TEXT_CHARS], resolution[:MAX_TEXT_CHARS]
    start = time.perf_counter()
    comparison = compare_texts(proposal, resolution)
    elapsed = time.perf_counter() - start
    assert comparison.verdict == "different"
    assert elapsed < 10.0


def test_long_texts_keep_exact_verdicts_and_fine_differences() -> None:
    proposal = _long_text(MAX_TEXT_CHARS)
    part = proposal[:190_000]  # with CRLF line ends still within the limit
    assert verdict(part, part.replace("\n", "\r\n")) == "identical"
    assert verdict(proposal, proposal.replace(" ", "\u00a0")) == "identical"
    assert verdict(proposal, proposal.upper()) == "minor"
    changed = proposal.replace("tiltak 1500 ", "tiltak 1501 ")
    assert triples(compare_texts(proposal, changed)) == [("changed", "1500", "1501")]
    # re-wrapped: no line matches, the sentences still do (a no-break space
    # keeps every number on the line of the word before it, so no line of the
    # re-wrapped text starts with a number that could be a list marker)
    flat = " ".join(
        f"Kommunestyret løyver\u00a0{index * 7 % 1000} kr til tiltak\u00a0{index} i planen."
        for index in range(3_000)
    )
    rewrapped = textwrap.fill(flat, 70).replace("tiltak\u00a0900 ", "tiltak\u00a0901 ")
    assert len(flat.split()) > 10 * 2_000 and flat.count("\n") == 0
    # minor, not identical: a full stop before a line break ends a point
    assert verdict(flat, textwrap.fill(flat, 70)) == "minor"
    comparison = compare_texts(flat, rewrapped)
    assert comparison.verdict == "different"
    assert triples(comparison) == [("changed", "900", "901")]


# -- segments, rendering, dict shapes ------------------------------------------


def test_segments_of_a_change(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("vert vedteken", "blir vedtatt"))
    ops = [s.op for s in comparison.segments]
    assert ops == ["equal", "replace", "equal"]
    assert comparison.segments[1] == Segment("replace", "vert vedteken", "blir vedtatt")
    assert comparison.segments[0].proposal.endswith("i Bygdevekstavtala")


def test_render_diff_of_a_changed_phrase(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("vert vedteken", "blir vedtatt"))
    assert render_diff(comparison) == (
        "… 2025 i Bygdevekstavtala [-vert vedteken-]{+blir vedtatt+} "
        "Styringsgruppa i Bygdevekstprosjektet …"
    )


def test_render_diff_shows_whole_touching_chunk() -> None:
    comparison = compare_texts("for perioden 2026–2029 med", "for perioden 2026–2030 med")
    assert render_diff(comparison) == "for perioden [-2026–2029-]{+2026–2030+} med"


def test_render_diff_is_empty_when_identical(seed: str) -> None:
    assert render_diff(compare_texts(seed, seed.replace("\n", "\r\n"))) == ""


def test_to_dict_shapes(seed: str) -> None:
    comparison = compare_texts(seed, seed.replace("2025", "2026"))
    data = comparison.to_dict()
    assert set(data) == {"verdict", "differences", "segments"}
    assert data["verdict"] == "different"
    assert data["differences"] == [
        {"kind": "changed", "proposal": "2025", "resolution": "2026", "position": 5}
    ]
    assert all(set(s) == {"op", "proposal", "resolution"} for s in data["segments"])
    json.dumps(data)


def test_comparison_rejects_inconsistent_values() -> None:
    with pytest.raises(ValueError):
        Comparison("identical", (Difference("case", "A", "a", 0),), ())
    with pytest.raises(ValueError):
        Comparison("minor", (), ())
    with pytest.raises(ValueError):
        Comparison("minor", (Difference("added", "", "a", 0),), ())
    with pytest.raises(ValueError):
        Comparison("maybe", (), ())
    with pytest.raises(ValueError):
        Difference("moved", "a", "b", 0)
    with pytest.raises(ValueError):
        Segment("swap", "a", "b")


def test_non_string_input_raises_type_error() -> None:
    with pytest.raises(TypeError):
        compare_texts(None, "x")  # type: ignore[arg-type]


def test_ten_thousand_comparisons_are_fast(seed: str) -> None:
    proposal = "\n".join(seed.strip().replace("2025", str(year)) for year in range(2025, 2035))
    assert 300 <= len(proposal.split()) <= 320
    resolutions = [
        proposal,
        proposal.replace("\n", "\r\n"),
        proposal.replace("KDD", "kdd", 1),
        proposal.replace("vert vedteken", "blir vedtatt", 1),
        proposal.replace("2025", "2026", 1),
        proposal.replace("teksten dersom", "teksten, dersom", 1),
    ]
    start = time.perf_counter()
    for index in range(10_000):
        compare_texts(proposal, resolutions[index % len(resolutions)])
    assert time.perf_counter() - start < 10.0


# -- properties ----------------------------------------------------------------

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøåABCÆØÅ0123456789", min_size=1,
                max_size=8)
PUNCT = st.sampled_from(list(",.;:!?()-–«»\"'§%/"))
TOKENS = st.lists(st.one_of(WORDS, WORDS, PUNCT), min_size=1, max_size=30)
HORIZONTAL_JUNK = st.lists(
    st.sampled_from([" ", "\t", "\u00a0", "\u202f", "\u2007", "\u00ad", "\u200b", "\u200c",
                     "\u200d", "\u2060", "\ufeff"]),
    max_size=3,
).map("".join)


@given(st.text())
def test_property_text_is_identical_to_itself(text: str) -> None:
    comparison = compare_texts(text, text)
    assert comparison.verdict == "identical"
    assert comparison.differences == ()
    assert all(s.op == "equal" for s in comparison.segments)


@given(TOKENS, st.data())
def test_property_invisible_and_horizontal_space_keeps_identical(
    tokens: list[str], data: st.DataObject
) -> None:
    text = " ".join(tokens)
    padded = data.draw(HORIZONTAL_JUNK) + "".join(
        token + " " + data.draw(HORIZONTAL_JUNK) for token in tokens
    )
    assert verdict(text, padded) == "identical"


LINE_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøåABCÆØÅ", min_size=1, max_size=8)
LINE_PUNCT = st.sampled_from(list(",;:!?()«»\"'"))
SEPARATORS = st.sampled_from([" ", "\n", "\r\n", " \n ", "\n\n", "\r\n\r\n", "\u2028"])


@given(st.lists(st.one_of(LINE_WORDS, LINE_WORDS, LINE_PUNCT), min_size=1, max_size=30),
       st.data())
def test_property_line_breaks_keep_identical(tokens: list[str], data: st.DataObject) -> None:
    text = " ".join(tokens)
    broken = "".join(token + data.draw(SEPARATORS) for token in tokens)
    assert verdict(text, broken) == "identical"


@given(TOKENS, st.data())
def test_property_changing_a_word_is_different(tokens: list[str], data: st.DataObject) -> None:
    word_positions = [i for i, token in enumerate(tokens) if token[0].isalnum()]
    if not word_positions:
        return
    index = data.draw(st.sampled_from(word_positions))
    changed = list(tokens)
    changed[index] = tokens[index] + "x9"
    assert verdict(" ".join(tokens), " ".join(changed)) == "different"


@settings(max_examples=200)
@given(st.text(), st.text())
def test_property_verdict_is_symmetric(a: str, b: str) -> None:
    forward, backward = compare_texts(a, b), compare_texts(b, a)
    assert forward.verdict == backward.verdict
    assert (forward.verdict == "identical") == (backward.verdict == "identical")
    assert (forward.verdict == "identical") == (normalize(a) == normalize(b))
    assert forward.verdict in VERDICTS
    assert all(s.op == "equal" for s in forward.segments) == (forward.verdict == "identical")


@given(TOKENS, TOKENS)
def test_property_verdict_is_symmetric_for_similar_texts(a: list[str], b: list[str]) -> None:
    left, right = " ".join(a), " ".join(a[: len(a) // 2] + b)
    assert verdict(left, right) == verdict(right, left)
    assert verdict(left, right.upper()) == verdict(right.upper(), left)
