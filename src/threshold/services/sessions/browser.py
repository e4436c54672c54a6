"""What a browser does with its Client and sessions: create or end the Client, switch to
or end one session, sign out of all, refresh a token, and what its cookies should hold."""

from __future__ import annotations

from dataclasses import replace

from threshold.core.errors import NotFoundError, SignedOutError
from threshold.core.records.clients import Session, SessionStatus
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState, load_client
from threshold.services.runtime.transaction import Tx, keeping_refusals, run_transaction
from threshold.services.sessions.clients import client_uat, ensure_client, update_client
from threshold.services.sessions.liveness import record_activity
from threshold.services.sessions.sessions import (
    end_client_sessions,
    set_session_status,
    touch_session,
)
from threshold.services.sessions.tokens import mint_for_refresh, mint_session_token

__all__ = [
    "client_token_is_live",
    "end_all_sessions",
    "end_client",
    "end_session",
    "make_active",
    "refresh_token",
    "session_cookies",
    "start_client",
]


async def start_client(ctx: ServerContext, state: ClientState) -> None:
    """Give the browser a Client (and its ``__client`` token) if it has none."""

    async def work(tx: Tx) -> None:
        await ensure_client(ctx, tx, state)

    await run_transaction(ctx, work, state=state)


async def end_client(ctx: ServerContext, state: ClientState) -> None:
    """Sign out of every session and end the Client itself."""

    async def work(tx: Tx) -> None:
        await end_client_sessions(ctx, tx, state)
        if state.client is not None:
            await update_client(tx, state, replace(state.client, ended=True))

    await run_transaction(ctx, work, state=state)


async def end_all_sessions(ctx: ServerContext, state: ClientState) -> None:
    """Sign out of every session of the Client (it stays, with a new secret)."""

    async def work(tx: Tx) -> None:
        await end_client_sessions(ctx, tx, state)

    await run_transaction(ctx, work, state=state)


def _require_cookie(state: ClientState) -> None:
    if state.cookie_token is None:
        raise SignedOutError()


async def make_active(ctx: ServerContext, state: ClientState, session_id: str) -> Session:
    """``touch``: make one of the Client's live sessions its active one."""
    _require_cookie(state)

    async def work(tx: Tx) -> Session:
        if state.client is None:
            raise SignedOutError()
        return await touch_session(ctx, tx, state, session_id)

    return await run_transaction(ctx, work, state=state)


async def end_session(
    ctx: ServerContext, state: ClientState, session_id: str, status: SessionStatus
) -> Session:
    """``end`` or ``remove`` one of the Client's sessions (``status``: ended or removed)."""
    _require_cookie(state)

    async def work(tx: Tx) -> Session:
        if state.client is None:
            raise SignedOutError()
        return await set_session_status(
            ctx, tx, session_id, status, client_id=state.client.id, state=state
        )

    return await run_transaction(ctx, work, state=state)


async def refresh_token(ctx: ServerContext, state: ClientState, session_id: str) -> str:
    """``POST /v1/client/sessions/{id}/tokens``: a new session token, read-only, plus a
    short write of the session's activity when it is stale."""
    _require_cookie(state)
    async with keeping_refusals(ctx):
        jwt, stale = await mint_for_refresh(
            ctx, session_id, client_token=state.cookie_token, origin=state.origin
        )
    if stale is not None:
        touched = stale

        async def touch(tx: Tx) -> None:
            await record_activity(ctx, tx, touched)

        await run_transaction(ctx, touch)
    return jwt


async def client_token_is_live(ctx: ServerContext, token: str) -> bool:
    """Whether a ``__client`` token names a live Client (one whose transaction committed)."""

    async def work(tx: Tx) -> bool:
        return await load_client(tx.conn, token) is not None

    return await run_transaction(ctx, work)


async def session_cookies(
    ctx: ServerContext, state: ClientState, *, origin: str
) -> tuple[str, int]:
    """What the ``__session`` and ``__client_uat`` cookies should hold for the Client: a
    fresh token of its active session and the Client's update time; ``("", 0)`` when it
    has no live session."""

    async def work(tx: Tx) -> tuple[str, int]:
        client = state.client
        if client is None or not client.last_active_session_id:
            return "", 0
        try:
            jwt = await mint_session_token(
                ctx, tx, client.last_active_session_id, client_id=client.id, origin=origin
            )
        except (SignedOutError, NotFoundError):
            return "", 0
        return jwt, client_uat(ctx, client, True)

    return await run_transaction(ctx, work, state=state)
