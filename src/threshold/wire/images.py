"""Where a user's profile image is served."""

from __future__ import annotations

from threshold.core.records.users import User

__all__ = ["image_url"]


def image_url(public_url: str, user: User) -> str:
    """The user's uploaded image, or the generated avatar when none is set."""
    if user.image_id:
        return f"{public_url}/v1/images/{user.image_id}"
    return f"{public_url}/v1/images/avatar/{user.id}.svg"
