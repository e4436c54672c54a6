"""``/sign_in_tokens`` and ``/invitations``: single-use links for a user or an address."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from threshold.core.errors import ValidationError
from threshold.core.records.tickets import InvitationStatus
from threshold.server.backend_api.bodies import InvitationIn, SignInTokenIn, new_invitation
from threshold.server.backend_api.deps import (
    Ctx,
    Listing,
    answer,
    error_responses,
    listed,
    order_by_param,
)
from threshold.server.backend_api.schemas import InvitationOut, Paged, SignInTokenOut
from threshold.server.http import safe_redirect
from threshold.services.auth import tickets
from threshold.wire.tickets import invitation_json, sign_in_token_json

__all__ = ["router"]

router = APIRouter(responses=error_responses())
_SIT: list[str | Enum] = ["Sign-in Tokens"]
_INV: list[str | Enum] = ["Invitations"]


@router.post("/sign_in_tokens", response_model=SignInTokenOut, tags=_SIT, summary="Create")
async def create_sign_in_token(ctx: Ctx, body: SignInTokenIn) -> Response:
    """A single-use link that signs the user in: ``url`` is
    ``<public_url>/sign-in?__clerk_ticket=<token>`` (30 days unless ``expires_in_seconds``)."""
    issued = await tickets.create_sign_in_token(ctx, body.user_id, body.expires_in_seconds)
    return answer(sign_in_token_json(issued.ticket, secret=issued.secret, url=issued.url))


@router.post(
    "/sign_in_tokens/{sign_in_token_id}/revoke",
    response_model=SignInTokenOut,
    tags=_SIT,
    summary="Revoke",
)
async def revoke_sign_in_token(ctx: Ctx, sign_in_token_id: str) -> Response:
    """Revoke a pending sign-in token (400 when it was already used or revoked)."""
    return answer(sign_in_token_json(await tickets.revoke_sign_in_token(ctx, sign_in_token_id)))


@router.post("/invitations", response_model=InvitationOut, tags=_INV, summary="Create")
async def create_invitation(ctx: Ctx, body: InvitationIn) -> Response:
    """Invite an address: ``url`` is ``<public_url>/sign-up?__clerk_ticket=<token>`` (with
    ``redirect_url``, which must be on an allowed origin). Mailed unless ``notify`` is false."""
    redirect = None
    if body.redirect_url:
        redirect = safe_redirect(body.redirect_url, ctx.settings)
        if redirect is None:
            raise ValidationError(
                "redirect_url must be a path or a URL on an allowed origin.",
                param="redirect_url",
                code="form_param_value_invalid",
            )
    issued = await tickets.create_invitation(ctx, new_invitation(body, redirect))
    return answer(invitation_json(issued.ticket, ctx.now_ms(), url=issued.url))


@router.get(
    "/invitations",
    response_model=list[InvitationOut] | Paged[InvitationOut],
    tags=_INV,
    summary="List",
)
async def list_invitations(
    ctx: Ctx,
    params: Annotated[Listing, Depends()],
    status: Literal["pending", "accepted", "revoked", "expired"] | None = None,
    query: Annotated[str | None, Query(max_length=320)] = None,
    order_by: Annotated[str, order_by_param(tickets.INVITATION_ORDER_FIELDS)] = "-created_at",
) -> Response:
    """Invitations, filtered by status and by part of the address."""
    found = await tickets.list_invitations(
        ctx,
        status=None if status is None else InvitationStatus(status),
        query=query,
        page=params.page(order_by),
    )
    now = ctx.now_ms()
    return listed(found, params, lambda i: invitation_json(i, now))


@router.post(
    "/invitations/{invitation_id}/revoke", response_model=InvitationOut, tags=_INV, summary="Revoke"
)
async def revoke_invitation(ctx: Ctx, invitation_id: str) -> Response:
    """Revoke a pending invitation (400 when it was already accepted or revoked)."""
    invitation = await tickets.revoke_invitation(ctx, invitation_id)
    return answer(invitation_json(invitation, ctx.now_ms()))
