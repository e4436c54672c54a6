"""Fixtures for the hosted-page tests: a server with relaxed rate limits, a signed-in browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pages.helpers import PageClient
from tests.support import LiveServer, Mailbox, run_live_server


@pytest.fixture
def relaxed_server(
    tmp_path: Path, mailbox: Mailbox, database_url: str | None
) -> Iterator[LiveServer]:
    """Like ``live_server`` (SQLite and PostgreSQL), with rate limits that many tries fit in."""
    with run_live_server(
        tmp_path,
        database_url=database_url,
        mailbox=mailbox,
        ip_attempts_per_minute=1000,
        identifier_attempts_per_minute=1000,
        code_sends_per_hour=100,
    ) as server:
        yield server


@pytest.fixture
def browsers() -> Iterator[Callable[..., PageClient]]:
    """Make browsers (``browsers(server, origin=...)``); all are closed afterwards."""
    made: list[PageClient] = []

    def make(server: LiveServer, **kw: Any) -> PageClient:
        made.append(PageClient(server, **kw))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def ada(live_server: LiveServer, browsers: Callable[..., PageClient]) -> PageClient:
    """A browser signed up and signed in as ada@example.com (Ada Lovelace)."""
    client = browsers(live_server)
    client.sign_up("ada@example.com", first_name="Ada", last_name="Lovelace")
    return client
