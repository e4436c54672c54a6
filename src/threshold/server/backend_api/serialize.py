"""Clerk-shaped JSON for the Backend API's own objects (users, emails and sessions come
from ``server.wire``)."""

from __future__ import annotations

from typing import Any

from threshold.server.wire import session_json, user_json
from threshold.services.auth.tickets import Ticket, invitation_status
from threshold.services.runtime.context import ServerContext
from threshold.services.sessions.directory import ClientRecord
from threshold.services.users.directory import UserRecord
from threshold.store.repositories._base import Row

__all__ = [
    "client_json",
    "deleted_json",
    "identifier_json",
    "invitation_json",
    "sign_in_token_json",
    "template_json",
    "user_out",
]

Json = dict[str, Any]


def user_out(ctx: ServerContext, record: UserRecord) -> Json:
    """The Backend API User, with ``private_metadata``."""
    return user_json(record.user, record.emails, ctx.settings.public_url, now_ms=ctx.now_ms())


def client_json(record: ClientRecord) -> Json:
    """The Backend API Client: every session it ever held, with their ids."""
    client = record.client
    return {
        "object": "client",
        "id": client["id"],
        "session_ids": [s["id"] for s in record.sessions],
        "sessions": [session_json(s) for s in record.sessions],
        "sign_in_id": client["sign_in_id"],
        "sign_up_id": client["sign_up_id"],
        "last_active_session_id": client["last_active_session_id"],
        "last_authentication_strategy": None,
        "updated_at": client["updated_at"],
        "created_at": client["created_at"],
    }


def template_json(row: Row) -> Json:
    return {
        "object": "jwt_template",
        "id": row["id"],
        "name": row["name"],
        "claims": row["claims"],
        "lifetime": row["lifetime"],
        "allowed_clock_skew": row["allowed_clock_skew"],
        "custom_signing_key": False,
        "signing_algorithm": "RS256",
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def sign_in_token_json(row: Row, ticket: Ticket | None = None) -> Json:
    """A SignInToken; ``token`` and ``url`` only right after creation."""
    data: Json = {
        "object": "sign_in_token",
        "id": row["id"],
        "status": row["status"],
        "user_id": row["user_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
    if ticket is not None:
        data.update(token=ticket.token, url=ticket.url)
    return data


def invitation_json(row: Row, now_ms: int, ticket: Ticket | None = None) -> Json:
    """An Invitation; ``url`` only right after creation."""
    status = invitation_status(row, now_ms)
    data: Json = {
        "object": "invitation",
        "id": row["id"],
        "email_address": row["email_address"],
        "public_metadata": row["public_metadata"] or {},
        "revoked": status == "revoked",
        "status": status,
        "expires_at": row["expires_at"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
    if ticket is not None:
        data["url"] = ticket.url
    return data


def identifier_json(row: Row, kind: str, instance_id: str) -> Json:
    """An AllowlistIdentifier or BlocklistIdentifier."""
    data: Json = {
        "object": f"{kind}_identifier",
        "id": row["id"],
        "identifier": row["identifier"],
        "identifier_type": row["identifier_type"],
        "instance_id": instance_id,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
    if kind == "allowlist":
        data["invitation_id"] = row.get("invitation_id")
    return data


def deleted_json(kind: str, id_: str) -> Json:
    """Clerk's DeletedObject."""
    return {"object": kind, "id": id_, "deleted": True}
