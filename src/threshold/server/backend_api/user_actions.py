"""``/users/{id}/...``: ban, lock, metadata, password check, profile image."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from starlette.responses import Response

from threshold.core.errors import PayloadTooLargeError, ValidationError
from threshold.server.backend_api.bodies import MetadataIn, VerifyPasswordIn, metadata_update
from threshold.server.backend_api.deps import Ctx, answer, error_responses
from threshold.server.backend_api.schemas import UserOut, VerifyPasswordOut
from threshold.server.backend_api.views import user_out
from threshold.services.users import actions

__all__ = ["router"]

router = APIRouter(tags=["Users"], responses=error_responses())


@router.post("/users/{user_id}/ban", response_model=UserOut, summary="Ban a user")
async def ban(ctx: Ctx, user_id: str) -> Response:
    """Ban the user: every session is revoked and no sign-in succeeds until unbanned."""
    return answer(user_out(ctx, await actions.set_banned(ctx, user_id, True)))


@router.post("/users/{user_id}/unban", response_model=UserOut, summary="Unban a user")
async def unban(ctx: Ctx, user_id: str) -> Response:
    """Lift a ban."""
    return answer(user_out(ctx, await actions.set_banned(ctx, user_id, False)))


@router.post("/users/{user_id}/lock", response_model=UserOut, summary="Lock a user")
async def lock(ctx: Ctx, user_id: str) -> Response:
    """Lock the account for the configured lockout time; every session is revoked."""
    return answer(user_out(ctx, await actions.set_locked(ctx, user_id, True)))


@router.post("/users/{user_id}/unlock", response_model=UserOut, summary="Unlock a user")
async def unlock(ctx: Ctx, user_id: str) -> Response:
    """End a lock (from this endpoint or from failed passwords) and reset the count."""
    return answer(user_out(ctx, await actions.set_locked(ctx, user_id, False)))


@router.patch("/users/{user_id}/metadata", response_model=UserOut, summary="Merge metadata")
async def merge_metadata(ctx: Ctx, user_id: str, body: MetadataIn) -> Response:
    """Deep-merge: nested objects merge, a key set to null is removed."""
    update = metadata_update(body)
    return answer(user_out(ctx, await actions.update_metadata(ctx, user_id, update, merge=True)))


@router.put("/users/{user_id}/metadata", response_model=UserOut, summary="Replace metadata")
async def replace_metadata(ctx: Ctx, user_id: str, body: MetadataIn) -> Response:
    """Replace each metadata object that is given; the others stay."""
    update = metadata_update(body)
    return answer(user_out(ctx, await actions.update_metadata(ctx, user_id, update, merge=False)))


@router.post(
    "/users/{user_id}/verify_password", response_model=VerifyPasswordOut, summary="Check a password"
)
async def verify_password(ctx: Ctx, user_id: str, body: VerifyPasswordIn) -> Response:
    """``{verified}``. Wrong passwords count toward the lockout, as at sign-in."""
    return answer({"verified": await actions.verify_password(ctx, user_id, body.password)})


@router.post(
    "/users/{user_id}/profile_image", response_model=UserOut, summary="Set the profile image"
)
async def set_profile_image(
    ctx: Ctx, user_id: str, file: Annotated[UploadFile, File(description="PNG, JPEG, GIF, WebP")]
) -> Response:
    """Upload a profile image as ``multipart/form-data`` field ``file``."""
    limit = ctx.settings.max_body_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError()
    if not data:
        raise ValidationError("The file is empty.", param="file")
    return answer(user_out(ctx, await actions.set_profile_image(ctx, user_id, data)))


@router.delete(
    "/users/{user_id}/profile_image", response_model=UserOut, summary="Delete the profile image"
)
async def delete_profile_image(ctx: Ctx, user_id: str) -> Response:
    """Remove the profile image; the generated avatar is shown again."""
    return answer(user_out(ctx, await actions.delete_profile_image(ctx, user_id)))
