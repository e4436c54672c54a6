"""External accounts: a provider's user linked to a Threshold user, and its tokens.

Tokens are sealed (``core/encryption.py``) under associated data naming the account and
the column, so a sealed token moved to another row or column does not open. A token
sealed under a retired key is sealed again under the current one when next written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import anyio

from threshold.core.encryption import SecretBox
from threshold.core.ids import new_id
from threshold.core.records.oauth import (
    ExternalAccount,
    ExternalAccountStatus,
    ProviderTokens,
)
from threshold.services.oauth.completion import ProviderGrant
from threshold.services.oauth.context import OAuthContext
from threshold.services.oauth.errors import (
    ExternalAccountNotFoundError,
    ExternalAccountTakenError,
    ProviderRefusedError,
    RefreshTokenMissingError,
)
from threshold.services.oauth.tokens import refresh_tokens
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories.oauth import ExternalAccountRepository

__all__ = [
    "REFRESH_MARGIN_MS",
    "ProviderAccessToken",
    "access_token",
    "access_tokens",
    "find_external_account",
    "link_external_account",
]

REFRESH_MARGIN_MS = 30_000
"""An access token this close to its expiry is renewed first, so the one returned works."""

_RENEWAL_WAITS = 5
_RENEWAL_WAIT_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class ProviderAccessToken:
    """A usable access token for a user's external account (Clerk's
    ``oauth_access_token``)."""

    external_account_id: str
    provider: str
    provider_user_id: str
    token: str = field(repr=False)
    expires_at: int | None
    scopes: tuple[str, ...]
    id_token: str | None = field(default=None, repr=False)


def _seal(box: SecretBox, account_id: str, column: str, value: str | None) -> str | None:
    return None if value is None else box.seal(value, context=f"{column}:{account_id}")


def _open(box: SecretBox, account_id: str, column: str, value: str | None) -> str | None:
    return None if value is None else box.open(value, context=f"{column}:{account_id}")


def _with_tokens(
    box: SecretBox, account: ExternalAccount, tokens: ProviderTokens, now_ms: int
) -> ExternalAccount:
    return dataclasses.replace(
        account,
        access_token_sealed=_seal(box, account.id, "access_token", tokens.access_token),
        refresh_token_sealed=_seal(box, account.id, "refresh_token", tokens.refresh_token),
        id_token_sealed=_seal(box, account.id, "id_token", tokens.id_token),
        access_token_expires_at=tokens.expires_at,
        approved_scopes=tokens.scopes or account.approved_scopes,
        updated_at=now_ms,
    )


async def link_external_account(
    ctx: ServerContext, oauth: OAuthContext, *, user_id: str, grant: ProviderGrant
) -> ExternalAccount:
    """Link the grant's provider user to ``user_id``, or refresh the link's profile and
    tokens when it exists. A provider user linked to someone else is
    :class:`ExternalAccountTakenError`."""
    profile = grant.profile
    now = ctx.now_ms()

    async def work(tx: Tx) -> ExternalAccount:
        accounts = ExternalAccountRepository(tx.conn)
        found = await accounts.by_provider_user(profile.provider, profile.provider_user_id)
        if found is not None and found.user_id != user_id:
            raise ExternalAccountTakenError(meta={"provider": profile.provider})
        base = found or ExternalAccount(
            id=new_id("eac"),
            user_id=user_id,
            provider=profile.provider,
            provider_user_id=profile.provider_user_id,
            email_address=None,
            email_verified=None,
            first_name=None,
            last_name=None,
            image_url=None,
            username=None,
            approved_scopes=(),
            status=ExternalAccountStatus.VERIFIED,
            access_token_sealed=None,
            refresh_token_sealed=None,
            id_token_sealed=None,
            access_token_expires_at=None,
            public_metadata={},
            label=None,
            created_at=now,
            updated_at=now,
        )
        account = _with_tokens(
            oauth.box,
            dataclasses.replace(
                base,
                email_address=profile.email,
                email_verified=profile.email_verified,
                first_name=profile.first_name,
                last_name=profile.last_name,
                image_url=profile.image_url,
                username=profile.username,
            ),
            grant.tokens,
            now,
        )
        await (accounts.save(account) if found else accounts.add(account))
        return account

    return await run_transaction(ctx, work)


async def find_external_account(
    ctx: ServerContext, provider: str, provider_user_id: str
) -> ExternalAccount | None:
    """The account of this provider's user, whoever it is linked to (sign-in)."""

    async def work(tx: Tx) -> ExternalAccount | None:
        return await ExternalAccountRepository(tx.conn).by_provider_user(provider, provider_user_id)

    return await run_transaction(ctx, work, readonly=True)


