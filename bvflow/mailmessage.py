"""Building one mail from an outbox row: headers, text and HTML parts, Message-ID.

:func:`build_message` turns an :class:`~bvflow.models.OutboxMessage` into an
:class:`email.message.EmailMessage` (policy :data:`email.policy.SMTP`, CRLF)
whose wire form is plain 7-bit ASCII with every line at most 78 characters
(PITFALLS E3): both body parts are quoted-printable UTF-8.

Headers with people's text (``From``/``To`` display names, ``Subject``) are
encoded here, not by CPython's header folder, which can emit invalid
encoded-words (``?==?``, ``=?utf-8?q??=``), split ASCII words or drop spaces
(E2, python/cpython#136052, #144156). The rules (RFC 2047/5322):

* runs of whitespace become one space, and leading/trailing space goes;
* ASCII words stay readable; each run of other words becomes Q encoded-words
  of at most 66 characters, using only characters allowed in a phrase;
* a display name's run is *one* encoded-word (decoders disagree about the
  space between two adjacent ones); a run too long for one word (more than
  45 UTF-8 bytes always fit) is shortened and ends in "…";
* lines are folded only between words, never inside one.

Addresses must be ASCII (E1: a non-ASCII address needs SMTPUTF8, which
bvflow does not use); the display names may be anything.

:func:`render_parts` renders a kind's subject, text and HTML templates,
failing loudly (StrictUndefined, J2) and HTML-escaping only the HTML (J1).
"""

from __future__ import annotations

import base64
import functools
import re
import secrets
import string
from collections.abc import Mapping
from datetime import UTC
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Any

from jinja2 import Environment, StrictUndefined, TemplateError, TemplateNotFound

from .config import MailSettings
from .errors import DeliveryError
from .models import OutboxMessage

__all__ = ["build_message", "make_message_id", "render_parts"]

_MAX_LINE = 78
#: longest encoded-word we write: "Subject: " + word still fits in 78 characters
_EW_MAX = 66
#: longest display-name encoded-word: "From: " + word fits in 78 (45 UTF-8 bytes always fit)
_NAME_EW_MAX = 72
#: longest plain word; longer ones are encoded (and so may be split)
_WORD_MAX = 60
_EW_Q = "=?utf-8?q?"
_EW_B = "=?utf-8?b?"
_Q_LITERAL = frozenset(string.ascii_letters + string.digits + "!*+-/")  # RFC 2047 5(3)
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,200}[A-Za-z0-9])?")


