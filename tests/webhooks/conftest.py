"""Webhooks tested against a real context (SQLite file, PostgreSQL where storage is the
subject), a real HTTP receiver on 127.0.0.1, and a clock the tests move."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import postgres_database, require_postgres
from tests.webhooks.receiver import Receiver, receiver
from threshold.core.clock import FrozenClock
from threshold.services.instance.settings import Settings
from threshold.services.runtime.build import build_context
from threshold.services.runtime.context import ServerContext
from threshold.services.webhooks.dispatcher import Dispatcher
from threshold.store.migrate import upgrade


@pytest.fixture
def clock() -> FrozenClock:
    """Starts at the real time, so that receivers checking timestamps accept it."""
    return FrozenClock(float(int(time.time())))


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as box:
        yield box


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'threshold.db'}"
        upgrade(url)
        yield url
        return
    require_postgres(request.config)
    with postgres_database() as url:
        upgrade(url)
        yield url


def settings_for(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "development",
        "database_url": database_url,
        "public_url": "http://127.0.0.1:9",
        "secret_key": "sk_test_" + uuid.uuid4().hex,
        "data_dir": tmp_path,
        "argon2_memory_kib": 8192,
        "argon2_time_cost": 1,
        "webhook_timeout": 2.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return settings_for(tmp_path, database_url)


@pytest.fixture
async def ctx(settings: Settings, clock: FrozenClock) -> AsyncIterator[ServerContext]:
    context = await build_context(settings, clock=clock)
    try:
        yield context
    finally:
        await context.mailer.drain()
        await context.db.dispose()


@pytest.fixture
async def dispatcher(ctx: ServerContext) -> AsyncIterator[Dispatcher]:
    """A dispatcher the test drives (``deliver_pending``); no loop of its own."""
    worker = Dispatcher(ctx)
    try:
        yield worker
    finally:
        await worker.stop()
