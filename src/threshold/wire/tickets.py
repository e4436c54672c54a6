"""Sign-in tokens and invitations as Clerk's JSON; the secret and the link appear only
in the answer to their creation."""

from __future__ import annotations

from typing import Any

from threshold.core.records.tickets import Invitation, InvitationStatus, SignInToken

__all__ = ["invitation_json", "sign_in_token_json"]

Json = dict[str, Any]


def sign_in_token_json(
    token: SignInToken, *, secret: str | None = None, url: str | None = None
) -> Json:
    """A SignInToken; ``secret`` (as ``token``) and ``url`` only right after creation."""
    data: Json = {
        "object": "sign_in_token",
        "id": token.id,
        "status": token.status,
        "user_id": token.user_id,
        "created_at": token.created_at,
        "updated_at": token.updated_at,
    }
    if url is not None:
        data.update(token=secret, url=url)
    return data


def invitation_json(invitation: Invitation, now_ms: int, *, url: str | None = None) -> Json:
    """An Invitation, its status as of ``now_ms``; ``url`` only right after creation."""
    status = invitation.status_at(now_ms)
    data: Json = {
        "object": "invitation",
        "id": invitation.id,
        "email_address": invitation.email_address,
        "public_metadata": invitation.public_metadata or {},
        "revoked": status == InvitationStatus.REVOKED,
        "status": status,
        "expires_at": invitation.expires_at,
        "created_at": invitation.created_at,
        "updated_at": invitation.updated_at,
    }
    if url is not None:
        data["url"] = url
    return data
