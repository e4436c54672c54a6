"""``/users``: list, count, get, create, update, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from threshold.core.records.listing import UserFilters
from threshold.server.backend_api.bodies import (
    UserCreateIn,
    UserUpdateIn,
    user_creation,
    user_update,
)
from threshold.server.backend_api.deps import (
    Ctx,
    Listing,
    answer,
    error_responses,
    listing,
    order_by_param,
)
from threshold.server.backend_api.schemas import (
    DeletedObjectOut,
    Paged,
    TotalCountOut,
    UserOut,
)
from threshold.server.backend_api.views import user_out
from threshold.services.users import directory as admin_users
from threshold.wire.deleted import deleted_json

__all__ = ["router"]

router = APIRouter(tags=["Users"], responses=error_responses())

Values = Annotated[list[str] | None, Query(max_length=100)]
SearchText = Annotated[
    str | None,
    Query(
        max_length=255, description="Part of a name, email address, username, external or user id."
    ),
]


def _filters(
    email_address: Values = None,
    user_id: Values = None,
    external_id: Values = None,
    username: Values = None,
    query: SearchText = None,
) -> UserFilters:
    return UserFilters(
        email_addresses=tuple(email_address or ()),
        user_ids=tuple(user_id or ()),
        external_ids=tuple(external_id or ()),
        usernames=tuple(username or ()),
        query=query or None,
    )


Filters = Annotated[UserFilters, Depends(_filters)]


@router.get("/users", response_model=list[UserOut] | Paged[UserOut], summary="List users")
async def list_users(
    ctx: Ctx,
    filters: Filters,
    params: Annotated[Listing, Depends()],
    order_by: Annotated[str, order_by_param(admin_users.USER_ORDER_FIELDS)] = "-created_at",
) -> Response:
    """Users matching every given filter (any value of a repeated filter), newest first."""
    page = params.page(order_by)
    views = await admin_users.list_users(ctx, filters, page)
    total = await admin_users.count_users(ctx, filters) if params.paginated else len(views)
    return listing(views, total, params, lambda v: user_out(ctx, v))


@router.get("/users/count", response_model=TotalCountOut, summary="Count users")
async def count_users(ctx: Ctx, filters: Filters) -> Response:
    """How many users match the filters."""
    total = await admin_users.count_users(ctx, filters)
    return answer({"object": "total_count", "total_count": total})


@router.get("/users/{user_id}", response_model=UserOut, summary="Get a user")
async def get_user(ctx: Ctx, user_id: str) -> Response:
    """One user, with ``private_metadata``."""
    return answer(user_out(ctx, await admin_users.get_user(ctx, user_id)))


@router.post("/users", response_model=UserOut, summary="Create a user")
async def create_user(ctx: Ctx, body: UserCreateIn) -> Response:
    """Create a user: verified email addresses, a password (checked against the policy
    unless ``skip_password_checks``) or an imported bcrypt/argon2 ``password_digest``."""
    return answer(user_out(ctx, await admin_users.create_user_admin(ctx, user_creation(body))))


@router.patch("/users/{user_id}", response_model=UserOut, summary="Update a user")
async def update_user(ctx: Ctx, user_id: str, body: UserUpdateIn) -> Response:
    """Change the given fields only; metadata given here replaces the stored object."""
    view = await admin_users.update_user_admin(ctx, user_id, user_update(body))
    return answer(user_out(ctx, view))


@router.delete("/users/{user_id}", response_model=DeletedObjectOut, summary="Delete a user")
async def delete_user(ctx: Ctx, user_id: str) -> Response:
    """Delete the user and everything it owns (emails, sessions, images, sign-in tokens)."""
    return answer(deleted_json("user", await admin_users.delete_user(ctx, user_id)))
