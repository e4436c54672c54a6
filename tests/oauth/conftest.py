"""Social sign-in tests: a real server context on a migrated database, a browser's Client
and a user to link accounts to, and the social sign-in context built over them.

The clock is frozen at the real time (providers sign tokens with the real time), so a
test can move it forward to expire states and tokens.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwk

from tests.oauth.standins import StandIn, run_standin, standin_specs
from tests.support import postgres_database, require_postgres
from threshold.core.clock import FrozenClock
from threshold.core.ids import new_id, random_token
from threshold.core.records.clients import Client
from threshold.core.records.users import User
from threshold.services.instance.settings import Settings
from threshold.services.instance.social_providers import SocialProviderSettings
from threshold.services.oauth.context import OAuthContext
from threshold.services.runtime.build import build_context
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.migrate import upgrade
from threshold.store.repositories import ClientRepository, UserRepository

PUBLIC_URL = "http://127.0.0.1:9"
REDIRECT_URI = f"{PUBLIC_URL}/v1/oauth_callback"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(time.time())


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to the head, copied for each test (migrating takes a
    second or two; a copy, milliseconds)."""
    path = tmp_path_factory.mktemp("migrated") / "threshold.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        source = migrated_sqlite.with_name(migrated_sqlite.name + suffix)
        if source.exists():
            shutil.copyfile(source, tmp_path / ("threshold.db" + suffix))
    return f"sqlite+aiosqlite:///{tmp_path / 'threshold.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """For tests whose subject is storage: an SQLite file and the real PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'threshold.db'}"
        upgrade(url)
        yield url
        return
    require_postgres(request.config)
    with postgres_database() as url:
        upgrade(url)
        yield url


def settings_for(url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "development",
        "database_url": url,
        "public_url": PUBLIC_URL,
        "secret_key": "sk_test_" + uuid.uuid4().hex,
        "data_dir": tmp_path,
        "argon2_memory_kib": 8192,
        "argon2_time_cost": 1,
        "encryption_key": random_token(32),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """What a test module changes in the settings (the provider timeout, say)."""
    return {}


@pytest.fixture
async def ctx(
    tmp_path: Path, database_url: str, clock: FrozenClock, settings_overrides: dict[str, Any]
) -> AsyncIterator[ServerContext]:
    context = await build_context(
        settings_for(database_url, tmp_path, **settings_overrides), clock=clock
    )
    try:
        yield context
    finally:
        await context.mailer.drain()
        await context.db.dispose()


async def new_client(ctx: ServerContext) -> str:
    """A browser's Client row (what a flow is bound to); its id."""
    client_id = new_id("client")
    now = ctx.now_ms()

    async def work(tx: Tx) -> None:
        await ClientRepository(tx.conn).insert(
            Client(
                id=client_id,
                token_digest=uuid.uuid4().hex + uuid.uuid4().hex,
                created_at=now,
                updated_at=now,
            )
        )

    await run_transaction(ctx, work)
    return client_id


async def new_user(ctx: ServerContext) -> str:
    user_id = new_id("user")
    now = ctx.now_ms()

    async def work(tx: Tx) -> None:
        await UserRepository(tx.conn).create(User(id=user_id, created_at=now, updated_at=now), None)

    await run_transaction(ctx, work)
    return user_id


@pytest.fixture
async def client_id(ctx: ServerContext) -> str:
    return await new_client(ctx)


@pytest.fixture
async def user_id(ctx: ServerContext) -> str:
    return await new_user(ctx)


APPLE_KEY_ID = "KEY1234567"
MICROSOFT_TENANT_SETTING = "organizations"
STANDIN_PROVIDERS = ("google", "github", "microsoft", "apple", "gitlab", "discord", "linkedin_oidc")


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """The stand-in server for the named providers (tests/oauth/standins.py)."""
    server = StandIn(
        clients={
            f"{name}-client": f"{name}-secret-{random_token(18)}" for name in STANDIN_PROVIDERS
        },
        apple_key=jwk.ECKey.generate_key("P-256", private=True),
    )
    with run_standin(server):
        yield server


def standin_environ(standin: StandIn) -> dict[str, str]:
    """The variables an operator would set for the seven named providers."""
    env: dict[str, str] = {}
    for name in STANDIN_PROVIDERS:
        prefix = f"THRESHOLD_OAUTH_{name.upper()}_"
        env[prefix + "CLIENT_ID"] = f"{name}-client"
        if name != "apple":
            env[prefix + "CLIENT_SECRET"] = standin.clients[f"{name}-client"]
    assert standin.apple_key is not None
    env["THRESHOLD_OAUTH_APPLE_TEAM_ID"] = standin.apple_team
    env["THRESHOLD_OAUTH_APPLE_KEY_ID"] = APPLE_KEY_ID
    env["THRESHOLD_OAUTH_APPLE_PRIVATE_KEY"] = standin.apple_key.as_pem(private=True).decode()
    env["THRESHOLD_OAUTH_MICROSOFT_TENANT"] = MICROSOFT_TENANT_SETTING
    return env


@pytest.fixture
async def oauth(ctx: ServerContext, standin: StandIn) -> AsyncIterator[OAuthContext]:
    """Social sign-in with every named provider, pointed at the stand-in."""
    social = SocialProviderSettings.from_environ(standin_environ(standin))
    context = OAuthContext.for_server(ctx, social, specs=standin_specs(standin.base))
    try:
        yield context
    finally:
        await context.aclose()
