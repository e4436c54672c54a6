"""``/allowlist_identifiers`` and ``/blocklist_identifiers``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from threshold.core.records.identifiers import IdentifierList
from threshold.server.backend_api.bodies import IdentifierIn
from threshold.server.backend_api.deps import Ctx, Listing, answer, error_responses, listed
from threshold.server.backend_api.schemas import (
    AllowlistIdentifierOut,
    BlocklistIdentifierOut,
    DeletedObjectOut,
    Paged,
)
from threshold.services.instance.identifier_lists import IdentifierListService
from threshold.wire.deleted import deleted_json
from threshold.wire.identifiers import identifier_json

__all__ = ["router"]

router = APIRouter(responses=error_responses())
_ALLOWLIST, _BLOCKLIST = IdentifierList.ALLOWLIST, IdentifierList.BLOCKLIST
_ALLOW, _BLOCK = IdentifierListService(_ALLOWLIST), IdentifierListService(_BLOCKLIST)


@router.get(
    "/allowlist_identifiers",
    response_model=list[AllowlistIdentifierOut] | Paged[AllowlistIdentifierOut],
    tags=["Allow-list"],
    summary="List",
)
async def list_allowlist(ctx: Ctx, params: Annotated[Listing, Depends()]) -> Response:
    """Allowed identifiers. When the list is not empty, only they can sign up or sign in."""
    found = await _ALLOW.list(ctx, params.page())
    return listed(found, params, lambda e: identifier_json(e, _ALLOWLIST, ctx.instance.id))


@router.post(
    "/allowlist_identifiers",
    response_model=AllowlistIdentifierOut,
    tags=["Allow-list"],
    summary="Add",
)
async def add_allowlist(ctx: Ctx, body: IdentifierIn) -> Response:
    """Allow an email address or a domain (``*@example.com``); ``notify`` mails the address."""
    entry = await _ALLOW.create(ctx, body.identifier, notify=bool(body.notify))
    return answer(identifier_json(entry, _ALLOWLIST, ctx.instance.id))


@router.delete(
    "/allowlist_identifiers/{identifier_id}",
    response_model=DeletedObjectOut,
    tags=["Allow-list"],
    summary="Remove",
)
async def delete_allowlist(ctx: Ctx, identifier_id: str) -> Response:
    """Remove an allowed identifier."""
    deleted = await _ALLOW.delete(ctx, identifier_id)
    return answer(deleted_json("allowlist_identifier", deleted))


@router.get(
    "/blocklist_identifiers",
    response_model=Paged[BlocklistIdentifierOut],
    tags=["Block-list"],
    summary="List",
)
async def list_blocklist(ctx: Ctx, params: Annotated[Listing, Depends()]) -> Response:
    """Blocked identifiers, always as ``{data, total_count}``."""
    found = await _BLOCK.list(ctx, params.page())
    data = [identifier_json(e, _BLOCKLIST, ctx.instance.id) for e in found.items]
    return answer({"data": data, "total_count": found.total})


@router.post(
    "/blocklist_identifiers",
    response_model=BlocklistIdentifierOut,
    tags=["Block-list"],
    summary="Add",
)
async def add_blocklist(ctx: Ctx, body: IdentifierIn) -> Response:
    """Block an email address or a domain from signing up and signing in."""
    entry = await _BLOCK.create(ctx, body.identifier)
    return answer(identifier_json(entry, _BLOCKLIST, ctx.instance.id))


@router.delete(
    "/blocklist_identifiers/{identifier_id}",
    response_model=DeletedObjectOut,
    tags=["Block-list"],
    summary="Remove",
)
async def delete_blocklist(ctx: Ctx, identifier_id: str) -> Response:
    """Remove a blocked identifier."""
    deleted = await _BLOCK.delete(ctx, identifier_id)
    return answer(deleted_json("blocklist_identifier", deleted))
