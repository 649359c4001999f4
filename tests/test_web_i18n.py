"""The gettext catalogues cover every message of the web pages, in nynorsk and bokmål."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bvflow.web.i18n import LOCALE_DIR, translations

WEB = Path(__file__).resolve().parents[1] / "bvflow" / "web"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def _message_ids() -> set[str]:
    ids = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(str(WEB), METHODS):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_extraction_finds_the_pages_messages() -> None:
    ids = _message_ids()
    assert len(ids) > 100
    assert {"Record a resolution", "Open findings", "Accept as equivalent"} <= ids


@pytest.mark.parametrize("lang", ["nn", "nb"])
def test_every_message_is_translated(lang: str) -> None:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "bvflow.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id): m.string for m in catalog
                  if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
                  and not m.fuzzy}
    missing = sorted(_message_ids() - set(translated))
    assert not missing, f"untranslated in {lang}: {missing}; run pybabel extract (bvflow/web/babel.cfg)"
    placeholders = [mid for mid, s in translated.items()
                    if any(mid.count("%(") != t.count("%(") for t in (s if isinstance(s, tuple) else (s,)))]
    assert not placeholders


def test_translations_are_used() -> None:
    assert translations("nn").gettext("Open findings") == "Opne funn"
    assert translations("nb").gettext("Open findings") == "Åpne funn"
    assert translations("en").gettext("Open findings") == "Open findings"
    assert translations("nn").ngettext("%(num)d critical", "%(num)d critical", 2) == "%(num)d kritiske"
    assert translations("nb").ngettext("%(num)d critical", "%(num)d critical", 1) == "%(num)d kritisk"
