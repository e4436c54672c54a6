"""Outgoing email: SMTP (aiosmtplib), plus a console/dev mailbox in development."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

__all__ = ["DevMailbox", "Mail", "Mailer", "MultiMailer", "SmtpMailer"]

log = logging.getLogger("threshold.mail")


@dataclass(frozen=True, slots=True)
class Mail:
    """One message to send."""

    to: str
    subject: str
    text: str
    kind: str = "notice"
    sent_at: float = field(default=0.0, compare=False)


class Mailer(Protocol):
    """Anything that can deliver a :class:`Mail`."""

    async def send(self, mail: Mail) -> None: ...


class SmtpMailer:
    """Delivers through an SMTP server."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        tls: str = "starttls",
        timeout: float = 15.0,
    ):
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.tls, self.timeout = username, password, tls, timeout

    async def send(self, mail: Mail) -> None:
        import aiosmtplib

        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg["Message-ID"] = make_msgid(domain="threshold.local")
        msg.set_content(mail.text)
        await aiosmtplib.send(
            msg,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.tls == "tls",
            start_tls=self.tls == "starttls",
            timeout=self.timeout,
        )


class DevMailbox:
    """Development: prints each email to the console and keeps the last 100 for /dev/mailbox."""

    def __init__(self, *, echo: bool = True) -> None:
        self.messages: deque[Mail] = deque(maxlen=100)
        self.echo = echo

    async def send(self, mail: Mail) -> None:
        import time

        stamped = Mail(mail.to, mail.subject, mail.text, mail.kind, time.time())
        self.messages.appendleft(stamped)
        if self.echo:
            print(f"\n--- email to {mail.to}: {mail.subject}\n{mail.text}\n---", flush=True)


class MultiMailer:
    """Sends through each mailer; a failing one is logged and does not stop the others."""

    def __init__(self, *mailers: Mailer) -> None:
        self.mailers = mailers
        self._tasks: set[asyncio.Task[None]] = set()

    async def send(self, mail: Mail) -> None:
        for mailer in self.mailers:
            try:
                await mailer.send(mail)
            except Exception:  # delivery problems must never break a request
                log.exception("email delivery failed (kind=%s)", mail.kind)

    def send_later(self, mails: list[Mail]) -> None:
        """Send off the request path, after the service's transaction committed."""
        for mail in mails:
            task = asyncio.get_running_loop().create_task(self.send(mail))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for queued emails (shutdown and tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
