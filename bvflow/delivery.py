"""Delivering the outbox: SMTP or a folder of ``.eml`` files, never inside a transaction.

:func:`deliver_due` (or :func:`deliver_due_sync`) works in three steps per
batch of at most ``mail.batch_size`` rows:

1. *Claim*, in one short transaction: pending rows that are due
   (``due_at <= now`` and ``next_attempt_at`` empty or ``<= now``), by id.
   Each gets its Message-ID now if it has none, and ``next_attempt_at`` is
   pushed to ``now + claim_duration(settings)``, so a second delivering
   process skips the batch while this one works on it.
2. *Send*, with no transaction open (PITFALLS D1): one SMTP connection per
   batch (E5), or one file per message.
3. *Mark*, one short transaction per batch: ``sent`` (``sent_at = now``);
   ``retry`` (``attempts + 1``, ``next_attempt_at = now + retry_base_seconds
   * 2**(attempts - 1)``, at most one day; ``failed`` once ``attempts``
   reaches ``max_attempts``); ``failed`` (never retried). ``last_error``
   keeps the last problem seen.

A row whose ``latest_at`` has passed is still sent: late is better than never.

Delivery guarantee: **at least once**. A message is marked sent only after
the server (or the file system) accepted it, so a crash, a kill or a lost
connection between the server's acceptance and the mark leaves the row
pending, and it is sent again once its claim has expired (after
:func:`claim_duration`). That second copy has the **same Message-ID** (it
is stored on the row before the first attempt and reused on every retry),
so mail servers and clients that drop duplicates by Message-ID show it
once; others show it twice. Duplicates *upstream* of delivery — the same
finding or reminder computed again by a rerun, a restart or a second
process — cannot arise: the outbox's unique dedupe key per partnership
admits each notification once (R5).

SMTP outcomes (E4, E5): 2xx → sent; a recipient refused with 5xx, or a 5xx
reply to MAIL/DATA → failed; 4xx → retry; no connection, timeout, lost
connection, failed login or TLS → every message of the batch not yet
accepted is retried. With ``security = "starttls"`` a server that offers no
STARTTLS gets nothing (retry, "server offers no STARTTLS; refusing to send
in plaintext").

Instants (``now``, ``*_at``) are aware UTC datetimes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import ssl
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Protocol

import aiosmtplib
from sqlalchemy import ColumnElement, Engine, case, or_, update
from sqlmodel import col, select

from .config import MailSettings
from .db import unit_of_work
from .errors import DeliveryError
from .mailmessage import build_message, make_message_id
from .models import OutboxMessage

__all__ = [
    "DeliveryReport",
    "FolderTransport",
    "SendResult",
    "SmtpTransport",
    "Transport",
    "claim_duration",
    "deliver_due",
    "deliver_due_sync",
    "transport_for",
]

log = logging.getLogger(__name__)

SendStatus = Literal["sent", "retry", "failed"]
_MAX_DELAY = timedelta(days=1)


@dataclass(frozen=True)
class SendResult:
    """What happened to one message: ``sent``, ``retry`` (temporary) or
    ``failed`` (permanent); ``detail`` is the server's reply or the problem."""

    status: SendStatus
    detail: str = ""