async def access_tokens(
    ctx: ServerContext, oauth: OAuthContext, *, user_id: str, provider: str
) -> list[ProviderAccessToken]:
    """Working access tokens for each of the user's accounts with ``provider`` (a
    strategy such as ``oauth_google``; a user may link several), oldest account first.
    A token that has expired, or is about to, is renewed with its refresh token first;
    callers asking at the same time share one renewal."""

    async def read(tx: Tx) -> list[ExternalAccount]:
        accounts = await ExternalAccountRepository(tx.conn).for_user(user_id)
        return [a for a in accounts if a.provider == provider and a.access_token_sealed]

    found = []
    now = ctx.now_ms()
    for account in await run_transaction(ctx, read, readonly=True):
        if _expiring(account, now):
            account = await _renew(ctx, oauth, account.id, now)
        found.append(_access_token(oauth.box, account))
    return found


async def access_token(
    ctx: ServerContext, oauth: OAuthContext, *, user_id: str, provider: str
) -> ProviderAccessToken:
    """The working access token of the user's (oldest) account with ``provider``:
    :func:`access_tokens`, for callers that expect one account."""
    found = await access_tokens(ctx, oauth, user_id=user_id, provider=provider)
    if not found:
        raise ExternalAccountNotFoundError(meta={"provider": provider})
    return found[0]


def _expiring(account: ExternalAccount, now: int) -> bool:
    expires = account.access_token_expires_at
    return expires is not None and expires - REFRESH_MARGIN_MS <= now


async def _read(ctx: ServerContext, account_id: str) -> ExternalAccount:
    async def read(tx: Tx) -> ExternalAccount | None:
        return await ExternalAccountRepository(tx.conn).find(account_id)

    account = await run_transaction(ctx, read, readonly=True)
    if account is None:
        raise ExternalAccountNotFoundError()
    return account


async def _renew(
    ctx: ServerContext, oauth: OAuthContext, account_id: str, now: int
) -> ExternalAccount:
    """New tokens for the account, one renewal at a time in this process (the account is
    read again once the lock is held: another caller may have renewed it already). A
    renewal that the provider refuses because another process spent the refresh token
    first returns what that process stored."""
    async with oauth.renewals.hold(account_id):
        account = await _read(ctx, account_id)
        if not _expiring(account, now):
            return account
        refresh = _open(oauth.box, account.id, "refresh_token", account.refresh_token_sealed)
        if refresh is None:
            raise RefreshTokenMissingError(meta={"provider": account.provider})
        provider = await oauth.providers.get(account.provider)
        try:
            tokens = await refresh_tokens(oauth, provider, refresh)  # outside any transaction
        except ProviderRefusedError:
            latest = await _renewed_elsewhere(ctx, account)
            if latest is not None:
                return latest
            raise
        if tokens.id_token is None:
            old_id_token = _open(oauth.box, account.id, "id_token", account.id_token_sealed)
            tokens = dataclasses.replace(tokens, id_token=old_id_token)
        updated = _with_tokens(oauth.box, account, tokens, now)

        async def write(tx: Tx) -> ExternalAccount | None:
            return await ExternalAccountRepository(tx.conn).replace_tokens(account, updated)

        stored = await run_transaction(ctx, write)
    if stored is None:
        raise ExternalAccountNotFoundError(meta={"provider": account.provider})
    return stored


async def _renewed_elsewhere(
    ctx: ServerContext, account: ExternalAccount
) -> ExternalAccount | None:
    """The account as another process renewed it, if one did: its refresh token changed
    in the database (waiting up to a second for that process to store it)."""
    for _ in range(_RENEWAL_WAITS):
        latest = await _read(ctx, account.id)
        if latest.refresh_token_sealed != account.refresh_token_sealed:
            return latest
        await anyio.sleep(_RENEWAL_WAIT_SECONDS)
    return None


def _access_token(box: SecretBox, account: ExternalAccount) -> ProviderAccessToken:
    token = _open(box, account.id, "access_token", account.access_token_sealed)
    assert token is not None
    return ProviderAccessToken(
        external_account_id=account.id,
        provider=account.provider,
        provider_user_id=account.provider_user_id,
        token=token,
        expires_at=account.access_token_expires_at,
        scopes=account.approved_scopes,
        id_token=_open(box, account.id, "id_token", account.id_token_sealed),
    )
