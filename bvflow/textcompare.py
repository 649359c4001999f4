"""Compare a council's recorded resolution text with the proposal text.

Source of every rule below: issue: identical-resolution check.  Several
municipal councils must pass *identical resolutions* (likelydande vedtak); a
secretary records the text the council passed and :func:`compare_texts` gives
one of three verdicts (:data:`VERDICTS`):

``identical``
    The texts differ only in things a reader cannot see or that carry no
    meaning:

    * white space and line breaks (``\\r\\n``, ``\\r``, U+2028/U+2029, tabs and
      runs of spaces are all one separator);
    * Unicode normalisation (NFC vs NFD);
    * non-breaking and other Unicode spaces (U+00A0, U+202F, U+2007, ...);
    * zero-width characters (U+200B, U+200C, U+200D, U+2060, U+FEFF, plus the
      invisible bidi marks U+200E/U+200F/U+202A-U+202E/U+2066-U+2069) and soft
      hyphens (U+00AD), which vanish entirely, also inside a word
      (``areal\\u00adplanlegging`` is the word ``arealplanlegging``);
    * dash variants (``- ‐ ‑ ‒ – — ―`` and the minus sign ``−`` are one
      character, so ``2026–2029`` is ``2026-2029``) and quote marks (``" “ ”
      „ « » ' ‘ ’ ‚ ‹ › ` ´`` are one character: there is a single quote
      class); a dash used as a minus sign is one word, see below;
    * list markers at the start of a point (``1.`` ``1)`` ``(1)`` ``a)`` ``a.``
      ``iv)`` ``-`` ``•`` ``*`` ...), which are ignored entirely, so ``1.`` vs
      ``1)`` and even renumbering are identical;
    * white space next to a symbol (``5 %`` vs ``5%``, ``§ 5`` vs ``§5``);
    * one full stop at the end of a point (``vert vedteken.`` vs ``vert
      vedteken``), also when closing quotes or brackets follow it.  A *point*
      is a line: a list item, a paragraph or a line of its own;
    * thousands separators in numbers: ``1 000 000`` (spaces, NBSP or thin
      spaces between groups of three digits, on one line or across one line
      break) is the single number ``1000000``.

``minor``
    After those rules the words are the same and in the same order, but letter
    case differs or other punctuation differs (commas, colons, semicolons,
    parentheses, a full stop in the middle of a point, a hyphen vs a space in
    ``ikkje-prinsipielle`` / ``ikkje prinsipielle``, ...).

``different``
    A word was added, removed, changed or moved.  Words are maximal runs of
    letters and digits (Unicode-aware; combining marks belong to the word), so
    numbers are words (``2029`` vs ``2030`` is different) and a word that
    differs in one letter is a different word (``vert vedteken`` vs ``blir
    vedtatt``).  ``2026–2029`` vs ``2026-2029`` is identical because dashes are
    one class.

    Symbols that change what a number or a text means are words too, one
    word per character (tester report: ``-5 mill.`` vs ``5 mill.``, ``20 %``
    vs ``20 ‰`` and ``§ 5`` vs ``5`` must not be ``minor``):

    * ``%`` ``‰`` ``‱`` (per cent, per mille, per ten thousand), ``§`` ``¶``
      (section, paragraph), ``°`` (degree), ``№`` and ``#`` (number), ``&``
      (and);
    * every currency sign (Unicode category Sc: ``$ € £ ¥ ¢ ₹ ₿`` ...);
    * every mathematical symbol (Unicode category Sm: ``+ = < > ≤ ≥ ≠ ≈ ± × ÷
      ~ ¬ ∞`` ...), except the slash- and bar-like separators ``| ∣ ｜ ⁄ ∕``
      and the bullet operator ``∙`` (punctuation, as before);
    * a *minus sign*: a dash of any kind (hyphen-minus, ``−``, ``–`` ...)
      that directly precedes a digit and itself starts a token, i.e. follows
      white space, the start of the text, an ignored list marker, an opening
      bracket ``( [ {``, a quote mark or one of the symbols above.  All minus
      signs are the one word ``−`` (``-5``, ``−5`` and ``–5`` are identical;
      ``-5`` vs ``+5`` or ``5`` is different).  A dash between two numbers
      (``2026–2029``, ``2026-2029``) or after a letter (``E-39``) is
      punctuation of the dash class, and so is a dash followed by a space
      (``- 5``; at the start of a line that is a bullet).  Rule decision: a
      dash with white space before it and a digit right after it (``2026
      -2029``) reads as a minus sign (the safe side is ``different``).

    So ``Endring: -5 mill.`` vs ``Endring: 5 mill.``, ``−5`` vs ``+5``, ``20
    %`` vs ``20 ‰`` and ``§ 5`` vs ``5`` are ``different``.  Other
    punctuation (``/``, ``*``, ``.``, ``,`` ...) stays punctuation.

A point is a line, so a full stop followed by a line break is an ignored
end-of-point full stop while the same full stop followed by a space is a full
stop in the middle of a point: ``vedteken. Rådmannen`` vs
``vedteken.\\nRådmannen`` is ``minor`` (rule decision: the brief defines a
point as a line; the safe side is ``minor``, never a false ``identical``).

How list markers are told from text that merely starts a line (rule decision,
so that a hard line break in front of a date or an ordinal cannot hide a
changed number):

* bullets (``-`` or ``*`` followed by a space, ``•`` ``◦`` ``▪`` ... and the
  Word symbol-font bullets U+F0B7/U+F0A7/U+F0D8) and nested numbers
  (``1.2.``, ``1.2)``; not followed by a number, so ``12.03. 2025`` stays
  text) are always markers;
* ``N.`` / ``N)`` / ``(N)`` (at most three digits, so a year is never a
  marker), ``a)`` / ``(a)`` / ``a.`` (one letter) and Roman numerals ``ii.`` /
  ``(iv)`` are markers when they start a sequence (``1``, ``a``, ``A``,
  ``i``, ``I``) or continue the previous marker (``2`` after ``1``, ``c``
  after ``b``); otherwise ``N)``/``(N)``/``(a)``/``a)``/``ii.`` are markers
  when the line opens a point: it is the first line, it follows a blank line,
  or the previous line ends in ``. : ; ! ?`` (closing quotes/brackets
  skipped);
* ``N.`` followed by a month name (``1. januar``) is never a marker, and
  ``N.`` that neither starts nor continues a sequence is a marker only if the
  line opens a point and the next word does not start with a lower-case
  letter (``3. ledd``, ``2. gong`` stay text);
* ``a.`` with a single letter needs the sequence rule (protects initials such
  as ``K. Nordmann``);
* a marker is followed by a space or the end of the line; ``N.`` and ``N)``
  may also touch a letter (``1.Kommunestyret``).

A line-start number that is not a marker is an ordinary word, so changing it
makes the texts ``different``.

Differences (:class:`Difference`) are word-level: ``difflib.SequenceMatcher``
(``autojunk=False``) over the case-folded word lists, after the common leading
and trailing words are set aside (for speed; the matcher runs on the middle).
When the middle has more than ``_MATCH_WORDS`` (2,000) words on either side,
it is first aligned by lines (a line is the case-folded words between two line
breaks; ``SequenceMatcher`` with ``autojunk=True`` over line ids) and the word
matcher runs only inside each changed block of lines; a changed block of lines
with more than 2,000 words on a side is aligned by sentences the same way
(units ending at ``. ! ? : ;``, an ignored list marker or end-of-point full
stop: these survive re-wrapping, lines do not), and a changed block that
still has more than 2,000 words on either side becomes one coarse
``changed``/``added``/``removed`` difference.  Every matcher call is charged to
a budget per comparison (``_MATCH_BUDGET``, at most about a second of work);
once it is spent, the remaining blocks are coarse as well, so no input makes the
comparison hang.  Only the differences and segments depend on this alignment:
the verdict is decided first, in linear time, on the normalised token lists.
For ``minor`` the differences have kind ``case`` or ``punctuation``; for
``different`` they have kind ``added``, ``removed`` or ``changed`` only
(case or punctuation changes elsewhere in a ``different`` text show in the
segments, not in the differences).  Segments (:class:`Segment`) show the text
as compared: ignored list markers and end-of-point full stops are left out.

Texts longer than :data:`MAX_TEXT_CHARS` (200,000 characters) are refused
with ``ValueError`` (the callers turn it into a user error); resolutions are
far shorter.  Up to that size a comparison takes at most about a second even
in the worst case (a 200,000-character text against itself with the lines in
reverse order: about 0.1 s; it took 45 s before the line alignment).

Results are cached per input text (a small bounded cache), so comparing the
same proposal with many resolutions tokenises the proposal once.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise

__all__ = [
    "DIFFERENCE_KINDS",
    "MAX_TEXT_CHARS",
    "SEGMENT_OPS",
    "VERDICTS",
    "Comparison",
    "Difference",
    "Segment",
    "compare_texts",
    "normalize",
    "render_diff",
]

VERDICTS = ("identical", "minor", "different")
"""The possible verdicts, from best to worst (issue: identical-resolution check)."""

DIFFERENCE_KINDS = ("added", "removed", "changed", "case", "punctuation")
"""Kinds of :class:`Difference`; the first three make a text ``different``,
the last two ``minor``."""

SEGMENT_OPS = ("equal", "insert", "delete", "replace")
"""Operations of a :class:`Segment` (the ``difflib`` opcode names)."""

MAX_TEXT_CHARS = 200_000
"""Longest proposal or resolution text :func:`compare_texts` accepts, in
characters (``len(str)``); longer input raises ``ValueError``."""

_MATCH_WORDS = 2_000
"""Blocks with more words than this on either side are not given to the word
matcher (``SequenceMatcher`` is quadratic in the worst case)."""

_MATCH_BUDGET = 5_000_000
"""Work units (inner-loop steps of ``SequenceMatcher.find_longest_match``, see
:class:`_BoundedMatcher`) one comparison may spend on alignment; at most
about a second (50-250 ns a unit).  Blocks left when it is spent are shown as
coarse replacements."""

_WORD_KINDS = frozenset(("added", "removed", "changed"))
_MINOR_KINDS = frozenset(("case", "punctuation"))

# --------------------------------------------------------------------------
# Character tables
# --------------------------------------------------------------------------

#: Characters that vanish entirely (zero-width, soft hyphen, bidi marks, BOM).
#: NUL is dropped too: it is used internally as the digit-group joiner.
_INVISIBLE = (
    "\x00\u00ad\u034f\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\ufeff"
)
#: Line separators; "\r\n" is folded to "\n" before the table is applied.
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028"
_PARAGRAPH_SEPARATOR = "\u2029"

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
_QUOTES = (
    "\"'`\u00b4\u00ab\u00bb\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f"
    "\u2039\u203a\uff02\uff07"
)
_DASH = "-"
_QUOTE = '"'
_MINUS = "\u2212"  # the one word every minus sign becomes

#: Symbols compared like words besides categories Sc and Sm (module docstring).
_WORD_SYMBOLS = "%\u2030\u2031\u00a7\u00b6\u00b0\u2116#&"
#: Sm characters that stay punctuation: slash/bar-like separators and the
#: bullet operator.  (U+2212 is a dash before tokenising; as a word it is the
#: minus sign.)
_NOT_WORD_SYMBOLS = "|\u2044\u2215\u2219\u2223\uff5c"

#: Internal characters of the canonical string (never present after cleaning):
#: _BLANK stands in for an ignored marker or full stop (it is white space for
#: the tokenizer), _JOIN for the white space inside a grouped number.
_BLANK = "\x1f"
_JOIN = "\x00"


def _build_clean_map() -> dict[str, str]:
    """Return the replacements of the cleaning step, character -> text.

    Invisible characters map to ``""``, line separators to ``"\\n"`` (the
    paragraph separator to ``"\\n\\n"``) and every other Unicode white space
    character (``str.isspace``; all are below U+3001) to ``" "``.  Plain
    ``" "`` and ``"\\n"`` are left out: they map to themselves.
    """
    table: dict[str, str] = {}
    for code in range(0x3001):
        if chr(code).isspace():
            table[chr(code)] = " "
    for char in _LINE_BREAKS:
        table[char] = "\n"
    table[_PARAGRAPH_SEPARATOR] = "\n\n"
    for char in _INVISIBLE:
        table[char] = ""
    del table[" "], table["\n"]
    return table


def _char_class(chars: str) -> str:
    """Return a regex character class matching any of ``chars``."""
    return "[" + "".join(re.escape(char) for char in chars) + "]"


def _category_class(categories: tuple[str, ...], stop: int, exclude: str = "") -> str:
    """Return a regex character-class body with every code point below
    ``stop`` whose Unicode category starts with one of ``categories``
    (``("M",)``: all combining marks), except the characters of ``exclude``."""
    ranges: list[tuple[int, int]] = []
    for code in range(stop):
        char = chr(code)
        if unicodedata.category(char).startswith(categories) and char not in exclude:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )


# --------------------------------------------------------------------------
# Regular expressions (all but _CLEAN_RE work on the canonical string)
# --------------------------------------------------------------------------

_CLEAN_MAP = _build_clean_map()
_CLEAN_RE = re.compile(_char_class("".join(_CLEAN_MAP)))
_CANON_MAP = {
    **dict.fromkeys(_DASHES.replace(_DASH, ""), _DASH),
    **dict.fromkeys(_QUOTES.replace(_QUOTE, ""), _QUOTE),
}
_CANON_RE = re.compile(_char_class("".join(_CANON_MAP)))

#: Every combining mark (Mn/Mc/Me) of the Basic Multilingual Plane, so that a
#: letter followed by a mark NFC cannot compose stays one word.
_MARKS = _category_class(("M",), 0x10000)
#: Symbols that are words (module docstring): currency (Sc) and mathematical
#: (Sm) symbols of planes 0 and 1, less _NOT_WORD_SYMBOLS, plus _WORD_SYMBOLS.
_SYMBOLS = _category_class(("Sc", "Sm"), 0x20000, _NOT_WORD_SYMBOLS) + "".join(
    re.escape(char) for char in _WORD_SYMBOLS
)
#: A token: a word (letters/digits, then combining marks and digit-group
#: joiners may follow; or one meaningful symbol, marks may follow) or one
#: other visible character (punctuation, other symbols, "_").  The first word
#: part is an unrolled ``[^\W_](?:[^\W_]|[marks])*``.
_WORD = rf"[^\W_]+(?:[{_JOIN}{_MARKS}]+[^\W_]*)*|[{_SYMBOLS}][{_MARKS}]*"
_TOKEN_RE = re.compile(rf"{_WORD}|\S")
_WORD_SPLIT_RE = re.compile(f"({_WORD})")
#: A dash (canonical ``-``) used as a minus sign: right before a digit, after
#: the start of the text, white space (also an ignored marker, _BLANK), an
#: opening bracket, a quote mark or a word symbol.
_MINUS_RE = re.compile(rf'(?:^|(?<=[\s{_BLANK}(\[{{"{_SYMBOLS}]))-(?=\d)')

_SYMBOL_BULLETS = (
    "\u2022\u2023\u2043\u2219\u00b7\u25aa\u25ab\u25a0\u25a1\u25cb\u25cf\u25e6"
    "\u25ba\u25b8\u27a2\u2713\u2714\uf0a7\uf0b7\uf0d8"
)
_MARKER_RE = re.compile(
    rf"""
    [ ]*
    (?P<marker>
        (?P<nested>\d{{1,3}}(?:\.\d{{1,3}})+)[.)](?=[ ]|$)(?![ ]+\d)
      | \((?P<paren>\d{{1,3}}|[^\W\d_]|[ivx]{{2,6}}|[IVX]{{2,6}})\)(?=[ ]|$|[^\W_])
      | (?P<num>\d{{1,3}})(?P<numclose>[.)])(?=[ ]|$|[^\W\d_])
      | (?P<alpha>[^\W\d_]|[ivx]{{2,6}}|[IVX]{{2,6}})(?P<alphaclose>[.)])(?=[ ]|$)
      | (?P<bullet>[-*](?=[ ]|$)|[{_SYMBOL_BULLETS}])
    )
    """,
    re.MULTILINE | re.VERBOSE,
)
_NEXT_WORD_RE = re.compile(r"[ ]*([^\W_]+)")
_ROMAN_RE = re.compile(r"x{0,3}(?:ix|iv|v?i{0,3})")
_FULL_STOP_RE = re.compile(rf'\.(?=[ ")\]}}{_BLANK}]*$)', re.MULTILINE)
_DIGIT_GROUPS_RE = re.compile(
    r"\d(?<![^\W_]\d)\d{0,2}(?:(?:[ ]+|[ ]*\n[ ]*)\d{3}(?![^\W_]))+"
)
_GROUP_SPACE_RE = re.compile(r"[ \n]")
#: What in the gap before a word makes it start a unit of alignment.
_UNIT_END_RE = {"line": re.compile("\n"), "sentence": re.compile(f"[.!?:;{_BLANK}]")}
_UNIT_KINDS = ("line", "sentence")
_FIRST_WS_RE = re.compile(r"\s")
_SPACE_RUN_RE = re.compile(r"\s+")
_BLANK_RUN_RE = re.compile(f"{_BLANK}+")

_MONTHS = frozenset(
    (
        "januar februar mars april mai juni juli august september oktober november "
        "desember jan feb mar apr jun jul aug sep sept okt nov des january february "
        "march may june july october december oct dec"
    ).split()
)
_TERMINATORS = frozenset(".:;!?")
_CLOSERS = frozenset('")]}')
_SKIP_BACK = frozenset(" \n" + _BLANK)


# --------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One place where the resolution differs from the proposal.

    Attributes:
        kind: ``"added"``, ``"removed"`` or ``"changed"`` (words; verdict
            ``different``), or ``"case"`` or ``"punctuation"`` (verdict
            ``minor``).
        proposal: the proposal's words (joined with single spaces) or, for
            ``punctuation``, its punctuation at that place; ``""`` for
            ``added`` and for punctuation the proposal lacks.
        resolution: the same for the resolution; ``""`` for ``removed``.
        position: index (0-based) of the first proposal word of that place.
            For ``added`` it is the index of the proposal word the new words
            come before (``len(words)`` at the end); for ``punctuation`` the
            index of the word the punctuation follows (0 before the first word).

    Raises:
        ValueError: unknown kind or negative position.
    """

    kind: str
    proposal: str
    resolution: str
    position: int

    def __post_init__(self) -> None:
        if self.kind not in DIFFERENCE_KINDS:
            raise ValueError(f"unknown difference kind {self.kind!r}")
        if self.position < 0:
            raise ValueError("position must be >= 0")

    def to_dict(self) -> dict[str, object]:
        """Return ``{"kind": str, "proposal": str, "resolution": str, "position": int}``."""
        return {
            "kind": self.kind,
            "proposal": self.proposal,
            "resolution": self.resolution,
            "position": self.position,
        }


