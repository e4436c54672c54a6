"""Services tested without HTTP: a real context on a migrated SQLite file (and PostgreSQL
where storage is the subject), mail kept in memory by a recording mailer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from threshold.core.clock import FrozenClock
from threshold.services.auth.strategies.registry import StrategyRegistry
from threshold.services.auth.strategies.shipped import default_strategies
from threshold.services.infra.mail import Mail
from threshold.services.instance.settings import Settings
from threshold.services.runtime.build import build_context
from threshold.services.runtime.context import ServerContext
from threshold.store.migrate import upgrade


class RecordingMailer:
    """A mailer that keeps what it is given (the tests' view of outgoing mail)."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.sent.append(mail)


@pytest.fixture
def recorded_mail() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(1_760_000_000.0)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A migrated SQLite file (migrations run their own event loop: not inside the test's)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'threshold.db'}"
    upgrade(url)
    return url


@pytest.fixture
def strategies() -> StrategyRegistry[ServerContext]:
    """The sign-in factors the context offers (a test module overrides it to add one)."""
    return default_strategies()


@pytest.fixture
async def ctx(
    tmp_path: Path,
    database_url: str,
    recorded_mail: RecordingMailer,
    clock: FrozenClock,
    strategies: StrategyRegistry[ServerContext],
) -> AsyncIterator[ServerContext]:
    url = database_url
    settings = Settings(
        environment="development",
        database_url=url,
        public_url="http://127.0.0.1:9",
        secret_key="sk_test_" + uuid.uuid4().hex,
        data_dir=tmp_path,
        argon2_memory_kib=8192,
        argon2_time_cost=1,
    )
    context = await build_context(
        settings, clock=clock, mailers=[recorded_mail], strategies=strategies
    )
    try:
        yield context
    finally:
        await context.mailer.drain()
        await context.db.dispose()
