"""Outbox delivery against a real SMTP server (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL.

Cases: mail-headers-01, mail-recipients-01, mail-escape-01, mail-template-01
(``../shared/cases``); PITFALLS E1–E5, J1, J2. Nothing of bvflow is mocked:
the server's handler can refuse a recipient (550), answer 451 once, or be
stopped; transports that "crash" wrap the real ones.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import DictLoader, Environment, StrictUndefined, meta, select_autoescape
from sqlmodel import select

from bvflow.config import MailSettings
from bvflow.db import unit_of_work
from bvflow.defaults import default_path
from bvflow.delivery import (
    DeliveryReport,
    FolderTransport,
    SendResult,
    SmtpTransport,
    claim_duration,
    deliver_due_sync,
    transport_for,
)
from bvflow.errors import DeliveryError
from bvflow.mailmessage import build_message, make_message_id, render_parts
from bvflow.models import OutboxMessage
from bvflow.notify import template_environment
from bvflow.site import Site

T0 = datetime(2025, 5, 2, 10, 0, tzinfo=UTC)
SUBJECT = ("Påminning: Fyresdal, Kviteseid, Nissedal, Seljord, Tokke og Vinje må handsame "
           "handlingsplanen før fristen går ut")
NASTY = "<script>alert(1)</script> Ærlig & Ødegård"
LANGS = ("nn", "nb", "en")


# -- a real SMTP server ------------------------------------------------------

class Recorder:
    """aiosmtpd handler: records every message; can refuse or defer recipients."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[list[str], bytes]] = []
        self.rcpt_attempts: Counter[str] = Counter()
        self.mail_commands = 0
        self.refuse: set[str] = set()  # 550 every time
        self.defer_once: set[str] = set()  # 451 on the first RCPT
        self.drop_once: set[str] = set()  # the first DATA closes the connection, unanswered
        self.hang_once: set[str] = set()  # the first DATA is never answered in time
        self.dropped: set[str] = set()

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        with self.lock:
            self.mail_commands += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        with self.lock:
            self.rcpt_attempts[address] += 1
            if address in self.refuse:
                return "550 5.1.1 mailbox unavailable"
            if address in self.defer_once and self.rcpt_attempts[address] == 1:
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            first = [a for a in envelope.rcpt_tos if a not in self.dropped]
            self.dropped.update(first)
        if set(first) & self.drop_once:
            server.transport.close()
            return "421 4.3.2 gone"
        if set(first) & self.hang_once:
            await asyncio.sleep(3)
            return "451 4.3.0 too late"
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 accepted"

    def count(self, address: str) -> int:
        return sum(address in rcpts for rcpts, _ in self.received)

    def parsed(self) -> list[EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
                for _, raw in self.received]


class SmtpServer:
    """An aiosmtpd server on a fixed free port of 127.0.0.1 that can be stopped and restarted."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.handler = Recorder()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self, **kw: Any) -> MailSettings:
        values: dict[str, Any] = dict(transport="smtp", host="127.0.0.1", port=self.port,
                                      security="none", timeout_seconds=5,
                                      sender="Bygdevekst Vest-Telemark <bvflow@example.org>")
        return MailSettings(**(values | kw))


@pytest.fixture
def smtp() -> Any:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


# -- rows ----------------------------------------------------------------------

def add_rows(site: Site, *recipients: tuple[str, str], subject: str = "Test", html: str = "",
             latest_at: datetime | None = None) -> list[int]:
    """Insert pending outbox rows due at T0; returns their ids."""
    pid = site.scope(None).id
    with unit_of_work(site.engine) as s:
        rows = [OutboxMessage(
            partnership_id=pid, kind="finding", severity="warning", dedupe_key=f"test:{i}:{addr}",
            recipient=addr, recipient_name=name, subject=subject,
            body_text=f"Hei {name},\n\nDette er ein test med æøå.\n", body_html=html,
            created_at=T0, due_at=T0, latest_at=latest_at,
        ) for i, (name, addr) in enumerate(recipients)]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows if r.id is not None]


def outbox(site: Site) -> dict[str, OutboxMessage]:
    with unit_of_work(site.engine) as s:
        return {r.recipient: r for r in s.exec(select(OutboxMessage))}


def header_block(raw: bytes) -> str:
    return raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("ascii")


def content(msg: EmailMessage, subtype: str) -> str:
    """The decoded text of a part, with the wire's CRLF line ends as "\\n"."""
    part = msg.get_body((subtype,))
    assert part is not None, subtype
    return str(part.get_content()).replace("\r\n", "\n")


