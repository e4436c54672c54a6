"""The engine's transactions on SQLite: which BEGIN each kind sends, and none for a
single read (a lone statement is its own snapshot there)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from threshold.store.db import Database


def _statements(db: Database) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.upper().split()
        seen.append(" ".join(words[:2]) if words[0] == "BEGIN" else words[0])

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    return seen


def test_each_kind_of_transaction_sends_its_begin(tmp_path: Path) -> None:
    async def run() -> tuple[list[str], int, int]:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
        try:
            async with db.transaction() as conn:
                await conn.execute(sa.text("CREATE TABLE t (n INTEGER)"))
                await conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            seen = _statements(db)
            async with db.transaction() as conn:
                await conn.execute(sa.text("UPDATE t SET n = n + 1"))
            async with db.transaction(readonly=True) as conn:
                await conn.execute(sa.text("SELECT n FROM t"))
            async with db.transaction(single_read=True) as conn:
                single = (await conn.execute(sa.text("SELECT n FROM t"))).scalar_one()
            # Nothing was left open by the single read: a writer gets the lock at once.
            async with db.transaction() as conn:
                await conn.execute(sa.text("UPDATE t SET n = n + 1"))
            async with db.transaction(single_read=True) as conn:
                after = (await conn.execute(sa.text("SELECT n FROM t"))).scalar_one()
            return seen, single, after
        finally:
            await db.dispose()

    seen, single, after = asyncio.run(run())
    assert seen == [
        "BEGIN IMMEDIATE",
        "UPDATE",
        "BEGIN DEFERRED",
        "SELECT",
        "SELECT",
        "BEGIN IMMEDIATE",
        "UPDATE",
        "SELECT",
    ]
    assert (single, after) == (2, 3)
