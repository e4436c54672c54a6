"""``/clients``: list, get, verify a ``__client`` value, and the handshake payload."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from threshold.core.errors import NotFoundError
from threshold.server.backend_api.bodies import ClientVerifyIn
from threshold.server.backend_api.deps import Ctx, Listing, answer, error_responses, listing
from threshold.server.backend_api.schemas import ClientOut, HandshakePayloadOut, Paged
from threshold.server.backend_api.serialize import client_json
from threshold.services import admin_sessions
from threshold.services.handshake import take_payload

__all__ = ["router"]

router = APIRouter(tags=["Clients"], responses=error_responses())


@router.get("/clients", response_model=list[ClientOut] | Paged[ClientOut], summary="List")
async def list_clients(ctx: Ctx, params: Annotated[Listing, Depends()]) -> Response:
    """Clients (browsers), newest first, each with all of its sessions."""
    records, total = await admin_sessions.list_clients(ctx, params.page())
    return listing(records, total, params, client_json)


@router.get(
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


@router.get("/clients/{client_id}", response_model=ClientOut, summary="Get a client")
async def get_client(ctx: Ctx, client_id: str) -> Response:
    """One client with its sessions."""
    return answer(client_json(await admin_sessions.get_client(ctx, client_id)))


@router.post("/clients/verify", response_model=ClientOut, summary="Verify a client token")
async def verify_client(ctx: Ctx, body: ClientVerifyIn) -> Response:
    """The live client whose ``__client`` cookie value is ``token`` (404 otherwise)."""
    return answer(client_json(await admin_sessions.verify_client(ctx, body.token)))