def assert_wire_ok(raw: bytes) -> None:
    """PITFALLS E2/E3: 7-bit, lines ≤ 78, no broken encoded-words."""
    assert raw.isascii()
    long = [line for line in raw.splitlines() if len(line) > 78]
    assert not long, long
    headers = header_block(raw)
    assert "?==?" not in headers
    assert not re.search(r"=\?utf-8\?[qb]\?\?=", headers, re.IGNORECASE), headers


# -- mail-headers-01 -----------------------------------------------------------

def test_mail_headers_01_norwegian_names_and_long_subject(site: Site, smtp: SmtpServer) -> None:
    """mail-headers-01: RFC 2047 names and subject survive a real server byte for byte."""
    people = [("Åse Ærø", "ase@example.org"), ("Bjørn Ødegård", "bjorn@example.org")]
    add_rows(site, *people, subject=SUBJECT, html="<p>Hei</p>")
    report = deliver_due_sync(site.engine, smtp.settings(), T0)
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    assert len(smtp.handler.received) == 2
    stored = outbox(site)
    for (rcpts, raw), msg in zip(smtp.handler.received, smtp.handler.parsed(), strict=True):
        assert_wire_ok(raw)
        (addr,) = rcpts
        name = dict((a, n) for n, a in people)[addr]
        (to,) = msg["To"].addresses
        assert (to.display_name, to.addr_spec) == (name, addr)
        assert str(msg["Subject"]) == SUBJECT
        assert msg["From"].addresses[0].display_name == "Bygdevekst Vest-Telemark"
        assert msg["Message-ID"] == stored[addr].message_id
        assert content(msg, "plain") == stored[addr].body_text
        assert content(msg, "html") == "<p>Hei</p>\n"


_WORDS = st.sampled_from([*"abcæøåÆØÅ éü–,.;:()[]<>\"'\\=?_@-\t", "😀", "Fyresdal", "handlingsplanen ",
                          "a" * 70, " =?utf-8?q?x?= "])
