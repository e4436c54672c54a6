"""A browser's Client: created on first need, its secret rotated at sign-in and sign-out."""

from __future__ import annotations

from dataclasses import replace

from threshold.core.codes import token_digest
from threshold.core.ids import new_id, random_token
from threshold.core.records.clients import Client
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx
from threshold.store.repositories import ClientRepository

__all__ = ["client_uat", "ensure_client", "rotate_client_token", "update_client"]


async def ensure_client(ctx: ServerContext, tx: Tx, state: ClientState) -> Client:
    """The request's Client, created (with a fresh token) when it has none."""
    if state.client is not None:
        return state.client
    token = random_token(32)
    now = ctx.now_ms()
    state.client = await ClientRepository(tx.conn).insert(
        Client(
            id=new_id("client"), token_digest=token_digest(token), created_at=now, updated_at=now
        )
    )
    state.new_token = token
    return state.client


async def update_client(tx: Tx, state: ClientState, changed: Client) -> Client:
    """Store ``changed`` (a :func:`dataclasses.replace` of the request's Client) and keep
    it as the request's Client."""
    assert state.client is not None
    state.client = await ClientRepository(tx.conn).update(state.client, changed)
    return state.client


async def rotate_client_token(
    ctx: ServerContext,
    tx: Tx,
    state: ClientState,
    *,
    last_active_session_id: str | None,
    end_attempts: bool = False,
) -> None:
    """Give the Client a new secret (no fixation) and its active session; ``end_attempts``
    also forgets its sign-in and sign-up in progress. Bumps updated_at."""
    assert state.client is not None
    token = random_token(32)
    changed = replace(
        state.client,
        token_digest=token_digest(token),
        updated_at=ctx.now_ms(),
        last_active_session_id=last_active_session_id,
    )
    if end_attempts:
        changed = replace(changed, sign_in_id=None, sign_up_id=None)
    await update_client(tx, state, changed)
    state.new_token = token


def client_uat(ctx: ServerContext, client: Client | None, has_session: bool) -> int:
    """The ``__client_uat`` value: client.updated_at in seconds when signed in, else 0."""
    if client is None or not has_session:
        return 0
    return int(client.updated_at // 1000)
