"""The handshake: hand an app's server the browser's session as Set-Cookie directives."""

from __future__ import annotations

from threshold.core.codes import token_digest
from threshold.core.errors import SignedOutError
from threshold.core.ids import random_token
from threshold.core.records.clients import SessionStatus
from threshold.core.records.instance import HandshakeNonce
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.clients import client_uat
from threshold.services.sessions.tokens import mint_session_token
from threshold.store.repositories import HandshakeNonceRepository, SessionRepository

__all__ = [
    "NONCE_TTL_SECONDS",
    "build_directives",
    "create_nonce",
    "handshake_parameter",
    "take_payload",
]

NONCE_TTL_SECONDS = 60


def _cookie(name: str, value: str, *, secure: bool, max_age: int | None = None) -> str:
    parts = [f"{name}={value}", "Path=/", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


async def build_directives(
    ctx: ServerContext, tx: Tx, state: ClientState, *, azp: str | None, secure: bool
) -> list[str]:
    """``Set-Cookie`` values for the app: the active session's token and ``__client_uat``."""
    client = state.client
    session_id = client.last_active_session_id if client else None
    token = None
    if session_id is not None:
        session = await SessionRepository(tx.conn).get(session_id)
        if session is not None and session.status == SessionStatus.ACTIVE:
            try:
                token = await mint_session_token(ctx, tx, session_id, client_id=None, origin=azp)
            except SignedOutError:
                token = None
    if token is None:
        return [
            _cookie("__session", "", secure=secure, max_age=0),
            _cookie("__client_uat", "0", secure=secure, max_age=ctx.settings.session_max_age),
        ]
    uat = client_uat(ctx, client, True)
    return [
        _cookie("__session", token, secure=secure),
        _cookie("__client_uat", str(uat), secure=secure, max_age=ctx.settings.session_max_age),
    ]


async def create_nonce(ctx: ServerContext, tx: Tx, directives: list[str]) -> str:
    """Store the directives under a random single-use nonce (its digest only)."""
    nonce = random_token(24)
    now = ctx.now_ms()
    await HandshakeNonceRepository(tx.conn).insert(
        HandshakeNonce(
            digest=token_digest(nonce),
            directives=directives,
            expire_at=now + NONCE_TTL_SECONDS * 1000,
            created_at=now,
        )
    )
    return nonce


async def handshake_parameter(
    ctx: ServerContext, state: ClientState, *, azp: str | None, secure: bool, by_nonce: bool
) -> str:
    """What the handshake adds to the app's ``redirect_url``: the directives behind a
    nonce the app's backend trades for them (``by_nonce``), or inside a signed JWT."""

    async def work(tx: Tx) -> str:
        directives = await build_directives(ctx, tx, state, azp=azp, secure=secure)
        if by_nonce:
            return "__clerk_handshake_nonce=" + await create_nonce(ctx, tx, directives)
        now = ctx.now_s()
        payload = {"handshake": directives, "iat": now, "exp": now + 60}
        return "__clerk_handshake=" + ctx.keyring.sign(payload)

    return await run_transaction(ctx, work, state=state)


async def take_payload(ctx: ServerContext, nonce: str) -> list[str] | None:
    """The directives stored for ``nonce``, once; None when unknown, used or expired."""
    if not nonce or len(nonce) > 200:
        return None

    async def work(tx: Tx) -> list[str] | None:
        found = await HandshakeNonceRepository(tx.conn).take(token_digest(nonce), ctx.now_ms())
        return None if found is None else list(found.directives)

    return await run_transaction(ctx, work)
