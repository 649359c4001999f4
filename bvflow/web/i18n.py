"""Translations of the web pages: gettext catalogues kept as Babel ``.po`` files.

The message ids are English; ``locale/nn`` (nynorsk, the default) and
``locale/nb`` (bokmål) hold the translations; English needs none. The ``.po``
files are read with Babel and compiled in memory when the app starts, so no
build step is needed. ``tests/test_web_i18n.py`` extracts every message id
from the templates and the web modules and checks both catalogues carry it.

Words of the domain (plan and case states, outcomes, verdicts) come from
:mod:`bvflow.messages`, which the CLI and the mails share.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "LOCALE_DIR", "translations"]

LOCALE_DIR = Path(__file__).parent / "locale"
#: the languages of the pages, default first
LANGUAGES = ("nn", "nb", "en")
#: each language's name in itself, for the language switch
LANGUAGE_NAMES = {"nn": "Nynorsk", "nb": "Bokmål", "en": "English"}


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The gettext translations for ``lang`` (``nn``, ``nb``; anything else: English)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "bvflow.po"
    if lang == "en" or not po.is_file():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain="bvflow")
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain="bvflow")