@dataclass(frozen=True)
class DeliveryReport:
    """Counts of one :func:`deliver_due` run. ``retried``: left pending for a
    later attempt; ``failed``: refused for good or out of attempts."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


class Transport(Protocol):
    """Sends a batch; returns one result per message, in order."""

    async def send_batch(self, messages: list[EmailMessage]) -> list[SendResult]: ...


class FolderTransport:
    """Writes each message to ``folder/<Message-ID>.eml`` (RFC 5322 bytes, CRLF).

    The file name is the Message-ID without ``<>``, other characters than
    letters, digits and ``._@+-`` replaced by ``_``. Writing is atomic (a
    temporary file, then ``os.replace``) and idempotent: the same Message-ID
    overwrites its file, it never makes a second one.
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def path_for(self, msg: EmailMessage) -> Path:
        """The file of ``msg``. Raises DeliveryError: ``msg`` has no Message-ID."""
        mid = str(msg.get("Message-ID", "")).strip().strip("<>")
        if not mid:
            raise DeliveryError("message without a Message-ID")
        name = re.sub(r"[^A-Za-z0-9._@+-]", "_", mid)[:200].lstrip(".") or "_"
        return self.folder / f"{name}.eml"

    async def send_batch(self, messages: list[EmailMessage]) -> list[SendResult]:
        return [await asyncio.to_thread(self._write, msg) for msg in messages]

    def _write(self, msg: EmailMessage) -> SendResult:
        try:
            path = self.path_for(msg)
        except DeliveryError as exc:
            return SendResult("failed", str(exc))
        tmp = ""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                fh.write(msg.as_bytes())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            if tmp:
                Path(tmp).unlink(missing_ok=True)
            return SendResult("retry", f"cannot write {path}: {exc}")
        return SendResult("sent", f"written to {path}")


