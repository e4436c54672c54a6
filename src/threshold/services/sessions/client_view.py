"""What the Frontend API answers with: the Client as it reads after a request (its live
sessions with their users, the active one with a freshly minted token, the sign-in and
sign-up in progress), next to the object the request was about.

Each answer is read in one transaction of its own, after the request's own work.
"""

from __future__ import annotations

from threshold.core.errors import SignedOutError
from threshold.core.records.clients import Session, SessionStatus
from threshold.core.records.sign_ins import SignIn
from threshold.core.records.sign_ups import SignUp
from threshold.services.auth.sign_in_view import sign_in_view
from threshold.services.auth.sign_up import sign_up_view
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.tokens import mint_for_session
from threshold.store.repositories import (
    EmailRepository,
    SessionRepository,
    SignInRepository,
    SignUpRepository,
    UserRepository,
)
from threshold.wire.clients import ClientView
from threshold.wire.sessions import SessionView
from threshold.wire.sign_ins import SignInView
from threshold.wire.sign_ups import SignUpView
from threshold.wire.users import UserView

__all__ = ["client_view", "session_answer", "sign_in_answer", "sign_up_answer"]


async def _session_view(
    ctx: ServerContext, tx: Tx, session: Session, *, origin: str | None, with_token: bool
) -> SessionView:
    """The session with its user; ``with_token``: a token minted for it now, if it is live."""
    user = await UserRepository(tx.conn).get(session.user_id)
    emails = await EmailRepository(tx.conn).for_user(session.user_id) if user else []
    token = None
    if with_token and session.status == SessionStatus.ACTIVE:
        try:
            token = await mint_for_session(ctx, tx, session, user, origin=origin)
        except SignedOutError:
            token = None
    return SessionView(session, None if user is None else UserView(user, emails), token)


async def _client_view(ctx: ServerContext, tx: Tx, state: ClientState) -> ClientView | None:
    client = state.client
    if client is None:
        return None
    active = client.last_active_session_id
    sessions = [
        await _session_view(ctx, tx, s, origin=state.origin, with_token=s.id == active)
        for s in await SessionRepository(tx.conn).for_client(client.id)
    ]
    now = ctx.now_ms()
    sign_in = await SignInRepository(tx.conn).get(client.sign_in_id) if client.sign_in_id else None
    sign_up = await SignUpRepository(tx.conn).get(client.sign_up_id) if client.sign_up_id else None
    return ClientView(
        client=client,
        sessions=sessions,
        sign_in=None
        if sign_in is None
        else await sign_in_view(ctx, tx, sign_in.seen_at(now), stand_in=False),
        sign_up=None if sign_up is None else sign_up_view(ctx, sign_up.seen_at(now)),
        cookie_expires_at=client.updated_at + ctx.settings.session_max_age * 1000,
    )


async def client_view(ctx: ServerContext, state: ClientState) -> ClientView | None:
    """The request's Client as it reads now (None when the browser has none)."""

    async def work(tx: Tx) -> ClientView | None:
        return await _client_view(ctx, tx, state)

    return await run_transaction(ctx, work, state=state)


async def sign_in_answer(
    ctx: ServerContext, state: ClientState, sign_in: SignIn
) -> tuple[SignInView, ClientView | None]:
    """A sign-in a step just returned, with its factors, and the Client."""

    async def work(tx: Tx) -> tuple[SignInView, ClientView | None]:
        view = await sign_in_view(ctx, tx, sign_in, stand_in=True)
        return view, await _client_view(ctx, tx, state)

    return await run_transaction(ctx, work, state=state)


async def sign_up_answer(
    ctx: ServerContext, state: ClientState, sign_up: SignUp
) -> tuple[SignUpView, ClientView | None]:
    """A sign-up a step just returned, and the Client."""
    return sign_up_view(ctx, sign_up), await client_view(ctx, state)


async def session_answer(
    ctx: ServerContext, state: ClientState, session: Session
) -> tuple[SessionView, ClientView | None]:
    """A session a step just changed, as it reads now (no token), and the Client."""

    async def work(tx: Tx) -> tuple[SessionView, ClientView | None]:
        fresh = await SessionRepository(tx.conn).get(session.id)
        view = await _session_view(ctx, tx, fresh or session, origin=state.origin, with_token=False)
        return view, await _client_view(ctx, tx, state)

    return await run_transaction(ctx, work, state=state)
