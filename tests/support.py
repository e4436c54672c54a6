"""Test support: a real Threshold server on a free port, a real SMTP server, databases."""

from __future__ import annotations

import asyncio
import email
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller

from threshold.server.app import create_app
from threshold.services.instance.settings import Settings
from threshold.store.migrate import upgrade

__all__ = [
    "HARNESS_LOOP",
    "PG_ADMIN_URL",
    "LiveServer",
    "Mailbox",
    "clerk_error",
    "free_port",
    "postgres_database",
    "python_output",
    "require_postgres",
    "run_live_server",
    "sql",
    "terminate_backends",
]

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"

HARNESS_LOOP = "asyncio"
"""The event loop of servers the tests run on threads of their own process.

``threshold serve`` runs on uvloop when it is installed; on a test thread, uvloop reports
keep-alive sockets still open at shutdown as a ResourceWarning from inside the loop,
which the suite treats as an error. The servers the tests start as processes keep uvloop.
"""


def clerk_error(response: httpx.Response, status: int = 422) -> dict[str, Any]:
    """The first error of a refusal in Clerk's body (``errors`` and ``clerk_trace_id``,
    each error with a message, a long message and a code), checked to have ``status``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errors", "clerk_trace_id"}
    error: dict[str, Any] = body["errors"][0]
    assert {"message", "long_message", "code"} <= set(error) and error["message"]
    return error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = email.message_from_bytes(envelope.content)
        with self.box.lock:
            self.box.messages.append(msg)
        return "250 OK"


@dataclass
class Mailbox:
    """Messages delivered to the in-process SMTP server."""

    port: int = 0
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.02)
        raise AssertionError(f"no email #{count} to {address} within {timeout}s")

    def code_for(self, address: str, count: int = 1) -> str:
        body = self.wait_for(address, count).get_payload(decode=True)
        assert isinstance(body, bytes)
        match = re.search(r"\b(\d{6})\b", body.decode())
        assert match, body
        return match.group(1)


@contextmanager
def smtp_server(**smtp_parameters: Any) -> Iterator[Mailbox]:
    """An aiosmtpd server on 127.0.0.1; ``smtp_parameters`` go to the controller
    (``ssl_context`` for implicit TLS, ``tls_context`` and ``require_starttls``)."""
    box = Mailbox()
    box.port = free_port()
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=box.port, **smtp_parameters)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


async def _pg_admin(sql: str, *args: Any) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database on the local server; dropped afterwards."""
    name = "th_" + uuid.uuid4().hex[:12]
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(
            _pg_admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
        )
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}"'))


async def terminate_backends(database: str) -> None:
    """Close every server connection to ``database`` (what a restart or a failover
    does to a pool); at least one must have been open."""
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        assert killed >= 1
    finally:
        await admin.close()


@dataclass
class LiveServer:
    """A running Threshold server."""

    url: str
    settings: Settings
    app: Any
    mailbox: Mailbox | None

    @property
    def ctx(self) -> Any:
        return self.app.state.ctx

    @property
    def secret_key(self) -> str:
        assert self.settings.secret_key is not None
        return self.settings.secret_key.get_secret_value()

    @property
    def publishable_key(self) -> str:
        return str(self.ctx.instance.publishable_key)

    @property
    def jwt_public_pem(self) -> str:
        return str(self.ctx.keyring.active.public_pem())


@contextmanager
def run_live_server(
    tmp_path: Path,
    *,
    database_url: str | None = None,
    mailbox: Mailbox | None = None,
    strategies: Any = None,
    **overrides: Any,
) -> Iterator[LiveServer]:
    """Migrate a database and serve Threshold on 127.0.0.1 in a background thread
    (``strategies``: a registry of sign-in factors other than the shipped one)."""
    port = free_port()
    tmp_path.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'threshold.db'}"
    upgrade(url)
    values: dict[str, Any] = {
        "environment": "development",
        "database_url": url,
        "public_url": f"http://127.0.0.1:{port}",
        "secret_key": "sk_test_" + uuid.uuid4().hex,
        "data_dir": tmp_path,
        "argon2_memory_kib": 8192,
        "argon2_time_cost": 1,
    }
    if mailbox is not None:
        values.update(smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_tls="none")
    values.update(overrides)
    settings = Settings(**values)
    app = create_app(settings, strategies=strategies)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        proxy_headers=False,
        loop=HARNESS_LOOP,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("Threshold test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(url=settings.public_url, settings=settings, app=app, mailbox=mailbox)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def require_postgres(config: pytest.Config) -> None:
    """Let ``--no-postgres`` skip a PostgreSQL run, outside CI only (CI fails instead)."""
    if config.getoption("--no-postgres"):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL runs are required in CI")
        pytest.skip("--no-postgres")


def python_output(code: str, stdin: str = "") -> str:
    """What ``python -c code`` prints, in a fresh interpreter of this environment.

    For ``ast`` work: CPython 3.11.7's AST builder compares a recursion counter that
    greenlets (SQLAlchemy's async bridge, Playwright) and ``sys.setrecursionlimit``
    calls (Hypothesis) leave shifted, and then fails with "AST constructor recursion
    depth mismatch", even on a new thread. A new process starts clean.
    """
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def sql(server: LiveServer | str, statement: str, **params: Any) -> list[Any]:
    """Run one SQL statement against a server's database (or a database URL) with a
    private engine."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    url = server if isinstance(server, str) else server.settings.resolved_database_url

    async def go() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(statement), params)
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    return list(asyncio.run(go()))


@dataclass
class HandOffs:
    """How many calls went to aiosqlite's worker thread since :func:`count_hand_offs`
    (or since ``count`` was last set)."""

    count: int = 0


def count_hand_offs(monkeypatch: pytest.MonkeyPatch) -> HandOffs:
    """Count every call handed to an aiosqlite connection's thread from now on."""
    counter = HandOffs()
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counter.count += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return counter