class SmtpTransport:
    """Sends a batch over one SMTP connection (aiosmtplib), opened and closed per batch.

    ``security``: ``starttls`` → plain connect, then STARTTLS, required;
    ``tls`` → implicit TLS (``use_tls``); ``none`` → plain (local relay).
    Logs in when ``username`` is set. ``tls_context`` replaces the default
    (certificate-checking) context, e.g. for a private CA.
    """

    def __init__(self, settings: MailSettings, *, tls_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.tls_context = tls_context

    async def send_batch(self, messages: list[EmailMessage]) -> list[SendResult]:
        if not messages:
            return []
        s = self.settings
        where = f"{s.host}:{s.port}"
        client = aiosmtplib.SMTP(hostname=s.host, port=s.port, use_tls=s.security == "tls",
                                 start_tls=False, timeout=s.timeout_seconds,
                                 tls_context=self.tls_context)
        try:
            await client.connect()
            if s.security == "starttls":
                await client.ehlo()
                if not client.supports_extension("starttls"):
                    client.close()
                    return _all(messages, "retry", f"{where}: server offers no STARTTLS; refusing to "
                                "send in plaintext (mail.security = 'starttls')")
                await client.starttls()
            if s.username:
                await client.login(s.username, s.password or "")
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            log.warning("SMTP %s: no usable connection: %r", where, exc)
            return _all(messages, "retry", f"{where}: no usable connection: {_describe(exc)}")
        results: list[SendResult] = []
        for msg in messages:
            try:
                result = await self._send_one(client, msg)
            except (aiosmtplib.SMTPException, OSError) as exc:
                # lost connection or timeout: never reuse it (E5); the rest is retried later
                client.close()
                log.warning("SMTP %s: connection lost: %r", where, exc)
                detail = f"{where}: connection lost: {_describe(exc)}"
                return results + _all(messages[len(results):], "retry", detail)
            results.append(result)
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()
        return results

    async def _send_one(self, client: aiosmtplib.SMTP, msg: EmailMessage) -> SendResult:
        envelope = getattr(msg, "bvflow_envelope", None)  # set by build_message
        try:
            if envelope is not None:
                sender, recipients = envelope
            else:
                sender = msg["From"].addresses[0].addr_spec
                recipients = [a.addr_spec for a in msg["To"].addresses]
        except (AttributeError, IndexError, TypeError) as exc:
            return SendResult("failed", f"no sender or recipient in the message: {exc}")
        mid = msg.get("Message-ID", "")
        try:
            errors, reply = await client.send_message(msg, sender=sender, recipients=recipients)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            for r in exc.recipients:
                log.warning("SMTP: %s refused for %s: %s %s", r.recipient, mid, r.code, r.message)
            status: SendStatus = "failed" if all(_permanent(r.code) for r in exc.recipients) else "retry"
            return SendResult(status, "; ".join(f"{r.recipient}: {r.code} {r.message}"
                                                for r in exc.recipients))
        except aiosmtplib.SMTPResponseException as exc:
            log.warning("SMTP: %s refused: %s %s", mid, exc.code, exc.message)
            return SendResult("failed" if _permanent(exc.code) else "retry", f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPNotSupported, ValueError) as exc:
            return SendResult("failed", str(exc))
        if errors:  # some recipients refused, others accepted: the message went out
            for addr, resp in errors.items():
                log.warning("SMTP: %s refused for %s: %s %s", addr, mid, resp.code, resp.message)
            return SendResult("sent", "accepted, but refused for " + "; ".join(
                f"{addr}: {resp.code} {resp.message}" for addr, resp in errors.items()))
        return SendResult("sent", reply)


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _all(messages: list[EmailMessage], status: SendStatus, detail: str) -> list[SendResult]:
    return [SendResult(status, detail) for _ in messages]


def transport_for(settings: MailSettings) -> Transport:
    """The transport ``settings.transport`` names: a FolderTransport on
    ``settings.folder`` or an SmtpTransport."""
    if settings.transport == "smtp":
        return SmtpTransport(settings)
    return FolderTransport(Path(settings.folder))


def claim_duration(settings: MailSettings) -> timedelta:
    """How long a claimed batch is left to the process sending it:
    ``timeout_seconds * (batch_size + 2)``. After a crash its messages are
    sent again once this has passed."""
    return timedelta(seconds=settings.timeout_seconds * (settings.batch_size + 2))


async def deliver_due(engine: Engine, settings: MailSettings, now: datetime, *,
                      domain: str = "bvflow.local", partnership_id: int | None = None,
                      transport: Transport | None = None) -> DeliveryReport:
    """Send every outbox message due at ``now`` (aware UTC), batch by batch,
    until none is left; see the module docstring for the steps and the
    guarantee. ``domain``: of new Message-IDs; ``partnership_id``: only that
    partnership's rows (None: all); ``transport``: default
    :func:`transport_for`. Rows are never held in a transaction while sending.

    Raises:
        ValueError: ``now`` is naive.
    """
    if now.tzinfo is None:
        raise ValueError(f"now = {now!r}: give an aware UTC datetime")
    transport = transport or transport_for(settings)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    seen: set[int] = set()
    while rows := _claim(engine, settings, now, domain, partnership_id, seen):
        seen.update(r.id for r in rows if r.id is not None)
        results = await _send(transport, rows, settings, domain)
        for row, result in zip(rows, results, strict=True):
            if row.latest_at is not None and row.latest_at < now and result.status == "sent":
                log.info("outbox message %s sent after its latest useful time %s", row.id, row.latest_at)
        for status in _mark(engine, settings, list(zip(rows, results, strict=True)), now):
            counts[status] += 1
    return DeliveryReport(sent=counts["sent"], retried=counts["retry"], failed=counts["failed"])


def deliver_due_sync(engine: Engine, settings: MailSettings, now: datetime, *,
                     domain: str = "bvflow.local", partnership_id: int | None = None,
                     transport: Transport | None = None) -> DeliveryReport:
    """:func:`deliver_due` run with ``asyncio.run`` (not from inside a running loop)."""
    return asyncio.run(deliver_due(engine, settings, now, domain=domain,
                                   partnership_id=partnership_id, transport=transport))


def _due(now: datetime) -> ColumnElement[bool]:
    nxt = col(OutboxMessage.next_attempt_at)
    return or_(nxt.is_(None), nxt <= now)


def _claim(engine: Engine, settings: MailSettings, now: datetime, domain: str,
           partnership_id: int | None, seen: set[int]) -> list[OutboxMessage]:
    """Step 1: claim up to ``batch_size`` due rows; returns detached copies."""
    until = now + claim_duration(settings)
    with unit_of_work(engine, "the outbox", immediate=True) as s:
        q = select(OutboxMessage).where(col(OutboxMessage.status) == "pending",
                                        col(OutboxMessage.due_at) <= now, _due(now))
        if partnership_id is not None:
            q = q.where(col(OutboxMessage.partnership_id) == partnership_id)
        if seen:
            q = q.where(col(OutboxMessage.id).not_in(seen))
        rows = list(s.exec(q.order_by(col(OutboxMessage.id)).limit(settings.batch_size)))
        s.expunge_all()
        if not rows:
            return []
        mids = {row.id: row.message_id or make_message_id(row.id, row.partnership_id, domain)  # type: ignore[arg-type]
                for row in rows}
        # one UPDATE for the batch; RETURNING names the rows still pending and due
        # (another process may have claimed some meanwhile)
        got = set(s.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(list(mids)), col(OutboxMessage.status) == "pending", _due(now))
            .values(message_id=case(mids, value=col(OutboxMessage.id)), next_attempt_at=until)
            .returning(col(OutboxMessage.id))
            .execution_options(synchronize_session=False)
        ).scalars())
        claimed: list[OutboxMessage] = []
        for row in rows:
            if row.id in got:
                row.message_id, row.next_attempt_at = mids[row.id], until
                claimed.append(row)
    return claimed


