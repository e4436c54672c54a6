"""Shared fixtures: a real server (SQLite or PostgreSQL) with a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import (
    LiveServer,
    Mailbox,
    postgres_database,
    require_postgres,
    run_live_server,
    smtp_server,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--no-postgres", action="store_true", help="skip the PostgreSQL runs (refused in CI)"
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """Each storage test runs on an SQLite file and on the real PostgreSQL server."""
    if request.param == "sqlite":
        yield None
        return
    require_postgres(request.config)
    with postgres_database() as url:
        yield url


@pytest.fixture
def live_server(tmp_path: Path, mailbox: Mailbox, database_url: str | None) -> Iterator[LiveServer]:
    """Threshold on 127.0.0.1 (SQLite and PostgreSQL), delivering mail to ``mailbox``."""
    with run_live_server(tmp_path, database_url=database_url, mailbox=mailbox) as server:
        yield server


@pytest.fixture
def sqlite_server(tmp_path: Path, mailbox: Mailbox) -> Iterator[LiveServer]:
    """Threshold on an SQLite file only (for tests whose subject is not storage)."""
    with run_live_server(tmp_path, mailbox=mailbox) as server:
        yield server
