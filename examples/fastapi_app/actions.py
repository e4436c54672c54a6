"""Actions that live in their own module and are handed to a template, the way Clerk's
"client component" example passes ``addHobby`` down as a prop."""

from __future__ import annotations

import json
import logging

from threshold import ActionError, FormData, acurrent_user, server_action

__all__ = ["add_hobby"]

log = logging.getLogger("examples.hobby")


@server_action
async def add_hobby(form: FormData) -> str:
    """Save a hobby for the signed-in user."""
    user = await acurrent_user()
    if user is None:
        raise ActionError("You must be signed in to use this feature")
    server_data = {
        "usersHobby": form.get("hobby"),
        "userId": user.id,
        "profileImage": user.profile_image_url,
    }
    log.info("add Hobby completed with user details %s", json.dumps(server_data))
    return f"Saved your hobby: {form.get('hobby')}"
