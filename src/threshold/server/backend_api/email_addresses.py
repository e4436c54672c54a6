"""``/email_addresses``: create, get, update, delete."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from threshold.server.backend_api.bodies import EmailCreateIn, EmailUpdateIn
from threshold.server.backend_api.deps import Ctx, answer, error_responses
from threshold.server.backend_api.schemas import DeletedObjectOut, EmailAddressOut
from threshold.services.users import emails as admin_emails
from threshold.services.users.emails import EmailChange
from threshold.wire.deleted import deleted_json
from threshold.wire.users import email_json

__all__ = ["router"]

router = APIRouter(tags=["Email Addresses"], responses=error_responses())


@router.post("/email_addresses", response_model=EmailAddressOut, summary="Add an email address")
async def create(ctx: Ctx, body: EmailCreateIn) -> Response:
    """Add an address to a user: unverified unless ``verified``; ``primary`` needs it verified
    (a user's first verified address becomes primary by itself)."""
    change = EmailChange(verified=body.verified, primary=body.primary)
    email = await admin_emails.create_email(ctx, body.user_id, body.email_address, change)
    return answer(email_json(email))


@router.get(
    "/email_addresses/{email_address_id}",
    response_model=EmailAddressOut,
    summary="Get an email address",
)
async def get(ctx: Ctx, email_address_id: str) -> Response:
    """One email address."""
    return answer(email_json(await admin_emails.get_email(ctx, email_address_id)))


@router.patch(
    "/email_addresses/{email_address_id}",
    response_model=EmailAddressOut,
    summary="Update an email address",
)
async def update(ctx: Ctx, email_address_id: str, body: EmailUpdateIn) -> Response:
    """Mark verified or unverified, or make primary."""
    change = EmailChange(verified=body.verified, primary=body.primary)
    return answer(email_json(await admin_emails.update_email(ctx, email_address_id, change)))


@router.delete(
    "/email_addresses/{email_address_id}",
    response_model=DeletedObjectOut,
    summary="Delete an email address",
)
async def delete(ctx: Ctx, email_address_id: str) -> Response:
    """Delete an address (not the primary one)."""
    deleted = await admin_emails.delete_email(ctx, email_address_id)
    return answer(deleted_json("email_address", deleted))