@dataclass(frozen=True)
class Segment:
    """One run of a word-level diff, for showing to people.

    Attributes:
        op: ``"equal"``, ``"insert"``, ``"delete"`` or ``"replace"``.  Words
            that are the same but differ in case or in the punctuation next to
            them are shown as ``"replace"``.
        proposal: the proposal's text of the run: original characters (NFC,
            invisible characters removed), each word with the punctuation
            attached to it (punctuation after a space goes with the next
            word), ignored list markers and end-of-point full stops left out,
            white space collapsed to single spaces; ``""`` for ``insert``.
        resolution: the resolution's text of the run; ``""`` for ``delete``.

    Raises:
        ValueError: unknown op.
    """

    op: str
    proposal: str
    resolution: str

    def __post_init__(self) -> None:
        if self.op not in SEGMENT_OPS:
            raise ValueError(f"unknown segment op {self.op!r}")

    def to_dict(self) -> dict[str, str]:
        """Return ``{"op": str, "proposal": str, "resolution": str}``."""
        return {"op": self.op, "proposal": self.proposal, "resolution": self.resolution}


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare_texts`.

    Attributes:
        verdict: one of :data:`VERDICTS`.
        differences: empty exactly when ``verdict == "identical"``; kinds
            ``case``/``punctuation`` for ``minor``, ``added``/``removed``/
            ``changed`` for ``different``; in text order.
        segments: word-level diff of the whole text, in order; all ``"equal"``
            exactly when the verdict is ``identical`` (empty for two empty texts).

    Raises:
        ValueError: unknown verdict, or differences inconsistent with it.
    """

    verdict: str
    differences: tuple[Difference, ...]
    segments: tuple[Segment, ...]

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")
        if (self.verdict == "identical") != (not self.differences):
            raise ValueError("differences must be empty exactly when the verdict is identical")
        allowed = _MINOR_KINDS if self.verdict == "minor" else _WORD_KINDS
        if any(d.kind not in allowed for d in self.differences):
            raise ValueError(f"difference kinds do not fit verdict {self.verdict!r}")

    def to_dict(self) -> dict[str, object]:
        """Return ``{"verdict": str, "differences": [Difference.to_dict()...],
        "segments": [Segment.to_dict()...]}`` (JSON-serialisable)."""
        return {
            "verdict": self.verdict,
            "differences": [d.to_dict() for d in self.differences],
            "segments": [s.to_dict() for s in self.segments],
        }


# --------------------------------------------------------------------------
# Text preparation
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A text after cleaning.

    ``cleaned``: invisible characters removed, NFC, line breaks ``"\\n"``, other
    white space ``" "``.  ``canon``: same length as ``cleaned``, position by
    position, with dashes/quotes mapped to one character each, ignored markers
    and full stops replaced by ``_BLANK`` and digit-group spaces by ``_JOIN``.
    ``masked``: ``cleaned`` with the ignored characters replaced by ``_BLANK``
    (what people are shown, once the blanks are dropped).  ``display``: the
    whole of it as shown (see :meth:`shown`).
    """

    cleaned: str
    canon: str
    masked: str
    display: str

    @classmethod
    def build(cls, cleaned: str, canon: str) -> _Prepared:
        """Derive ``masked`` and ``display`` from ``cleaned`` and ``canon``."""
        masked = cleaned
        if _BLANK in canon:
            pieces: list[str] = []
            done = 0
            for run in _BLANK_RUN_RE.finditer(canon):
                pieces.append(cleaned[done : run.start()])
                pieces.append(run.group())
                done = run.end()
            pieces.append(cleaned[done:])
            masked = "".join(pieces)
        return cls(cleaned, canon, masked, _collapse(masked.replace(_BLANK, "")))

    def shown(self, start: int, stop: int) -> str:
        """Return ``cleaned[start:stop]`` for people: characters the comparison
        ignores (list markers, end-of-point full stops) left out, white space
        collapsed to single spaces, ends stripped."""
        return _collapse(self.masked[start:stop].replace(_BLANK, ""))


class _Analysis:
    """The word/punctuation structure of a prepared text.

    Built from ``_WORD_SPLIT_RE.split(canon)``: ``parts`` alternates gaps and
    words, ``[gap_0, word_0, gap_1, ..., word_n-1, gap_n]``, and the parts'
    lengths add up to ``len(cleaned)`` (so offsets are shared with
    ``cleaned``).

    ``words``: exact words (NFC, digit groups joined), a tuple of str;
    ``folded``: their casefold; ``slots``: ``len(words) + 1`` strings, slot
    ``k`` being the canonical punctuation characters of gap ``k`` (before word
    ``k``), one character per punctuation token.  Offsets (:meth:`_offset`) and
    unit starts (:meth:`unit_starts`) are computed on first use.
    """

    __slots__ = ("prepared", "parts", "words", "folded", "slots", "_starts", "_units")

    def __init__(self, prepared: _Prepared) -> None:
        canon = prepared.canon
        parts = _WORD_SPLIT_RE.split(canon)
        words = parts[1::2]
        if _JOIN in canon:
            words = [word.replace(_JOIN, "") for word in words]
        self.prepared = prepared
        self.parts: list[str] = parts
        self.words: tuple[str, ...] = tuple(words)
        self.folded: tuple[str, ...] = (
            tuple(" ".join(words).casefold().split(" ")) if words else ()
        )
        # one C-level pass: gaps joined by _JOIN (never in a gap), white space
        # and _BLANK removed, split again
        self.slots: tuple[str, ...] = tuple(
            _SPACE_RUN_RE.sub("", _JOIN.join(parts[0::2])).split(_JOIN)
        )
        self._starts: list[int] | None = None
        self._units: dict[str, list[int]] = {}

    def _offset(self, part: int) -> int:
        """Return the offset in ``cleaned`` where ``parts[part]`` starts
        (``part == len(parts)`` gives the total length), from prefix sums
        built on first use (identical and minor-free texts never need them)."""
        starts = self._starts
        if starts is None:
            starts = self._starts = list(accumulate(map(len, self.parts), initial=0))
        return starts[part]

    def unit_starts(self, kind: str) -> list[int]:
        """Return the ascending indices of the words that begin a unit of
        ``kind`` (built on first use): 0 and every word whose gap before it
        has a line break (``"line"``) or a full stop, ``! ? : ;``, an ignored
        list marker or an ignored end-of-point full stop (``"sentence"``:
        these do not move when a text is re-wrapped)."""
        starts = self._units.get(kind)
        if starts is None:
            gaps = self.parts[2:-1:2]  # the gaps before words 1 .. len(words) - 1
            found = _UNIT_END_RE[kind].search
            starts = self._units[kind] = [0, *(k for k, gap in enumerate(gaps, 1) if found(gap))]
        return starts

    def _word_span(self, index: int) -> tuple[int, int]:
        """Return ``(start, end)`` of word ``index`` in ``cleaned``."""
        start = self._offset(2 * index + 1)
        return start, start + len(self.parts[2 * index + 1])

    def _bound(self, index: int) -> int:
        """Return the offset where display unit ``index`` starts (``0 <= index
        <= len(words)``): 0 for the first, ``len(cleaned)`` past the last, else
        the first white space between words ``index - 1`` and ``index``, or the
        start of word ``index`` when they touch (the punctuation between them
        then goes with the earlier word)."""
        if index <= 0:
            return 0
        if index >= len(self.words):
            return len(self.prepared.cleaned)
        gap_start = self._offset(2 * index)
        gap_end = gap_start + len(self.parts[2 * index])
        space = _FIRST_WS_RE.search(self.prepared.cleaned, gap_start, gap_end)
        return space.start() if space else gap_end

    def touches(self, index: int) -> bool:
        """Tell whether words ``index - 1`` and ``index`` touch (no white space
        between them, as in ``2026–2029`` or ``ikkje-prinsipielle``)."""
        if not 0 < index < len(self.words):
            return False
        return self._bound(index) == self._offset(2 * index + 1)

    def word_text(self, start: int, stop: int) -> str:
        """Return words ``start..stop-1`` as shown to people, joined with spaces."""
        cleaned = self.prepared.cleaned
        return " ".join(
            _collapse(cleaned[slice(*self._word_span(index))]) for index in range(start, stop)
        )

    def unit_text(self, start: int, stop: int) -> str:
        """Return display units ``start..stop-1`` (words with their attached
        punctuation), as compared: ignored list markers and end-of-point full
        stops left out, white space collapsed; ``""`` if empty."""
        if start >= stop:
            return ""
        return self.prepared.shown(self._bound(start), self._bound(stop))

    def slot_text(self, index: int) -> str:
        """Return the punctuation of slot ``index`` in original characters,
        separated by a space where the text had white space (or an ignored
        marker or full stop) between them."""
        gap_start = self._offset(2 * index)
        gap = self.parts[2 * index]
        cleaned = self.prepared.cleaned
        shown: list[str] = []
        previous = -2
        for offset, char in enumerate(gap):
            if char.isspace():  # white space, or _BLANK for an ignored character
                continue
            if shown and offset != previous + 1:
                shown.append(" ")
            shown.append(cleaned[gap_start + offset])
            previous = offset
        return "".join(shown)


def _collapse(text: str) -> str:
    """Collapse runs of white space to one space and strip the ends."""
    return " ".join(text.split())


_CACHE_SIZE = 512  # texts per cache
_CACHE_MAX_CHARS = MAX_TEXT_CHARS  # longer texts are not cached
_PREPARED: dict[str, _Prepared] = {}
_ANALYSED: dict[str, _Analysis] = {}


def _make_room(cache: dict[str, _Prepared] | dict[str, _Analysis], text: str) -> bool:
    """Tell whether ``text`` may be cached, first dropping the oldest entry of
    a full bounded (insertion-ordered) cache."""
    if len(text) > _CACHE_MAX_CHARS:
        return False
    if len(cache) >= _CACHE_SIZE:
        try:
            del cache[next(iter(cache))]
        except (KeyError, StopIteration, RuntimeError):  # concurrent eviction
            pass
    return True


def _prepare(text: str) -> _Prepared:
    """Clean and canonicalise ``text`` (cached); see :class:`_Prepared`."""
    found = _PREPARED.get(text)
    if found is not None:
        return found
    cleaned = _CLEAN_RE.sub(_clean_char, text.replace("\r\n", "\n"))
    if not unicodedata.is_normalized("NFC", cleaned):
        cleaned = unicodedata.normalize("NFC", cleaned)
    canon = _CANON_RE.sub(_canon_char, cleaned)
    canon = _blank_markers(canon)
    canon = _MINUS_RE.sub(_MINUS, canon)
    canon = _FULL_STOP_RE.sub(_BLANK, canon)
    canon = _DIGIT_GROUPS_RE.sub(_join_digit_groups, canon)
    prepared = _Prepared.build(cleaned, canon)
    if _make_room(_PREPARED, text):
        _PREPARED[text] = prepared
    return prepared


def _clean_char(match: re.Match[str]) -> str:
    """Return the cleaning replacement of one matched character."""
    return _CLEAN_MAP[match.group()]


def _canon_char(match: re.Match[str]) -> str:
    """Return the class character (``-`` or ``"``) of one matched dash or quote."""
    return _CANON_MAP[match.group()]


def _join_digit_groups(match: re.Match[str]) -> str:
    """Replace the white space inside a grouped number by joiners (same length)."""
    return _GROUP_SPACE_RE.sub(_JOIN, match.group())


def _roman_value(label: str) -> int | None:
    """Return the value of a Roman numeral made of i/v/x (any case), else None."""
    lower = label.lower()
    if not lower or not _ROMAN_RE.fullmatch(lower):
        return None
    values = {"i": 1, "v": 5, "x": 10}
    total = 0
    for index, char in enumerate(lower):
        value = values[char]
        if index + 1 < len(lower) and values[lower[index + 1]] > value:
            total -= value
        else:
            total += value
    return total


def _marker_values(label: str) -> frozenset[tuple[str, int]]:
    """Return the possible ``(sequence kind, ordinal)`` readings of a marker label.

    ``"3"`` -> ``{("num", 3)}``; ``"b"`` -> ``{("lower", 2)}``; ``"i"`` ->
    ``{("lower", 9), ("roman-lower", 1)}``; ``"IV"`` -> ``{("roman-upper", 4)}``.
    """
    if label.isdecimal():
        return frozenset({("num", int(label))})
    values: set[tuple[str, int]] = set()
    upper = label.isupper()
    if len(label) == 1:
        base = ord("A") if upper else ord("a")
        values.add(("upper" if upper else "lower", ord(label) - base + 1))
    roman = _roman_value(label)
    if roman is not None:
        values.add(("roman-upper" if upper else "roman-lower", roman))
    return frozenset(values)


def _opens_point(canon: str, line_start: int) -> bool:
    """Tell whether the line starting at ``line_start`` opens a new point: it is
    the first line with text, follows a blank line, or the previous line ends
    with ``. : ; ! ?`` (closing quotes and brackets skipped)."""
    index = line_start - 1
    newlines = 0
    while index >= 0 and canon[index] in _SKIP_BACK:
        if canon[index] == "\n":
            newlines += 1
            if newlines >= 2:
                return True
        index -= 1
    if index < 0:
        return True
    while index >= 0 and canon[index] in _CLOSERS:
        index -= 1
    return index >= 0 and canon[index] in _TERMINATORS


def _blank_markers(canon: str) -> str:
    """Replace the list markers at the start of points by ``_BLANK`` (same length).

    See the module docstring for which line starts count as markers.
    """
    pieces: list[str] = []
    done = 0
    previous: frozenset[tuple[str, int]] = frozenset()
    line_start = 0
    while line_start >= 0:
        match = _MARKER_RE.match(canon, line_start)
        next_line = canon.find("\n", line_start)
        line_start = next_line + 1 if next_line >= 0 else -1
        if match is None:
            continue
        if match.group("bullet") or match.group("nested"):
            recognised = True
            nested = match.group("nested")
            if nested:
                previous = frozenset({("num", int(nested.split(".")[0]))})
        else:
            label = match.group("paren") or match.group("num") or match.group("alpha")
            values = _marker_values(label)
            in_sequence = any(
                value == 1 or (kind, value - 1) in previous for kind, value in values
            )
            next_word = _NEXT_WORD_RE.match(canon, match.end())
            word = next_word.group(1) if next_word else ""
            if match.group("numclose") == ".":
                if word.casefold() in _MONTHS:
                    recognised = False
                elif in_sequence:
                    recognised = True
                else:
                    recognised = not word[:1].islower() and _opens_point(canon, match.start())
            elif match.group("alphaclose") == "." and len(label) == 1:
                recognised = in_sequence
            else:
                recognised = in_sequence or _opens_point(canon, match.start())
            if recognised:
                previous = values
        if recognised:
            start, end = match.span("marker")
            pieces.append(canon[done:start])
            pieces.append(_BLANK * (end - start))
            done = end
    if not pieces:
        return canon
    pieces.append(canon[done:])
    return "".join(pieces)


def _analyse(text: str) -> _Analysis:
    """Return the word/punctuation structure of ``text`` (cached)."""
    found = _ANALYSED.get(text)
    if found is not None:
        return found
    analysis = _Analysis(_prepare(text))
    if _make_room(_ANALYSED, text):
        _ANALYSED[text] = analysis
    return analysis


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Return the canonical form used for the ``identical`` verdict.

    Two texts are identical (issue: identical-resolution check) exactly when
    their ``normalize()`` results are equal.  The result is the text's tokens
    (words in their exact NFC letters and case, digit groups joined; every
    other visible character on its own, with dashes as ``-`` and quote marks
    as ``"``), without list markers and end-of-point full stops, joined with
    single spaces.  Example: ``normalize("1) Planen vert «vedteken».\\n")`` ->
    ``'Planen vert " vedteken "'``.

    Args:
        text: any string (may be empty).

    Returns:
        str: the canonical form (``""`` for a text without visible characters).
    """
    return " ".join(_TOKEN_RE.findall(_prepare(text).canon)).replace(_JOIN, "")


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Return the length of the longest common prefix of ``a`` and ``b``
    (binary search over C-level slice comparisons)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _mismatches(a: tuple[str, ...], b: tuple[str, ...], base: int = 0) -> list[int]:
    """Return the indices (plus ``base``) where equally long ``a`` and ``b``
    differ, by bisection: cheap when they differ in few places."""
    if a == b:
        return []
    if len(a) == 1:
        return [base]
    middle = len(a) // 2
    return _mismatches(a[:middle], b[:middle], base) + _mismatches(
        a[middle:], b[middle:], base + middle
    )


_Opcode = tuple[str, int, int, int, int]


class _OverBudget(Exception):
    """The alignment budget of the comparison is spent."""


class _BoundedMatcher(difflib.SequenceMatcher):
    """A ``difflib.SequenceMatcher`` that charges its work to a shared budget.

    ``SequenceMatcher`` is quadratic in the worst case (many repeated elements,
    or a match found at one end of the range again and again).  Its work is
    ``find_longest_match``, whose inner loop runs, for every ``a[i]`` of the
    range, over the positions of that element in ``b``; each call is charged
    that count (``len(b2j[a[i]])`` plus 4 for the per-element overhead, from
    prefix sums) plus 16 before it runs, and :class:`_OverBudget` is raised
    when ``budget[0]`` would drop below zero.
    """

    def __init__(
        self, a: Sequence[Hashable], b: Sequence[Hashable], budget: list[int], autojunk: bool
    ) -> None:
        budget[0] -= len(a) + len(b)
        if budget[0] < 0:
            raise _OverBudget
        super().__init__(None, a, b, autojunk=autojunk)
        where = self.b2j
        self._costs = list(accumulate((len(where.get(item, ())) + 4 for item in a), initial=0))
        self._budget = budget

    def find_longest_match(
        self, alo: int = 0, ahi: int | None = None, blo: int = 0, bhi: int | None = None
    ) -> difflib.Match:
        ahi = len(self.a) if ahi is None else ahi
        bhi = len(self.b) if bhi is None else bhi
        self._budget[0] -= self._costs[ahi] - self._costs[alo] + 16
        if self._budget[0] < 0:
            raise _OverBudget
        return super().find_longest_match(alo, ahi, blo, bhi)


def _coarse(i1: int, i2: int, j1: int, j2: int) -> list[_Opcode]:
    """Return the one opcode that replaces ``a[i1:i2]`` by ``b[j1:j2]`` whole."""
    if i1 == i2 and j1 == j2:
        return []
    tag = "insert" if i1 == i2 else "delete" if j1 == j2 else "replace"
    return [(tag, i1, i2, j1, j2)]


def _match_words(
    a: tuple[str, ...], b: tuple[str, ...], i1: int, i2: int, j1: int, j2: int, budget: list[int]
) -> list[_Opcode]:
    """Return opcodes turning ``a[i1:i2]`` into ``b[j1:j2]`` (absolute indices):
    ``SequenceMatcher(autojunk=False)`` on the words, or one coarse opcode when
    a side is empty, a side has more than ``_MATCH_WORDS`` words or the
    budget is spent."""
    if i1 == i2 or j1 == j2 or i2 - i1 > _MATCH_WORDS or j2 - j1 > _MATCH_WORDS:
        return _coarse(i1, i2, j1, j2)
    try:
        opcodes = _BoundedMatcher(list(a[i1:i2]), list(b[j1:j2]), budget, False).get_opcodes()
    except _OverBudget:
        return _coarse(i1, i2, j1, j2)
    return [(tag, p1 + i1, p2 + i1, q1 + j1, q2 + j1) for tag, p1, p2, q1, q2 in opcodes]


def _unit_bounds(analysis: _Analysis, kind: str, low: int, high: int) -> list[int]:
    """Return the word indices that cut words ``low..high-1`` into units of
    ``kind``: ``[low, <unit starts inside>, high]`` (``[low]`` when empty)."""
    if low >= high:
        return [low]
    starts = analysis.unit_starts(kind)
    inner = starts[bisect_right(starts, low) : bisect_left(starts, high)]
    return [low, *inner, high]


def _match_blocks(
    a: _Analysis, b: _Analysis, i1: int, i2: int, j1: int, j2: int, budget: list[int], level: int = 0
) -> list[_Opcode]:
    """Return word opcodes turning words ``i1..i2-1`` of ``a`` into words
    ``j1..j2-1`` of ``b``.

    Small ranges (at most ``_MATCH_WORDS`` words a side) go to the word
    matcher.  Larger ones are aligned by units of ``_UNIT_KINDS[level]``
    first (``SequenceMatcher`` with ``autojunk=True`` over unit ids; a unit
    is its case-folded words), and each changed block of units is matched the
    same way at the next level (lines, then sentences, which survive
    re-wrapping); past the last level a large block is one coarse opcode.
    """
    small = i2 - i1 <= _MATCH_WORDS and j2 - j1 <= _MATCH_WORDS
    if small or level >= len(_UNIT_KINDS) or i1 == i2 or j1 == j2:
        return _match_words(a.folded, b.folded, i1, i2, j1, j2, budget)
    kind = _UNIT_KINDS[level]
    a_bounds, b_bounds = _unit_bounds(a, kind, i1, i2), _unit_bounds(b, kind, j1, j2)
    ids: dict[tuple[str, ...], int] = {}
    a_units = [ids.setdefault(a.folded[s:e], len(ids)) for s, e in pairwise(a_bounds)]
    b_units = [ids.setdefault(b.folded[s:e], len(ids)) for s, e in pairwise(b_bounds)]
    try:
        unit_ops = _BoundedMatcher(a_units, b_units, budget, True).get_opcodes()
    except _OverBudget:
        return _coarse(i1, i2, j1, j2)
    ops: list[_Opcode] = []
    for tag, p1, p2, q1, q2 in unit_ops:
        w1, w2, v1, v2 = a_bounds[p1], a_bounds[p2], b_bounds[q1], b_bounds[q2]
        if tag == "equal":
            ops.append((tag, w1, w2, v1, v2))
        else:
            ops.extend(_match_blocks(a, b, w1, w2, v1, v2, budget, level + 1))
    return ops


def _merge_opcodes(ops: list[_Opcode]) -> list[_Opcode]:
    """Merge neighbouring opcodes: equal with equal, changes with changes
    (two different change tags become ``replace``); drop empty ones."""
    merged: list[_Opcode] = []
    for tag, i1, i2, j1, j2 in ops:
        if i1 == i2 and j1 == j2:
            continue
        if merged and (merged[-1][0] == "equal") == (tag == "equal"):
            last = merged[-1]
            merged[-1] = (tag if tag == last[0] else "replace", last[1], i2, last[3], j2)
        else:
            merged.append((tag, i1, i2, j1, j2))
    return merged


def _word_opcodes(a: _Analysis, b: _Analysis) -> list[_Opcode]:
    """Return ``difflib``-style opcodes ``(tag, i1, i2, j1, j2)`` turning the
    case-folded words of ``a`` into those of ``b``: common leading/trailing
    words are ``equal``; the middle goes to the word matcher when it has at
    most ``_MATCH_WORDS`` words on each side, else it is aligned by lines and
    sentences first (:func:`_match_blocks`).  All matching shares one budget
    (``_MATCH_BUDGET``), so the time is bounded whatever the texts."""
    x, y = a.folded, b.folded
    n, m = len(x), len(y)
    low = _common_prefix(x, y)
    high = _common_prefix(x[low:][::-1], y[low:][::-1])
    budget = [_MATCH_BUDGET]
    ops: list[_Opcode] = [("equal", 0, low, 0, low)]
    ops += _match_blocks(a, b, low, n - high, low, m - high, budget)
    ops.append(("equal", n - high, n, m - high, m))
    return _merge_opcodes(ops)


def _equal_block_flags(a: _Analysis, b: _Analysis, i1: int, i2: int, j1: int) -> list[int]:
    """For an equal block (same case-folded words ``a[i1:i2]``/``b[j1:...]``),
    return the sorted offsets (0-based within the block) of the words whose
    exact letters differ or whose neighbouring punctuation differs (a
    differing slot flags the words on both sides)."""
    size = i2 - i1
    if not size:
        return []
    j2 = j1 + size
    flagged = set(_mismatches(a.words[i1:i2], b.words[j1:j2]))
    for inner in _mismatches(a.slots[i1 + 1 : i2], b.slots[j1 + 1 : j2]):
        flagged.update((inner, inner + 1))
    if i1 == 0 and j1 == 0 and a.slots[0] != b.slots[0]:
        flagged.add(0)
    if i2 == len(a.words) and j2 == len(b.words) and a.slots[i2] != b.slots[j2]:
        flagged.add(size - 1)
    return sorted(flagged)


def _widen_to_chunks(
    a: _Analysis, b: _Analysis, raw: list[tuple[str, int, int, int, int]]
) -> None:
    """Widen every changed run in ``raw`` (in place) over neighbouring equal
    words that touch it without white space, so people see whole chunks
    (``[-2026–2029-]{+2026–2030+}`` rather than ``2026–[-2029-]{+2030+}``).
    Equal runs may become empty; the caller drops them."""
    for index, (tag, i1, i2, j1, j2) in enumerate(raw):
        if tag == "equal":
            continue
        if index > 0 and raw[index - 1][0] == "equal":
            ptag, p1, p2, q1, q2 = raw[index - 1]
            while p2 > p1 and (a.touches(i1) or b.touches(j1)):
                p2, q2, i1, j1 = p2 - 1, q2 - 1, i1 - 1, j1 - 1
            raw[index - 1] = (ptag, p1, p2, q1, q2)
        if index + 1 < len(raw) and raw[index + 1][0] == "equal":
            ntag, n1, n2, m1, m2 = raw[index + 1]
            while n2 > n1 and (a.touches(i2) or b.touches(j2)):
                n1, m1, i2, j2 = n1 + 1, m1 + 1, i2 + 1, j2 + 1
            raw[index + 1] = (ntag, n1, n2, m1, m2)
        raw[index] = (tag, i1, i2, j1, j2)


def _segments(
    a: _Analysis, b: _Analysis, ops: list[tuple[str, int, int, int, int]]
) -> tuple[Segment, ...]:
    """Build display segments from word opcodes; adjacent segments with the
    same op are merged."""
    raw: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag != "equal":
            raw.append((tag, i1, i2, j1, j2))
            continue
        done = 0
        for offset in _equal_block_flags(a, b, i1, i2, j1):
            if offset > done:
                raw.append(("equal", i1 + done, i1 + offset, j1 + done, j1 + offset))
            raw.append(("replace", i1 + offset, i1 + offset + 1, j1 + offset, j1 + offset + 1))
            done = offset + 1
        if done < i2 - i1:
            raw.append(("equal", i1 + done, i2, j1 + done, j2))
    _widen_to_chunks(a, b, raw)
    merged: list[tuple[str, int, int, int, int]] = []
    for item in raw:
        if item[1] == item[2] and item[3] == item[4]:
            continue
        if merged and merged[-1][0] == item[0]:
            tag, i1, _, j1, _ = merged[-1]
            merged[-1] = (tag, i1, item[2], j1, item[4])
        else:
            merged.append(item)
    out = []
    for tag, i1, i2, j1, j2 in merged:
        left, right = a.unit_text(i1, i2), b.unit_text(j1, j2)
        if tag in ("insert", "delete") and left and right:
            tag = "replace"  # widened to whole words: both sides have text
        out.append(Segment(tag, left, right))
    return tuple(out)


def _minor_differences(a: _Analysis, b: _Analysis) -> tuple[Difference, ...]:
    """Case and punctuation differences of two texts with the same case-folded
    words, in text order (a run of adjacent words differing only in case is
    one entry; slot ``k`` comes before word ``k``)."""
    events: list[tuple[int, int, Difference]] = []
    for slot in _mismatches(a.slots, b.slots):
        difference = Difference(
            "punctuation", a.slot_text(slot), b.slot_text(slot), max(slot - 1, 0)
        )
        events.append((slot, 0, difference))
    cased = _mismatches(a.words, b.words)
    run = 0
    while run < len(cased):
        end = run
        while end + 1 < len(cased) and cased[end + 1] == cased[end] + 1:
            end += 1
        start, stop = cased[run], cased[end] + 1
        difference = Difference("case", a.word_text(start, stop), b.word_text(start, stop), start)
        events.append((start, 1, difference))
        run = end + 1
    events.sort(key=lambda event: (event[0], event[1]))
    return tuple(event[2] for event in events)


_WORD_KIND_OF_TAG = {"insert": "added", "delete": "removed", "replace": "changed"}


def compare_texts(proposal: str, resolution: str) -> Comparison:
    """Compare a recorded resolution text with the proposal text.

    Rules: see the module docstring (issue: identical-resolution check).
    The verdict is ``identical`` when ``normalize(proposal) ==
    normalize(resolution)``; ``minor`` when, beyond that, the case-folded word
    lists are equal; ``different`` otherwise.  Empty texts are allowed (the
    caller validates emptiness): two empty texts are identical.

    Args:
        proposal: the proposal text (str).
        resolution: the text the council passed (str).

    Returns:
        Comparison: verdict, differences (``case``/``punctuation`` for minor,
        ``added``/``removed``/``changed`` for different) and segments.

    Raises:
        TypeError: an argument is not a str.
        ValueError: an argument is longer than :data:`MAX_TEXT_CHARS`
            characters; the message names it (``proposal`` or
            ``resolution``), its length and the limit.
    """
    if not isinstance(proposal, str) or not isinstance(resolution, str):
        raise TypeError("compare_texts expects two strings")
    for name, text in (("proposal", proposal), ("resolution", resolution)):
        if len(text) > MAX_TEXT_CHARS:
            raise ValueError(
                f"the {name} text is too long to compare: {len(text)} characters "
                f"(the limit is {MAX_TEXT_CHARS})"
            )
    a, b = _analyse(proposal), _analyse(resolution)
    if a.words == b.words and a.slots == b.slots:  # same tokens: same normalize()
        shown_p, shown_r = a.prepared.display, b.prepared.display
        segments = (Segment("equal", shown_p, shown_r),) if shown_p or shown_r else ()
        return Comparison("identical", (), segments)

    if a.folded == b.folded:
        differences = _minor_differences(a, b)
        if a.words:
            segments = _segments(a, b, [("equal", 0, len(a.words), 0, len(b.words))])
        else:  # punctuation only, no words on either side
            shown_p, shown_r = a.prepared.display, b.prepared.display
            segments = (Segment("replace", shown_p, shown_r),)
        return Comparison("minor", differences, segments)

    ops = _word_opcodes(a, b)
    differences = tuple(
        Difference(_WORD_KIND_OF_TAG[tag], a.word_text(i1, i2), b.word_text(j1, j2), i1)
        for tag, i1, i2, j1, j2 in ops
        if tag != "equal"
    )
    return Comparison("different", differences, _segments(a, b, ops))


def render_diff(comparison: Comparison, context: int = 3) -> str:
    """Render the changed segments of a comparison as plain text for a terminal.

    Each change is shown as ``[-proposal text-]`` (removed), ``{+resolution
    text+}`` (added) or both (replaced), with up to ``context`` words of the
    proposal around it; ``…`` marks text left out.  Changes separated by at
    most ``2 * context`` unchanged words share one line; otherwise each group
    is its own line.  Segments show the text as compared (no list markers or
    end-of-point full stops).  Example: ``"… 2025 i Bygdevekstavtala [-vert
    vedteken-]{+blir vedtatt+} Styringsgruppa i Bygdevekstprosjektet …"``.

    Args:
        comparison: a :class:`Comparison`.
        context: number of unchanged words shown on each side (>= 0).

    Returns:
        str: the rendering, lines joined with ``"\\n"``; ``""`` when no segment
        is changed (in particular when the verdict is ``identical``).
    """
    segments = comparison.segments
    if all(segment.op == "equal" for segment in segments):
        return ""
    context = max(context, 0)
    lines: list[str] = []
    line: list[str] = []
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment.op != "equal":
            removed = f"[-{segment.proposal}-]" if segment.proposal else ""
            added = f"{{+{segment.resolution}+}}" if segment.resolution else ""
            line.append(removed + added)
            continue
        words = segment.proposal.split()
        if index == 0:
            shown = words[max(len(words) - context, 0) :] if context else []
            if len(shown) < len(words):
                line.append("…")
            line.extend(shown)
        elif index == last:
            line.extend(words[:context])
            if context < len(words):
                line.append("…")
        elif len(words) <= 2 * context:
            line.extend(words)
        else:
            line.extend(words[:context])
            line.append("…")
            lines.append(" ".join(line))
            line = ["…", *words[len(words) - context :]] if context else ["…"]
    lines.append(" ".join(line))
    return "\n".join(lines)
