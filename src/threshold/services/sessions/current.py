"""The signed-in user a Frontend API request acts for: what ``/v1/me`` resolves first.

clerk-js names the session in the query (``_clerk_session_id``); without it, the Client's
active session. The session must belong to the request's Client and be live, and its user
must not be banned: otherwise the request is signed out (401), never served for another
browser's session.
"""

from __future__ import annotations

from dataclasses import dataclass

from threshold.core.errors import NotFoundError, SignedOutError
from threshold.core.records.clients import Session
from threshold.core.records.users import User
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.liveness import live_session_of_client
from threshold.store.repositories import EmailRepository
from threshold.wire.users import UserView

__all__ = ["SignedIn", "me", "signed_in"]


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The session a request acts through, and its user."""

    session: Session
    user: User


async def signed_in(
    ctx: ServerContext, tx: Tx, state: ClientState, session_id: str | None
) -> SignedIn:
    """The Client's session ``session_id`` (its active one when None), live, with its
    user; :class:`SignedOutError` when there is none. Call it first in the transaction
    of any ``/v1/me`` change, so the change and the check are one."""
    client = state.client
    wanted = session_id or (client.last_active_session_id if client else None)
    if client is None or not wanted:
        raise SignedOutError()
    try:
        session, user = await live_session_of_client(ctx, tx, wanted, client.id)
    except NotFoundError as exc:
        raise SignedOutError() from exc
    return SignedIn(session, user)


async def me(ctx: ServerContext, state: ClientState, session_id: str | None) -> UserView:
    """The signed-in user with their email addresses (``GET /v1/me``)."""

    async def work(tx: Tx) -> UserView:
        user = (await signed_in(ctx, tx, state, session_id)).user
        return UserView(user, await EmailRepository(tx.conn).for_user(user.id))

    return await run_transaction(ctx, work, state=state, readonly=True)
