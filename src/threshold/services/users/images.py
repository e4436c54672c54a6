"""Profile images as the image routes serve them: an upload, or whom an avatar is for."""

from __future__ import annotations

from threshold.core.records.users import Image
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories import EmailRepository, ImageRepository, UserRepository
from threshold.wire.users import UserView

__all__ = ["avatar_owner", "get_image"]

_MAX_ID = 40


async def get_image(ctx: ServerContext, image_id: str) -> Image | None:
    """The uploaded image with this id, if any."""
    if len(image_id) > _MAX_ID:
        return None

    async def work(tx: Tx) -> Image | None:
        return await ImageRepository(tx.conn).get(image_id)

    return await run_transaction(ctx, work)


async def avatar_owner(ctx: ServerContext, user_id: str) -> UserView | None:
    """The user a generated avatar is drawn for (its names and addresses), if any."""
    if len(user_id) > _MAX_ID:
        return None

    async def work(tx: Tx) -> UserView | None:
        user = await UserRepository(tx.conn).get(user_id)
        if user is None:
            return None
        return UserView(user, await EmailRepository(tx.conn).for_user(user_id))

    return await run_transaction(ctx, work)