async def _send(transport: Transport, rows: list[OutboxMessage], settings: MailSettings,
                domain: str) -> list[SendResult]:
    """Step 2: build and send; one result per row, in order."""
    results: list[SendResult | None] = [None] * len(rows)
    built: list[tuple[int, EmailMessage]] = []
    for i, row in enumerate(rows):
        try:
            built.append((i, build_message(row, settings, domain)))
        except DeliveryError as exc:
            results[i] = SendResult("failed", str(exc))
    if built:
        msgs = [m for _, m in built]
        try:
            sent = await transport.send_batch(msgs)
        except Exception as exc:  # noqa: BLE001 - a transport bug must not stop the outbox
            log.exception("transport %r failed", transport)
            sent = _all(msgs, "retry", f"transport error: {exc!r}")
        sent = list(sent) + _all(msgs[len(sent):], "retry", "the transport gave no result")
        for (i, _), result in zip(built, sent, strict=False):
            results[i] = result
    return [r if r is not None else SendResult("retry", "no result") for r in results]


def _mark(engine: Engine, settings: MailSettings, done: list[tuple[OutboxMessage, SendResult]],
          now: datetime) -> list[SendStatus]:
    """Step 3: store the batch's results in one short transaction (one commit,
    not one per message: on SQLite with synchronous=FULL each commit is a
    disk sync); returns the counted outcomes, in order."""
    with unit_of_work(engine, "the outbox", immediate=True) as s:
        ids = [claimed.id for claimed, _ in done]
        rows = {r.id: r for r in s.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids)))}
        return [_mark_one(settings, rows.get(claimed.id), result, now) for claimed, result in done]


def _mark_one(settings: MailSettings, row: OutboxMessage | None, result: SendResult,
              now: datetime) -> SendStatus:
    """One message's result on its row (``None``: the row is gone)."""
    if row is None:
        return result.status
    if result.status == "sent":
        if row.status != "sent":  # a withdrawn row that went out anyway is still sent
            row.status, row.sent_at = "sent", now
        row.next_attempt_at = None
        return "sent"
    if row.status != "pending":
        return result.status
    if result.status == "failed":
        row.status, row.last_error, row.next_attempt_at = "failed", result.detail, None
        log.warning("outbox message %s failed: %s", row.id, result.detail)
        return "failed"
    row.attempts += 1
    if row.attempts >= settings.max_attempts:
        row.status, row.next_attempt_at = "failed", None
        row.last_error = f"{result.detail} (gave up after {row.attempts} attempts)"
        log.warning("outbox message %s failed: %s", row.id, row.last_error)
        return "failed"
    delay = timedelta(seconds=settings.retry_base_seconds * 2 ** min(row.attempts - 1, 32))
    row.next_attempt_at = now + min(delay, _MAX_DELAY)
    row.last_error = result.detail
    return "retry"
