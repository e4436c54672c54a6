"""Where a user's profile image is served."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["image_url"]


def image_url(public_url: str, user: Mapping[str, Any]) -> str:
    """The user's uploaded image, or the generated avatar when none is set."""
    if user.get("image_id"):
        return f"{public_url}/v1/images/{user['image_id']}"
    return f"{public_url}/v1/images/avatar/{user['id']}.svg"
