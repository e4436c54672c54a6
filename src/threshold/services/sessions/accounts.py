"""The accounts one browser is signed in to, and the sessions a user can see and end.

Used by the hosted pages: ``/user`` lists the signed-in accounts of this browser (its
Client) and every live session of the active user; ``/sign-out`` ends one or all of the
Client's sessions. Each function runs one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from threshold.core.errors import NotFoundError, SignedOutError, ValidationError
from threshold.core.records.clients import Client, Session, SessionStatus
from threshold.core.records.users import User
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.clients import rotate_client_token
from threshold.services.sessions.liveness import live_session
from threshold.services.sessions.sessions import (
    end_client_sessions,
    set_session_status,
    touch_session,
)
from threshold.store.repositories import EmailRepository, SessionRepository, UserRepository

__all__ = [
    "Account",
    "AccountsView",
    "accounts_view",
    "require_active",
    "revoke_session",
    "sign_out",
    "switch_account",
]


@dataclass(frozen=True, slots=True)
class Account:
    """One signed-in account: its session on this Client, the user, the primary email."""

    session: Session
    user: User
    email: str | None


@dataclass(frozen=True, slots=True)
class AccountsView:
    """What the browser is signed in to; ``sessions`` are the active user's, on any Client."""

    active: Account | None
    accounts: list[Account]
    sessions: list[Session]


async def _accounts(ctx: ServerContext, tx: Tx, client: Client) -> list[Account]:
    found: list[Account] = []
    users, emails = UserRepository(tx.conn), EmailRepository(tx.conn)
    now = ctx.now_ms()
    for session in await SessionRepository(tx.conn).for_client(client.id):
        if not session.is_alive(now):
            continue
        user = await users.get(session.user_id)
        if user is None or user.banned:
            continue
        found.append(Account(session, user, user.primary_email(await emails.for_user(user.id))))
    return found


async def require_active(ctx: ServerContext, tx: Tx, state: ClientState) -> tuple[Session, User]:
    """(session, user) of the Client's active session; :class:`SignedOutError` if none."""
    client = state.client
    if client is None or not client.last_active_session_id:
        raise SignedOutError()
    try:
        session, user = await live_session(ctx, tx, client.last_active_session_id)
    except NotFoundError as exc:
        raise SignedOutError() from exc
    if session.client_id != client.id:
        raise SignedOutError()
    return session, user


async def accounts_view(ctx: ServerContext, state: ClientState) -> AccountsView:
    """The Client's signed-in accounts and, when one is active, its user's live sessions."""

    async def work(tx: Tx) -> AccountsView:
        if state.client is None:
            return AccountsView(None, [], [])
        accounts = await _accounts(ctx, tx, state.client)
        active_id = state.client.last_active_session_id
        active = next((a for a in accounts if a.session.id == active_id), None)
        if active is None:
            return AccountsView(None, accounts, [])
        sessions = await SessionRepository(tx.conn).for_user(
            active.user.id, status=SessionStatus.ACTIVE
        )
        now = ctx.now_ms()
        live = [s for s in sessions if s.is_alive(now)]
        live.sort(key=lambda s: (s.id != active_id, -s.last_active_at))
        return AccountsView(active, accounts, live)

    return await run_transaction(ctx, work, state=state)


async def switch_account(ctx: ServerContext, state: ClientState, session_id: str) -> None:
    """Make another signed-in account of this browser the active one."""

    async def work(tx: Tx) -> None:
        if state.client is None:
            raise SignedOutError()
        await touch_session(ctx, tx, state, session_id)

    await run_transaction(ctx, work, state=state)


async def revoke_session(ctx: ServerContext, state: ClientState, session_id: str) -> None:
    """End one of the active user's sessions on another device (not the current one)."""

    async def work(tx: Tx) -> None:
        current, user = await require_active(ctx, tx, state)
        target = await SessionRepository(tx.conn).get(session_id)
        if target is None or target.user_id != user.id:
            raise NotFoundError("Session not found.", param="session_id")
        if target.id == current.id:
            raise ValidationError(
                "To end this device's session, sign out instead.", param="session_id"
            )
        await set_session_status(ctx, tx, session_id, SessionStatus.REVOKED, state=state)

    await run_transaction(ctx, work, state=state)


async def sign_out(ctx: ServerContext, state: ClientState, *, everyone: bool) -> None:
    """End the active session (or, with ``everyone``, all of this browser's sessions).

    The client secret rotates either way, so a copied ``__client`` cookie stops working.
    """

    async def work(tx: Tx) -> None:
        client = state.client
        if client is None:
            return
        active = client.last_active_session_id
        if everyone or not active:
            await end_client_sessions(ctx, tx, state)
            return
        await set_session_status(
            ctx, tx, active, SessionStatus.ENDED, client_id=client.id, state=state
        )
        assert state.client is not None
        rest = await _accounts(ctx, tx, state.client)
        await rotate_client_token(
            ctx, tx, state, last_active_session_id=rest[-1].session.id if rest else None
        )

    await run_transaction(ctx, work, state=state)
