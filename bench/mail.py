"""Benchmark 5: mail through bvflow's sender vs raw aiosmtplib loops.

The server is aiosmtpd in a subprocess on 127.0.0.1 (``Sink`` handler: it
accepts and drops every message), so it never competes with the client
for the GIL. bvflow's figure is :func:`bvflow.delivery.deliver_due_sync`
over ``n`` pending outbox rows (claim, build, send in batches of
``mail.batch_size`` over one connection each, mark); the baselines send the
same messages (built beforehand by :func:`bvflow.mailmessage.build_message`)
with aiosmtplib — on one reused connection, and with a connection per message.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

import aiosmtplib
from sqlmodel import select

from bvflow.config import MailSettings
from bvflow.db import unit_of_work
from bvflow.delivery import deliver_due_sync
from bvflow.mailmessage import build_message, make_message_id
from bvflow.models import OutboxMessage

from .data import add_outbox_rows
from .harness import Result, progress, time_median
from .suite import Ctx

__all__ = ["bench_mail", "smtp_server"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[int]:
    """An aiosmtpd ``Sink`` server in a subprocess on 127.0.0.1; yields its port."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c",
         "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("aiosmtpd did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _envelope(msg: EmailMessage) -> tuple[str, list[str]]:
    return msg["From"].addresses[0].addr_spec, [a.addr_spec for a in msg["To"].addresses]


async def _raw_reused(port: int, msgs: list[EmailMessage]) -> int:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
    await client.connect()
    for m in msgs:
        sender, rcpts = _envelope(m)
        await client.send_message(m, sender=sender, recipients=rcpts)
    await client.quit()
    return len(msgs)


async def _raw_per_message(port: int, msgs: list[EmailMessage]) -> int:
    for m in msgs:
        sender, rcpts = _envelope(m)
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        await client.send_message(m, sender=sender, recipients=rcpts)
        await client.quit()
    return len(msgs)


def _reset_outbox(ctx: Ctx, partnership: str, n: int, tag: str) -> None:
    site = ctx.site
    scope = site.scope(partnership)
    with unit_of_work(site.engine) as s:
        for row in s.exec(select(OutboxMessage).where(OutboxMessage.partnership_id == scope.id)):
            s.delete(row)
    add_outbox_rows(site, scope, n, tag)


def bench_mail(ctx: Ctx, partnership: str = "mail") -> list[Result]:
    site, n = ctx.site, ctx.sizes["mail"]
    scope = site.scope(partnership)
    results: list[Result] = []
    with smtp_server() as port:
        settings = MailSettings(transport="smtp", host="127.0.0.1", port=port, security="none",
                                sender="bvflow <bvflow@bench.example>")
        rep = iter(range(10**6))
        sent: list[int] = []

        def figure() -> None:
            report = deliver_due_sync(site.engine, settings, site.clock.now(), partnership_id=scope.id)
            sent.append(report.sent)

        t_fig = time_median(figure, ctx.reps, f"{ctx.db} bvflow deliver ×{n}",
                            setup=lambda: _reset_outbox(ctx, partnership, n, f"r{next(rep)}"))
        assert all(c == n for c in sent), sent
        # the same messages, built once, for the raw loops
        _reset_outbox(ctx, partnership, n, "raw")
        with unit_of_work(site.engine) as s:
            rows = list(s.exec(select(OutboxMessage).where(OutboxMessage.partnership_id == scope.id)))
            for r in rows:
                r.message_id = make_message_id(r.id or 0, r.partnership_id, "bvflow.local")
        msgs = [build_message(r, settings, "bvflow.local") for r in rows]
        progress(f"{ctx.db} {len(msgs)} messages built for the raw loops")
        t_reused = time_median(lambda: asyncio.run(_raw_reused(port, msgs)), ctx.reps,
                               f"{ctx.db} raw aiosmtplib, one connection ×{n}")
        t_each = time_median(lambda: asyncio.run(_raw_per_message(port, msgs)), ctx.reps,
                             f"{ctx.db} raw aiosmtplib, connection per message ×{n}")
    fig, reused, each = n / t_fig.median, n / t_reused.median, n / t_each.median
    results.append(Result("5. mail vs one reused connection", ctx.db, f"{fig:,.0f} msg/s",
                          f"{reused:,.0f} msg/s", f"{fig / reused:.2f} × rate", "≥ 0.80 × rate",
                          fig / reused >= 0.8,
                          f"{n:,} messages, batch_size {settings.batch_size}, median of {ctx.reps}"))
    results.append(Result("5. mail vs connection per message", ctx.db, f"{fig:,.0f} msg/s",
                          f"{each:,.0f} msg/s", f"{fig / each:.2f} × rate", "≥ 1.6 × rate",
                          fig / each >= 1.6))
    return results
