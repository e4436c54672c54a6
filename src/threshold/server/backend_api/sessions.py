"""``/sessions`` (list, create in test mode, get, revoke, tokens) and ``/clients`` (list,
get, verify a ``__client`` value, handshake payloads)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from threshold.core.errors import NotFoundError
from threshold.core.records.clients import SessionStatus
from threshold.server.backend_api.bodies import ClientVerifyIn, SessionCreateIn, TokenIn
from threshold.server.backend_api.deps import (
    Ctx,
    Listing,
    answer,
    error_responses,
    listed,
    request_origin,
)
from threshold.server.backend_api.schemas import (
    ClientOut,
    HandshakePayloadOut,
    Paged,
    SessionOut,
    TokenOut,
)
from threshold.services.sessions import directory as admin_sessions
from threshold.services.sessions.handshake import take_payload
from threshold.services.sessions.template_tokens import mint_template_token
from threshold.wire.clients import client_json
from threshold.wire.sessions import session_json, token_json

__all__ = ["clients_router", "router"]

router = APIRouter(tags=["Sessions"], responses=error_responses())
clients_router = APIRouter(tags=["Clients"], responses=error_responses())

Id = Annotated[str | None, Query(max_length=64)]
Status = Literal["abandoned", "active", "ended", "expired", "removed", "replaced", "revoked"]


@router.get("/sessions", response_model=list[SessionOut] | Paged[SessionOut], summary="List")
async def list_sessions(
    ctx: Ctx,
    params: Annotated[Listing, Depends()],
    user_id: Id = None,
    client_id: Id = None,
    status: Status | None = None,
) -> Response:
    """Sessions of a user or a client (one of the two is required), newest first."""
    found = await admin_sessions.list_sessions(
        ctx,
        user_id=user_id,
        client_id=client_id,
        status=None if status is None else SessionStatus(status),
        page=params.page(),
    )
    return listed(found, params, session_json)


@router.post("/sessions", response_model=SessionOut, summary="Create a session (testing)")
async def create_session(ctx: Ctx, body: SessionCreateIn) -> Response:
    """A new active session for the user on a new client. Only in test mode (on by default
    in development), as Clerk's endpoint is for testing only."""
    return answer(session_json(await admin_sessions.create_session_for_user(ctx, body.user_id)))


@router.get("/sessions/{session_id}", response_model=SessionOut, summary="Get a session")
async def get_session(ctx: Ctx, session_id: str) -> Response:
    """One session."""
    return answer(session_json(await admin_sessions.get_session(ctx, session_id)))


@router.post("/sessions/{session_id}/revoke", response_model=SessionOut, summary="Revoke")
async def revoke_session(ctx: Ctx, session_id: str) -> Response:
    """Revoke: no new token can be minted (tokens already issued live until ``exp``)."""
    return answer(session_json(await admin_sessions.revoke_session(ctx, session_id)))


@router.post("/sessions/{session_id}/tokens", response_model=TokenOut, summary="Session token")
async def create_token(
    ctx: Ctx, request: Request, session_id: str, body: TokenIn | None = None
) -> Response:
    """A fresh session JWT for an active session (401 ``signed_out`` otherwise). ``azp`` is
    the request's ``Origin`` when it sends one (an app renewing its user's token)."""
    jwt = await admin_sessions.create_session_token(
        ctx,
        session_id,
        origin=request_origin(request),
        lifetime=body.expires_in_seconds if body else None,
    )
    return answer(token_json(jwt))


@router.post(
    "/sessions/{session_id}/tokens/{template_name}",
    response_model=TokenOut,
    summary="Token from a JWT template",
)
async def create_template_token(
    ctx: Ctx, request: Request, session_id: str, template_name: str, body: TokenIn | None = None
) -> Response:
    """A JWT with the template's claims and lifetime (``expires_in_seconds`` overrides it)."""
    jwt = await mint_template_token(
        ctx,
        session_id,
        template_name,
        origin=request_origin(request),
        lifetime=body.expires_in_seconds if body else None,
    )
    return answer(token_json(jwt))


@clients_router.get("/clients", response_model=list[ClientOut] | Paged[ClientOut], summary="List")
async def list_clients(ctx: Ctx, params: Annotated[Listing, Depends()]) -> Response:
    """Clients (browsers), newest first, each with all of its sessions."""
    return listed(await admin_sessions.list_clients(ctx, params.page()), params, client_json)


@clients_router.get(
    "/clients/handshake_payload",
    response_model=HandshakePayloadOut,
    summary="Handshake payload",
)
async def handshake_payload(
    ctx: Ctx, nonce: Annotated[str, Query(min_length=1, max_length=200)]
) -> Response:
    """The ``Set-Cookie`` directives stored for a handshake nonce, once. An unknown, used
    or expired nonce is a 404 ``resource_not_found`` (SDKs then treat the browser as
    signed out)."""
    directives = await take_payload(ctx, nonce)
    if directives is None:
        raise NotFoundError("This handshake nonce is unknown, used or expired.", param="nonce")
    return answer({"directives": directives})


@clients_router.get("/clients/{client_id}", response_model=ClientOut, summary="Get a client")
async def get_client(ctx: Ctx, client_id: str) -> Response:
    """One client with its sessions."""
    return answer(client_json(await admin_sessions.get_client(ctx, client_id)))


@clients_router.post("/clients/verify", response_model=ClientOut, summary="Verify a client token")
async def verify_client(ctx: Ctx, body: ClientVerifyIn) -> Response:
    """The live client whose ``__client`` cookie value is ``token`` (404 otherwise)."""
    return answer(client_json(await admin_sessions.verify_client(ctx, body.token)))
