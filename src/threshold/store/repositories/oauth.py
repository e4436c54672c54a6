"""Social sign-in: provider flows in progress and external accounts, as records."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from threshold.core.records.oauth import (
    AuthorizationState,
    ExternalAccount,
    ExternalAccountStatus,
)
from threshold.store.repositories._base import Repository, Row
from threshold.store.tables import external_accounts, oauth_states

__all__ = ["AuthorizationStateRepository", "ExternalAccountRepository"]

_TAKE_STATE = (
    sa.delete(oauth_states)
    .where(oauth_states.c.state_digest == sa.bindparam("digest"))
    .returning(*oauth_states.c)
)
_PURGE_STATES = sa.delete(oauth_states).where(oauth_states.c.expire_at <= sa.bindparam("now"))
_ACCOUNT_BY_PROVIDER_USER = sa.select(external_accounts).where(
    external_accounts.c.provider == sa.bindparam("provider"),
    external_accounts.c.provider_user_id == sa.bindparam("provider_user_id"),
)
_ACCOUNTS_OF_USER = (
    sa.select(external_accounts)
    .where(external_accounts.c.user_id == sa.bindparam("user_id"))
    .order_by(external_accounts.c.created_at, external_accounts.c.id)
)


class AuthorizationStateRepository(Repository[AuthorizationState]):
    table = oauth_states
    record = AuthorizationState

    async def add(self, state: AuthorizationState) -> None:
        await self.insert(state)

    async def take(self, state_digest: str) -> AuthorizationState | None:
        """Remove the flow with this state and return it: a state opens one callback."""
        return await self._one(_TAKE_STATE, {"digest": state_digest})

    async def purge_expired(self, now_ms: int) -> int:
        """Forget flows past their expiry; how many there were."""
        result = await self.conn.execute(_PURGE_STATES, {"now": now_ms})
        return int(result.rowcount or 0)


def _account(row: Mapping[Any, Any]) -> ExternalAccount:
    values: dict[str, Any] = dict(row)
    values["approved_scopes"] = tuple(values["approved_scopes"].split())
    values["status"] = ExternalAccountStatus(values["status"])
    return ExternalAccount(**values)


def _row(account: ExternalAccount) -> Row:
    values = {f.name: getattr(account, f.name) for f in dataclasses.fields(account)}
    values["approved_scopes"] = " ".join(account.approved_scopes)
    values["status"] = account.status.value
    values["public_metadata"] = dict(account.public_metadata)
    return values


class ExternalAccountRepository(Repository[ExternalAccount]):
    table = external_accounts
    record = ExternalAccount

    def _record(self, row: Mapping[Any, Any]) -> ExternalAccount:
        return _account(row)

    async def add(self, account: ExternalAccount) -> None:
        await self._insert_values(**_row(account))

    async def save(self, account: ExternalAccount) -> None:
        """Write every field of ``account`` over its row."""
        values = _row(account)
        del values["id"]
        await self._set(account.id, **values)

    async def find(self, account_id: str) -> ExternalAccount | None:
        return await self.get(account_id)

    async def by_provider_user(
        self, provider: str, provider_user_id: str
    ) -> ExternalAccount | None:
        """The account of this provider's user, whoever it is linked to."""
        return await self._one(
            _ACCOUNT_BY_PROVIDER_USER, {"provider": provider, "provider_user_id": provider_user_id}
        )

    async def for_user(self, user_id: str) -> list[ExternalAccount]:
        """The user's external accounts, oldest first."""
        return await self._all(_ACCOUNTS_OF_USER, {"user_id": user_id})

    async def replace_tokens(
        self, account: ExternalAccount, updated: ExternalAccount
    ) -> ExternalAccount | None:
        """Store ``updated``'s tokens only if the row still holds ``account``'s refresh
        token: of two refreshes at once, one writes, and the other reads what it wrote
        (the row as it is now is returned when this one lost; None when it is gone)."""
        result = await self.conn.execute(
            sa.update(external_accounts)
            .where(
                external_accounts.c.id == account.id,
                external_accounts.c.refresh_token_sealed == account.refresh_token_sealed,
            )
            .values(
                access_token_sealed=updated.access_token_sealed,
                refresh_token_sealed=updated.refresh_token_sealed,
                id_token_sealed=updated.id_token_sealed,
                access_token_expires_at=updated.access_token_expires_at,
                approved_scopes=" ".join(updated.approved_scopes),
                updated_at=updated.updated_at,
            )
        )
        if result.rowcount:
            return updated
        return await self.find(account.id)
