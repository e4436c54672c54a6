"""A browser's Client: created on first need, its secret rotated at sign-in and sign-out."""

from __future__ import annotations

from typing import Any

from threshold.core.codes import token_digest
from threshold.core.ids import new_id, random_token
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx
from threshold.store.repositories import ClientRepository
from threshold.store.repositories._base import Row

__all__ = ["client_uat", "ensure_client", "rotate_client_token"]


async def ensure_client(ctx: ServerContext, tx: Tx, state: ClientState) -> Row:
    """The request's Client, created (with a fresh token) when it has none."""
    if state.client is not None:
        return state.client
    token = random_token(32)
    now = ctx.now_ms()
    state.client = await ClientRepository(tx.conn).insert(
        id=new_id("client"),
        token_digest=token_digest(token),
        last_active_session_id=None,
        sign_in_id=None,
        sign_up_id=None,
        ended=False,
        created_at=now,
        updated_at=now,
    )
    state.new_token = token
    return state.client


async def rotate_client_token(
    ctx: ServerContext, tx: Tx, state: ClientState, **changes: Any
) -> None:
    """Give the Client a new secret (no fixation) and apply ``changes``; bumps updated_at."""
    assert state.client is not None
    token = random_token(32)
    values = {"token_digest": token_digest(token), "updated_at": ctx.now_ms(), **changes}
    await ClientRepository(tx.conn).update(state.client["id"], **values)
    state.client = {**state.client, **values}
    state.new_token = token


def client_uat(ctx: ServerContext, client: Row | None, has_session: bool) -> int:
    """The ``__client_uat`` value: client.updated_at in seconds when signed in, else 0."""
    if client is None or not has_session:
        return 0
    return int(client["updated_at"] // 1000)
