"""Repositories tested without HTTP or services, on an SQLite file and on PostgreSQL:
a migrated database and one connection per test transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from threshold.store.db import Database
from threshold.store.migrate import upgrade


@pytest.fixture
def store_url(database_url: str | None, tmp_path: Path) -> str:
    """The database to test on, migrated (``database_url`` is None for SQLite)."""
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    return url


@pytest.fixture
async def db(store_url: str) -> AsyncIterator[Database]:
    database = Database(store_url)
    try:
        yield database
    finally:
        await database.dispose()
