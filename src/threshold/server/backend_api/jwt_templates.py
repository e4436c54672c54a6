"""``/jwks`` and ``/jwt_templates``."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from threshold.server.backend_api.bodies import JwtTemplateIn, template_fields
from threshold.server.backend_api.deps import Ctx, Listing, answer, error_responses, listed
from threshold.server.backend_api.schemas import DeletedObjectOut, JwksOut, JwtTemplateOut, Paged
from threshold.services.instance import jwt_templates as templates
from threshold.wire.deleted import deleted_json
from threshold.wire.jwt_templates import template_json

__all__ = ["router"]

router = APIRouter(responses=error_responses())
_TAG: list[str | Enum] = ["JWT Templates"]


@router.get("/jwks", response_model=JwksOut, tags=["JWKS"], summary="The instance's JWKS")
async def jwks(ctx: Ctx) -> Response:
    """Every public key that verifies tokens (the signing key and recently retired ones)."""
    await ctx.keyring.maybe_refresh()
    return answer(ctx.keyring.jwks())


@router.get(
    "/jwt_templates",
    response_model=list[JwtTemplateOut] | Paged[JwtTemplateOut],
    tags=_TAG,
    summary="List templates",
)
async def list_templates(ctx: Ctx, params: Annotated[Listing, Depends()]) -> Response:
    """JWT templates, newest first."""
    return listed(await templates.list_templates(ctx, params.page()), params, template_json)


@router.post("/jwt_templates", response_model=JwtTemplateOut, tags=_TAG, summary="Create")
async def create_template(ctx: Ctx, body: JwtTemplateIn) -> Response:
    """A template: a unique ``name``, ``claims`` with ``{{user.*}}`` shortcodes, a
    ``lifetime`` (default 60 s) and ``allowed_clock_skew`` (default 5 s)."""
    return answer(template_json(await templates.create_template(ctx, template_fields(body))))


@router.get("/jwt_templates/{template_id}", response_model=JwtTemplateOut, tags=_TAG, summary="Get")
async def get_template(ctx: Ctx, template_id: str) -> Response:
    """One template."""
    return answer(template_json(await templates.get_template(ctx, template_id)))


@router.patch(
    "/jwt_templates/{template_id}", response_model=JwtTemplateOut, tags=_TAG, summary="Update"
)
async def update_template(ctx: Ctx, template_id: str, body: JwtTemplateIn) -> Response:
    """Replace the name and claims (lifetime and skew when given)."""
    template = await templates.update_template(ctx, template_id, template_fields(body))
    return answer(template_json(template))


@router.delete(
    "/jwt_templates/{template_id}", response_model=DeletedObjectOut, tags=_TAG, summary="Delete"
)
async def delete_template(ctx: Ctx, template_id: str) -> Response:
    """Delete a template."""
    deleted = await templates.delete_template(ctx, template_id)
    return answer(deleted_json("jwt_template", deleted))