_TEXT = st.lists(_WORDS, max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(subject=_TEXT, name=st.text(st.sampled_from(list("AaØøÅåÆæ .,\"()[]<>@;:\\\t-=?😀")), max_size=40))
def test_header_encoding_property(subject: str, name: str) -> None:
    """PITFALLS E2 as a property: any subject/name round-trips (whitespace normalised), lines ≤ 78."""
    row = OutboxMessage(id=7, partnership_id=1, kind="finding", dedupe_key="k", recipient="x@example.org",
                        recipient_name=name, subject=subject, body_text="x", due_at=T0,
                        message_id=make_message_id(7, 1, "example.org"))
    raw = build_message(row, MailSettings(), "example.org").as_bytes()
    assert_wire_ok(raw)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(msg["Subject"]) == " ".join(subject.split())
    name = " ".join(name.split())
    shown = msg["To"].addresses[0].display_name
    if len(name.encode("utf-8")) <= 45:  # always fits in one encoded-word
        assert shown == name
    else:  # may be shortened, never garbled
        assert shown == name or (shown.endswith("…") and name.startswith(shown[:-1].rstrip()))
    assert msg["To"].addresses[0].addr_spec == "x@example.org"


def test_too_long_display_name_is_shortened_not_broken() -> None:
    name = "Styringsgruppa for Bygdevekstavtala i Vest-Telemark – sekretariatet ved " + "æøå" * 20
    row = OutboxMessage(id=7, partnership_id=1, kind="finding", dedupe_key="k", recipient="x@example.org",
                        recipient_name=name, subject="s", body_text="x", due_at=T0,
                        message_id=make_message_id(7, 1, "example.org"))
    raw = build_message(row, MailSettings(), "example.org").as_bytes()
    assert_wire_ok(raw)
    shown = email.message_from_bytes(raw, policy=email.policy.default)["To"].addresses[0].display_name
    assert shown.endswith("…") and name.startswith(shown[:-1]) and len(shown) > 40


def test_non_ascii_address_is_refused_for_good(site: Site, smtp: SmtpServer) -> None:
    """PITFALLS E1: a non-ASCII address would need SMTPUTF8; the row fails, nothing is sent."""
    add_rows(site, ("Bjørn", "bjørn@example.org"))
    report = deliver_due_sync(site.engine, smtp.settings(), T0)
    assert (report.sent, report.failed) == (0, 1)
    row = outbox(site)["bjørn@example.org"]
    assert row.status == "failed" and "SMTPUTF8" in row.last_error
    assert smtp.handler.received == []


# -- mail-recipients-01 --------------------------------------------------------

def test_mail_recipients_01_550_fails_451_retries_once(site: Site, smtp: SmtpServer) -> None:
    """mail-recipients-01: 550 → failed for good; 451 → retried later, delivered once; third sent once."""
    smtp.handler.refuse.add("refused@example.org")
    smtp.handler.defer_once.add("later@example.org")
    add_rows(site, ("Nei", "refused@example.org"), ("Seinare", "later@example.org"),
             ("Ja", "ok@example.org"))
    cfg = smtp.settings(batch_size=2, retry_base_seconds=60)  # two batches

    report = deliver_due_sync(site.engine, cfg, T0)
    assert (report.sent, report.retried, report.failed) == (1, 1, 1)
    rows = outbox(site)
    assert rows["refused@example.org"].status == "failed"
    assert "550" in rows["refused@example.org"].last_error
    later = rows["later@example.org"]
    assert later.status == "pending" and later.attempts == 1 and "451" in later.last_error
    assert later.next_attempt_at == T0 + timedelta(seconds=60)
    assert rows["ok@example.org"].status == "sent" and rows["ok@example.org"].sent_at == T0

    assert deliver_due_sync(site.engine, cfg, T0 + timedelta(seconds=59)) == DeliveryReport()
    report = deliver_due_sync(site.engine, cfg, T0 + timedelta(seconds=61))
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    assert deliver_due_sync(site.engine, cfg, T0 + timedelta(days=2)) == DeliveryReport()

    rows = outbox(site)
    assert [rows[a].status for a in ("refused@example.org", "later@example.org", "ok@example.org")] \
        == ["failed", "sent", "sent"]
    assert rows["later@example.org"].message_id == later.message_id  # same id on the retry
    h = smtp.handler
    assert (h.count("later@example.org"), h.count("ok@example.org"), h.count("refused@example.org")) \
        == (1, 1, 0)
    assert h.rcpt_attempts["refused@example.org"] == 1  # never retried


# -- server down, crash, STARTTLS ------------------------------------------------

def test_smtp_down_for_an_hour_then_back(site: Site, smtp: SmtpServer) -> None:
    """Server down: every message is retried with growing delays; back up: each received once."""
    smtp.stop()
    people = [(f"Person {i}", f"p{i}@example.org") for i in range(3)]
    add_rows(site, *people)
    cfg = smtp.settings(retry_base_seconds=60)
    now, delays, ids = T0, [], None
    for _ in range(4):
        report = deliver_due_sync(site.engine, cfg, now)
        assert (report.sent, report.retried, report.failed) == (0, 3, 0)
        rows = outbox(site)
        assert {r.status for r in rows.values()} == {"pending"}
        assert all("no usable connection" in r.last_error for r in rows.values())
        ids = ids or {a: r.message_id for a, r in rows.items()}
        assert {a: r.message_id for a, r in rows.items()} == ids
        (nxt,) = {r.next_attempt_at for r in rows.values()}
        assert nxt is not None
        delays.append(nxt - now)
        now = nxt
    assert delays == [timedelta(seconds=s) for s in (60, 120, 240, 480)]

    smtp.start()
    now = T0 + timedelta(hours=1)
    while (report := deliver_due_sync(site.engine, cfg, now)).sent or report.retried:
        now += timedelta(minutes=5)
    assert {r.status for r in outbox(site).values()} == {"sent"}
    assert [smtp.handler.count(a) for _, a in people] == [1, 1, 1]
    assert {str(m["Message-ID"]) for m in smtp.handler.parsed()} == set(ids.values())


@pytest.mark.parametrize("trouble", ["drop_once", "hang_once"])
def test_connection_lost_mid_batch_retries_the_rest(site: Site, smtp: SmtpServer, trouble: str) -> None:
    """PITFALLS E5: a lost or hung connection is not reused; the message and the rest of
    the batch are retried on a new connection, each delivered once."""
    getattr(smtp.handler, trouble).add("b@example.org")
    add_rows(site, ("A", "a@example.org"), ("B", "b@example.org"), ("C", "c@example.org"))
    cfg = smtp.settings(timeout_seconds=0.5, retry_base_seconds=60)
    report = deliver_due_sync(site.engine, cfg, T0)
    assert (report.sent, report.retried, report.failed) == (1, 2, 0)
    rows = outbox(site)
    assert [rows[a].status for a in ("a@example.org", "b@example.org", "c@example.org")] \
        == ["sent", "pending", "pending"]
    assert "connection lost" in rows["c@example.org"].last_error
    assert deliver_due_sync(site.engine, cfg, T0 + timedelta(minutes=2)).sent == 2
    assert [smtp.handler.count(a) for a in ("a@example.org", "b@example.org", "c@example.org")] == [1, 1, 1]


def test_gives_up_after_max_attempts(site: Site, smtp: SmtpServer) -> None:
    smtp.stop()
    add_rows(site, ("A", "a@example.org"))
    cfg = smtp.settings(max_attempts=2, retry_base_seconds=1)
    assert deliver_due_sync(site.engine, cfg, T0).retried == 1
    assert deliver_due_sync(site.engine, cfg, T0 + timedelta(seconds=2)).failed == 1
    row = outbox(site)["a@example.org"]
    assert row.status == "failed" and row.attempts == 2 and "gave up after 2 attempts" in row.last_error


class Killed(BaseException):
    """Stands for the process being killed."""


class CrashAfterSend:
    """Delivers through the real transport, then dies before deliver_due can mark anything."""

    def __init__(self, inner: SmtpTransport) -> None:
        self.inner = inner

    async def send_batch(self, messages: list[EmailMessage]) -> list[SendResult]:
        await self.inner.send_batch(messages)
        raise Killed


def test_killed_between_send_and_mark_resends_with_same_message_id(site: Site, smtp: SmtpServer) -> None:
    """The documented guarantee: at least once; a crash after acceptance gives a second copy
    with the SAME Message-ID (so receivers can drop it)."""
    add_rows(site, ("Åse Ærø", "ase@example.org"))
    cfg = smtp.settings()
    with pytest.raises(Killed):
        deliver_due_sync(site.engine, cfg, T0, transport=CrashAfterSend(SmtpTransport(cfg)))
    row = outbox(site)["ase@example.org"]
    assert row.status == "pending" and row.message_id and smtp.handler.count("ase@example.org") == 1

    # a rerun before the claim has expired leaves it alone (another process may still be sending)
    assert deliver_due_sync(site.engine, cfg, T0 + timedelta(seconds=1)).sent == 0
    report = deliver_due_sync(site.engine, cfg, T0 + claim_duration(cfg))
    assert report.sent == 1
    assert smtp.handler.count("ase@example.org") == 2
    assert [str(m["Message-ID"]) for m in smtp.handler.parsed()] == [row.message_id] * 2
    assert outbox(site)["ase@example.org"].status == "sent"


class Broken:
    async def send_batch(self, messages: list[EmailMessage]) -> list[SendResult]:
        raise RuntimeError("bug in a transport")


def test_transport_error_is_a_retry(site: Site) -> None:
    add_rows(site, ("A", "a@example.org"))
    report = deliver_due_sync(site.engine, MailSettings(), T0, transport=Broken())
    assert report.retried == 1
    row = outbox(site)["a@example.org"]
    assert row.status == "pending" and row.attempts == 1 and "bug in a transport" in row.last_error


def test_starttls_required_never_falls_back_to_plaintext(site: Site, smtp: SmtpServer) -> None:
    """PITFALLS E4: security='starttls' against a server without STARTTLS sends nothing."""
    add_rows(site, ("A", "a@example.org"), ("B", "b@example.org"))
    report = deliver_due_sync(site.engine, smtp.settings(security="starttls"), T0)
    assert (report.sent, report.retried, report.failed) == (0, 2, 0)
    assert smtp.handler.received == [] and smtp.handler.mail_commands == 0
    for row in outbox(site).values():
        assert row.status == "pending" and "STARTTLS" in row.last_error and "plaintext" in row.last_error


# -- folder transport ------------------------------------------------------------

def test_folder_transport_one_file_per_message_id(site: Site, tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    cfg = MailSettings(transport="folder", folder=str(folder))
    late = T0 - timedelta(days=1)  # past its latest useful time: still sent
    add_rows(site, ("Åse Ærø", "ase@example.org"), ("Bjørn Ødegård", "bjorn@example.org"),
             subject=SUBJECT, latest_at=late)
    assert isinstance(transport_for(cfg), FolderTransport)
    assert deliver_due_sync(site.engine, cfg, T0).sent == 2
    files = sorted(folder.iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)
    rows = outbox(site)
    by_id = {}
    for f in files:
        raw = f.read_bytes()
        assert_wire_ok(raw)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        by_id[str(msg["Message-ID"])] = msg
    assert set(by_id) == {r.message_id for r in rows.values()}

    # delivering the same Message-ID again overwrites its file, never adds one
    msg = build_message(rows["ase@example.org"], cfg, "bvflow.local")
    assert FolderTransport(folder).path_for(msg).exists()
    results = asyncio.run(FolderTransport(folder).send_batch([msg, msg]))
    assert [r.status for r in results] == ["sent", "sent"]
    assert sorted(folder.iterdir()) == files  # no second file, no temporary left


# -- templates: mail-escape-01, mail-template-01 ---------------------------------

def finding_values(**over: object) -> dict[str, object]:
    values: dict[str, object] = {
        "recipient": "Åse Ærø", "partnership": "Bygdevekstavtala Vest-Telemark",
        "plan": "handlingsplan-2025", "version": 1, "party": "Seljord kommune",
        "kind": "missing_record", "kind_label": "Manglande vedtak", "severity": "warning",
        "severity_label": "Åtvaring", "message": "Vedtaket frå 12. mai er ikkje registrert.",
        "date": "12. mai 2025",
    }
    return values | over


@pytest.mark.parametrize("lang", LANGS)
def test_mail_escape_01_html_escaped_text_literal(lang: str) -> None:
    """mail-escape-01: HTML part escaped, text part and subject literal (PITFALLS J1)."""
    env = template_environment(None)
    subject, text, html = render_parts(env, lang, "finding", finding_values(party=NASTY, message=NASTY))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ærlig &amp; Ødegård" in html
    assert "<script>" not in html
    assert NASTY in text and NASTY in subject


def test_mail_escape_01_through_the_server(site: Site, smtp: SmtpServer) -> None:
    """mail-escape-01 end to end: what the server receives is escaped in HTML only."""
    subject, text, html = render_parts(template_environment(None), "nn", "finding",
                                       finding_values(party=NASTY))
    pid = site.scope(None).id
    with unit_of_work(site.engine) as s:
        s.add(OutboxMessage(partnership_id=pid, kind="finding", dedupe_key="esc", recipient="a@example.org",
                            recipient_name=NASTY, subject=subject, body_text=text, body_html=html,
                            created_at=T0, due_at=T0))
    assert deliver_due_sync(site.engine, smtp.settings(), T0).sent == 1
    (raw,) = [r for _, r in smtp.handler.received]
    assert_wire_ok(raw)
    (msg,) = smtp.handler.parsed()
    assert NASTY in str(msg["Subject"])
    assert msg["To"].addresses[0].display_name == NASTY
    assert NASTY in content(msg, "plain")
    body = content(msg, "html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ærlig &amp; Ødegård" in body and "<script>" not in body


def _strict_env(templates: dict[str, str], **kw: Any) -> Environment:
    options: dict[str, Any] = dict(
        loader=DictLoader(templates), undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False))
    return Environment(**(options | kw))


def test_mail_template_01_undefined_variable_fails_loudly() -> None:
    """mail-template-01: a variable the context lacks raises DeliveryError, no blank mail."""
    env = _strict_env({"nn/x.subject.j2": "Hei {{ recipient }}", "nn/x.txt.j2": "{{ nope }}",
                       "nn/y.subject.j2": "ok", "nn/y.txt.j2": "ok", "nn/y.html.j2": "<p>{{ nope }}</p>"})
    with pytest.raises(DeliveryError, match="nope"):
        render_parts(env, "nn", "x", {"recipient": "Åse"})
    with pytest.raises(DeliveryError, match="nope"):
        render_parts(env, "nn", "y", {})
    with pytest.raises(DeliveryError, match="missing"):
        render_parts(env, "nn", "missing", {})
    assert render_parts(_strict_env({"nn/z.subject.j2": " a\n b ", "nn/z.txt.j2": "t"}), "nn", "z", {}) \
        == ("a b", "t", "")
    with pytest.raises(DeliveryError, match="StrictUndefined"):
        render_parts(Environment(loader=DictLoader({})), "nn", "x", {})
    with pytest.raises(DeliveryError, match="autoescape"):
        render_parts(_strict_env({"nn/y.subject.j2": "s", "nn/y.txt.j2": "t", "nn/y.html.j2": "h"},
                                 autoescape=False), "nn", "y", {})


#: a complete context per template kind; kinds not listed get a value for every
#: variable the templates use (add an entry when a kind needs richer values)
CONTEXTS: dict[str, dict[str, object]] = {"finding": finding_values()}


def test_mail_template_01_every_shipped_template_renders() -> None:
    """mail-template-01: every template in notifications/ renders in every language."""
    root = default_path("notifications")
    env = template_environment(None)
    kinds = {p.name.split(".", 1)[0] for lang in LANGS for p in (root / lang).glob("*.j2")}
    assert "finding" in kinds
    for kind in sorted(kinds):
        names = [f"{lang}/{p.name}" for lang in LANGS for p in sorted((root / lang).glob(f"{kind}.*.j2"))]
        used: set[str] = set()
        for name in names:
            source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
            used |= meta.find_undeclared_variables(env.parse(source))
        context = CONTEXTS.get(kind) or {v: f"{v} Ærlig & Ødegård" for v in used}
        assert used <= set(context), f"{kind}: the templates use {used - set(context)}"
        for lang in LANGS:
            subject, text, html = render_parts(env, lang, kind, context)
            assert subject and text.strip(), (lang, kind)
            if (root / lang / f"{kind}.html.j2").exists():
                assert f'<html lang="{lang}">' in html, (lang, kind)