def make_message_id(row_id: int, partnership_id: int, domain: str) -> str:
    """A new Message-ID ``<bvflow.{partnership_id}.{row_id}.{random}@{domain}>``.

    Call it once per outbox row and store the result on the row before the
    first attempt; every retry then sends the same Message-ID (see
    :mod:`bvflow.delivery`). ``random`` is 16 hex digits, so ids stay unique
    when a database is recreated and row ids repeat.

    Raises:
        ValueError: ``domain`` is not an ASCII host name.
    """
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"domain = {domain!r}: not an ASCII host name for a Message-ID")
    return f"<bvflow.{partnership_id}.{row_id}.{secrets.token_hex(8)}@{domain}>"


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, remembering the class it makes for each
    header name: the stock one builds a new class with ``type()`` on every
    header set, a fifth of the time of building a message (bench 5). The
    classes and so the bytes of a message are the same."""

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one registry per process, kept for its life
    def __getitem__(self, name: str) -> Any:
        return super().__getitem__(name)


#: :data:`email.policy.SMTP` (CRLF, RFC 5322) with the remembering registry
POLICY = SMTP.clone(header_factory=_HeaderClasses())


def build_message(row: OutboxMessage, settings: MailSettings, domain: str) -> EmailMessage:
    """The mail for ``row``: From ``settings.sender``, To ``row.recipient_name``
    <``row.recipient``>, ``row.subject``, Date ``row.due_at`` (the moment it
    was ready to send; the same bytes on every retry), Message-ID
    ``row.message_id``, ``Auto-Submitted: auto-generated``; a text/plain part
    (``row.body_text``) and, when ``row.body_html`` is not blank, a text/html
    alternative.

    ``domain`` is the site's mail domain; the Message-ID already carries it,
    so it is not used otherwise (kept so headers naming the site can be added
    without changing callers).

    Raises:
        DeliveryError: the row has no valid Message-ID, or an address is not
            a plain ASCII address (the row can never be sent as it is).
    """
    if not row.message_id or not _MESSAGE_ID.fullmatch(row.message_id):
        raise DeliveryError(f"outbox message {row.id}: Message-ID {row.message_id!r} is missing or "
                            "invalid; deliver_due assigns one before the first attempt")
    sender_name, sender_addr = parseaddr(settings.sender)
    if not sender_addr:
        raise DeliveryError(f"mail.sender = {settings.sender!r}: not an address")
    msg = EmailMessage(policy=POLICY)
    msg.set_raw("From", _address_header("From", sender_name, sender_addr))
    msg.set_raw("To", _address_header("To", row.recipient_name, row.recipient))
    msg.set_raw("Subject", _text_header("Subject", row.subject))
    msg.set_raw("Date", format_datetime(row.due_at.astimezone(UTC)))
    msg.set_raw("Message-ID", row.message_id)
    msg.set_raw("Auto-Submitted", "auto-generated")
    msg.set_content(_with_newline(row.body_text), subtype="plain", charset="utf-8",
                    cte="quoted-printable")
    if row.body_html and row.body_html.strip():
        msg.add_alternative(_with_newline(row.body_html), subtype="html", charset="utf-8",
                            cte="quoted-printable")
    # the SMTP envelope, known here: parsing it back out of the headers cost a
    # third as much again as building the message (bench 5)
    msg.bvflow_envelope = (sender_addr, [row.recipient])  # type: ignore[attr-defined]
    return msg


def render_parts(env: Environment, lang: str, kind: str, values: Mapping[str, object]
                 ) -> tuple[str, str, str]:
    """Render ``{lang}/{kind}.subject.j2``, ``.txt.j2`` and ``.html.j2``.

    Returns (subject on one line, text, html); html is "" when the kind has
    no HTML template. ``env`` must use StrictUndefined and autoescape
    ``.html.j2`` (:func:`bvflow.notify.template_environment` does).

    Raises:
        DeliveryError: a template is missing (subject, text), does not parse,
            uses a variable ``values`` lacks, or fails while rendering; or
            ``env`` would render undefined variables as "" or not escape HTML.
    """
    if not (isinstance(env.undefined, type) and issubclass(env.undefined, StrictUndefined)):
        raise DeliveryError("the template environment must use StrictUndefined (PITFALLS J2)")
    html_name = f"{lang}/{kind}.html.j2"
    try:
        subject = env.get_template(f"{lang}/{kind}.subject.j2").render(values)
        text = env.get_template(f"{lang}/{kind}.txt.j2").render(values)
        try:
            html_template = env.get_template(html_name)
        except TemplateNotFound as exc:
            if exc.name != html_name:
                raise
            return " ".join(subject.split()), text, ""
        escapes = env.autoescape(html_name) if callable(env.autoescape) else env.autoescape
        if not escapes:
            raise DeliveryError(f"template {html_name}: autoescape is off (PITFALLS J1)")
        html = html_template.render(values)
    except (TemplateError, TypeError, ValueError) as exc:
        raise DeliveryError(f"template {lang}/{kind}: {type(exc).__name__}: {exc}") from exc
    return " ".join(subject.split()), text, html


# -- headers -----------------------------------------------------------------

def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _needs_encoding(word: str, phrase: bool) -> bool:
    if not word.isascii() or not word.isprintable() or "=?" in word or "?=" in word:
        return True
    if len(word) > _WORD_MAX:
        return True
    return phrase and not set(word) <= _ATEXT


def _runs(text: str, phrase: bool) -> list[tuple[bool, str]]:
    """Words of ``text`` as (encode?, text); neighbouring encoded words are merged."""
    out: list[tuple[bool, str]] = []
    for word in text.split():
        enc = _needs_encoding(word, phrase)
        if enc and out and out[-1][0]:
            out[-1] = (True, out[-1][1] + " " + word)
        else:
            out.append((enc, word))
    return out


def _q(ch: str) -> str:
    if ch == " ":
        return "_"
    if ch in _Q_LITERAL:
        return ch
    return "".join(f"={b:02X}" for b in ch.encode("utf-8"))


def _q_words(text: str) -> list[str]:
    """``text`` as Q encoded-words of at most _EW_MAX characters, split between characters."""
    words: list[str] = []
    cur = ""
    for ch in text:
        q = _q(ch)
        if cur and len(_EW_Q) + len(cur) + len(q) + 2 > _EW_MAX:
            words.append(f"{_EW_Q}{cur}?=")
            cur = ""
        cur += q
    words.append(f"{_EW_Q}{cur}?=")
    return words


def _one_word(text: str) -> str:
    """``text`` as a single encoded-word (Q or B, the shorter), shortened with "…" if needed."""
    cut = text
    while True:
        q = f"{_EW_Q}{''.join(_q(c) for c in cut)}?="
        b = f"{_EW_B}{base64.b64encode(cut.encode('utf-8')).decode('ascii')}?="
        best = min(q, b, key=len)
        if len(best) <= _NAME_EW_MAX:
            return best
        cut = cut[:-2].rstrip() + "…"


def _fold(name: str, pieces: list[str]) -> str:
    """Join ``pieces`` with spaces, breaking lines (CRLF + space) only between pieces."""
    lines: list[str] = []
    cur = ""
    room = _MAX_LINE - len(name) - 2
    for piece in pieces:
        if not cur:
            cur = piece
        elif len(cur) + 1 + len(piece) <= room:
            cur += " " + piece
        else:
            lines.append(cur)
            cur, room = piece, _MAX_LINE - 1
    lines.append(cur)
    return "\n ".join(lines)


def _text_header(name: str, text: str) -> str:
    """An unstructured header value (Subject): folded, non-ASCII runs as encoded-words."""
    pieces: list[str] = []
    for enc, run in _runs(text, phrase=False):
        pieces.extend(_q_words(run) if enc else [run])
    return _fold(name, pieces)


def _address_header(name: str, display: str, addr: str) -> str:
    """``display <addr>`` for an address header, the display name encoded as needed.

    Raises:
        DeliveryError: ``addr`` is not a plain ASCII addr-spec.
    """
    addr = addr.strip()
    local, at, host = addr.rpartition("@")
    if (not at or not local or not host or not addr.isascii() or not addr.isprintable()
            or any(c in addr for c in ' <>(),;:"[]\\')):
        raise DeliveryError(f"{name} address {addr!r}: not a plain ASCII address "
                            "(non-ASCII addresses need SMTPUTF8, PITFALLS E1)")
    display = " ".join(display.split())
    if not display:
        return addr
    tail = f"<{addr}>"
    if display.isascii() and display.isprintable() and "=?" not in display:
        if not all(set(w) <= _ATEXT for w in display.split()):
            display = '"' + display.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if len(name) + 2 + len(display) + 1 + len(tail) <= _MAX_LINE:
            return f"{display} {tail}"
        display = display.strip('"').replace('\\"', '"').replace("\\\\", "\\")
    pieces = [_one_word(run) if enc else run for enc, run in _runs(display, phrase=True)]
    return _fold(name, [*pieces, tail])
