"""Sessions and clients through the Backend API."""

from __future__ import annotations

from threshold.core.errors import (
    AccountBannedError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from threshold.core.records.clients import Client, Session, SessionStatus
from threshold.core.records.listing import Listed, Page
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import require
from threshold.services.runtime.request import ClientState, load_client
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.sessions import create_session, set_session_status
from threshold.services.sessions.tokens import mint_session_token
from threshold.services.users.directory import load_user
from threshold.services.users.passwords import lockout_error
from threshold.store.repositories import ClientRepository, SessionRepository
from threshold.wire.clients import ClientSessions

__all__ = [
    "create_session_for_user",
    "create_session_token",
    "get_client",
    "get_session",
    "list_clients",
    "list_sessions",
    "revoke_session",
    "verify_client",
]


async def _session(tx: Tx, session_id: str) -> Session:
    return await require(SessionRepository(tx.conn), session_id, "sess", "session", "session_id")


async def list_sessions(
    ctx: ServerContext,
    *,
    user_id: str | None,
    client_id: str | None,
    status: SessionStatus | None,
    page: Page,
) -> Listed[Session]:
    """Sessions of a user and/or a client, newest first, with the total count."""
    if not user_id and not client_id:
        raise ValidationError(
            "Give user_id or client_id.", param="user_id", code="form_param_missing"
        )

    async def work(tx: Tx) -> Listed[Session]:
        return await SessionRepository(tx.conn).of(
            user_id=user_id, client_id=client_id, status=status, page=page
        )

    return await run_transaction(ctx, work, readonly=True)


async def get_session(ctx: ServerContext, session_id: str) -> Session:
    """One session."""
    return await run_transaction(ctx, lambda tx: _session(tx, session_id), readonly=True)


async def revoke_session(ctx: ServerContext, session_id: str) -> Session:
    """Revoke a session: it can mint no more tokens (issued ones live until ``exp``)."""

    async def work(tx: Tx) -> Session:
        await _session(tx, session_id)
        return await set_session_status(ctx, tx, session_id, SessionStatus.REVOKED)

    return await run_transaction(ctx, work)


async def create_session_for_user(ctx: ServerContext, user_id: str) -> Session:
    """A new active session on a new Client (test mode only, as Clerk's testing endpoint)."""
    if not ctx.settings.test_mode_enabled:
        raise PermissionDeniedError(
            "Creating sessions through the Backend API is only allowed in test mode.",
            code="operation_not_allowed",
        )

    async def work(tx: Tx) -> Session:
        user = (await load_user(tx, user_id)).user
        if user.banned:
            raise AccountBannedError(param="user_id")
        if (locked := lockout_error(ctx, user)) is not None:
            raise locked
        return await create_session(ctx, tx, ClientState(), user)

    return await run_transaction(ctx, work)


async def create_session_token(
    ctx: ServerContext, session_id: str, *, origin: str | None, lifetime: int | None
) -> str:
    """A session JWT for an active session (``azp`` from the caller's Origin)."""

    async def work(tx: Tx) -> str:
        await _session(tx, session_id)
        return await mint_session_token(
            ctx, tx, session_id, client_id=None, origin=origin, lifetime=lifetime
        )

    return await run_transaction(ctx, work)


async def _with_sessions(tx: Tx, client: Client) -> ClientSessions:
    every = await SessionRepository(tx.conn).for_client(client.id, live_only=False)
    return ClientSessions(client, every)


async def get_client(ctx: ServerContext, client_id: str) -> ClientSessions:
    """One client with its sessions."""

    async def work(tx: Tx) -> ClientSessions:
        client = await require(
            ClientRepository(tx.conn), client_id, "client", "client", "client_id"
        )
        return await _with_sessions(tx, client)

    return await run_transaction(ctx, work, readonly=True)


async def list_clients(ctx: ServerContext, page: Page) -> Listed[ClientSessions]:
    """Clients, newest first, with the total count."""

    async def work(tx: Tx) -> Listed[ClientSessions]:
        listed = await ClientRepository(tx.conn).listing(page)
        return Listed([await _with_sessions(tx, c) for c in listed.items], listed.total)

    return await run_transaction(ctx, work, readonly=True)


async def verify_client(ctx: ServerContext, token: str) -> ClientSessions:
    """The live client whose ``__client`` cookie value is ``token`` (404 otherwise)."""

    async def work(tx: Tx) -> ClientSessions:
        client = await load_client(tx.conn, token)
        if client is None:
            raise NotFoundError("No active client matches this token.", param="token")
        return await _with_sessions(tx, client)

    return await run_transaction(ctx, work)
