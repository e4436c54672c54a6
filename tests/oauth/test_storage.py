"""External accounts and flow states in the database, on SQLite and PostgreSQL: the
migration builds what the tables say, tokens are stored sealed, a provider's user is
linked once, and a state is taken once."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from tests.oauth.conftest import new_client, new_user, settings_for
from threshold.core.clock import FrozenClock
from threshold.core.encryption import SealedValueError
from threshold.core.records.oauth import (
    AuthorizationState,
    ExternalAccountStatus,
    ProviderProfile,
    ProviderTokens,
)
from threshold.services.instance.social_providers import SocialProviderSettings
from threshold.services.oauth.completion import ProviderGrant
from threshold.services.oauth.context import OAuthContext
from threshold.services.oauth.errors import (
    ExternalAccountNotFoundError,
    ExternalAccountTakenError,
)
from threshold.services.oauth.external_accounts import (
    access_token,
    access_tokens,
    find_external_account,
    link_external_account,
)
from threshold.services.runtime.build import build_context
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories.oauth import (
    AuthorizationStateRepository,
    ExternalAccountRepository,
)
from threshold.store.tables import external_accounts, metadata

pytestmark = pytest.mark.anyio

ACCESS = "gho_access-token-canary-0123456789"
REFRESH = "ghr_refresh-token-canary-0123456789"


@pytest.fixture
async def store_ctx(
    storage_url: str, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[ServerContext]:
    context = await build_context(settings_for(storage_url, tmp_path), clock=clock)
    try:
        yield context
    finally:
        await context.db.dispose()


def _grant(provider_user_id: str = "583231", provider: str = "oauth_github") -> ProviderGrant:
    profile = ProviderProfile(
        provider=provider,
        provider_user_id=provider_user_id,
        email="octocat@github.com",
        email_verified=True,
        first_name="Mona",
        last_name="Octocat",
        image_url="https://avatars.example/u/583231",
        username="octocat",
    )
    tokens = ProviderTokens(
        access_token=ACCESS, refresh_token=REFRESH, scopes=("read:user", "user:email")
    )
    return ProviderGrant(
        strategy=provider, profile=profile, tokens=tokens, redirect_url=None, subject_id=None
    )


async def test_migration_builds_what_the_tables_describe(store_ctx: ServerContext) -> None:
    def diff(conn: sa.Connection) -> list[object]:
        found = compare_metadata(MigrationContext.configure(conn), metadata)
        return [d for d in found if "users_search" not in str(d)]

    async with store_ctx.db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_tokens_are_sealed_at_rest_and_read_back(store_ctx: ServerContext) -> None:
    user_id = await new_user(store_ctx)
    oauth = OAuthContext.for_server(store_ctx, SocialProviderSettings())
    account = await link_external_account(store_ctx, oauth, user_id=user_id, grant=_grant())
    assert account.id.startswith("eac_") and account.status is ExternalAccountStatus.VERIFIED
    assert ACCESS not in repr(account) and "sealed" not in repr(account)

    async def raw(tx: Tx) -> dict[str, object]:
        row = (await tx.conn.execute(sa.select(external_accounts))).mappings().one()
        return dict(row)

    row = await run_transaction(store_ctx, raw)
    dump = repr(row)
    assert ACCESS not in dump and REFRESH not in dump
    assert str(row["access_token_sealed"]).startswith(f"v1.{oauth.box.key_id}.")
    assert row["approved_scopes"] == "read:user user:email"

    found = await find_external_account(store_ctx, "oauth_github", "583231")
    assert found == account
    token = await access_token(store_ctx, oauth, user_id=user_id, provider="oauth_github")
    assert (token.token, token.provider_user_id, token.expires_at) == (ACCESS, "583231", None)
    await oauth.aclose()


async def test_a_sealed_token_moved_to_another_account_does_not_open(
    store_ctx: ServerContext,
) -> None:
    oauth = OAuthContext.for_server(store_ctx, SocialProviderSettings())
    first = await link_external_account(
        store_ctx, oauth, user_id=await new_user(store_ctx), grant=_grant("1")
    )
    other_user = await new_user(store_ctx)
    second = await link_external_account(store_ctx, oauth, user_id=other_user, grant=_grant("2"))

    async def swap(tx: Tx) -> None:
        moved = dataclasses.replace(second, access_token_sealed=first.access_token_sealed)
        await ExternalAccountRepository(tx.conn).save(moved)

    await run_transaction(store_ctx, swap)
    with pytest.raises(SealedValueError):
        await access_token(store_ctx, oauth, user_id=other_user, provider="oauth_github")
    await oauth.aclose()


async def test_a_provider_user_links_to_one_user(store_ctx: ServerContext) -> None:
    oauth = OAuthContext.for_server(store_ctx, SocialProviderSettings())
    owner = await new_user(store_ctx)
    linked = await link_external_account(store_ctx, oauth, user_id=owner, grant=_grant())
    again = await link_external_account(store_ctx, oauth, user_id=owner, grant=_grant())
    assert again.id == linked.id  # the same link, profile and tokens refreshed
    with pytest.raises(ExternalAccountTakenError):
        await link_external_account(
            store_ctx, oauth, user_id=await new_user(store_ctx), grant=_grant()
        )
    # The same id at another provider is another person.
    await link_external_account(
        store_ctx, oauth, user_id=owner, grant=_grant(provider="oauth_discord")
    )

    async def duplicate(tx: Tx) -> None:
        twin = dataclasses.replace(linked, id="eac_twin", user_id=owner)
        await ExternalAccountRepository(tx.conn).add(twin)

    with pytest.raises(IntegrityError):
        await run_transaction(store_ctx, duplicate)
    await oauth.aclose()


async def test_a_user_may_link_two_accounts_of_one_provider(store_ctx: ServerContext) -> None:
    oauth = OAuthContext.for_server(store_ctx, SocialProviderSettings())
    owner = await new_user(store_ctx)
    first = await link_external_account(store_ctx, oauth, user_id=owner, grant=_grant("1"))
    second = await link_external_account(store_ctx, oauth, user_id=owner, grant=_grant("2"))
    found = await access_tokens(store_ctx, oauth, user_id=owner, provider="oauth_github")
    assert {t.external_account_id for t in found} == {first.id, second.id}
    assert await access_tokens(store_ctx, oauth, user_id=owner, provider="oauth_google") == []
    with pytest.raises(ExternalAccountNotFoundError):
        await access_token(store_ctx, oauth, user_id=owner, provider="oauth_google")
    await oauth.aclose()


async def test_a_state_is_taken_once_and_expired_ones_are_purged(
    store_ctx: ServerContext,
) -> None:
    client_id = await new_client(store_ctx)
    now = store_ctx.now_ms()
    state = AuthorizationState(
        state_digest="a" * 64,
        client_id=client_id,
        strategy="oauth_google",
        nonce_digest="b" * 64,
        code_verifier_sealed="v1.x.y",
        redirect_url="https://app.example/sso-callback",
        subject_id=None,
        expire_at=now + 1000,
        created_at=now,
    )
    stale = dataclasses.replace(state, state_digest="c" * 64, expire_at=now - 1)

    async def add(tx: Tx) -> None:
        repo = AuthorizationStateRepository(tx.conn)
        await repo.add(state)
        await repo.add(stale)

    async def take(tx: Tx) -> AuthorizationState | None:
        return await AuthorizationStateRepository(tx.conn).take("a" * 64)

    async def purge(tx: Tx) -> int:
        return await AuthorizationStateRepository(tx.conn).purge_expired(now)

    await run_transaction(store_ctx, add)
    assert await run_transaction(store_ctx, take) == state
    assert await run_transaction(store_ctx, take) is None
    assert await run_transaction(store_ctx, purge) == 1
