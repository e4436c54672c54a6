"""The local PostgreSQL server the benchmarks use (``BENCH_PG_URL``, trust auth)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg

__all__ = ["PG_ADMIN", "admin", "scratch_database"]

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def admin(sql: str, *args: Any) -> None:
    """Run one statement on the admin database."""
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A new, empty database on the server (its URL); dropped afterwards."""
    name = "th_bench_" + uuid.uuid4().hex[:10]
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(
            admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
        )
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}"'))
