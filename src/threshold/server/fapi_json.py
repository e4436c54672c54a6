"""Frontend API objects: Client (with sessions, users, tokens), SignIn, SignUp."""

from __future__ import annotations

from typing import Any

from threshold.core.errors import SignedOutError
from threshold.server.wire import public_user_data, session_json, user_json
from threshold.services.auth.codes import CODE_TTL_SECONDS
from threshold.services.auth.sign_in import as_seen as sign_in_as_seen
from threshold.services.auth.sign_up import as_seen as sign_up_as_seen
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx
from threshold.services.sessions.tokens import mint_for_session
from threshold.store.repositories import (
    EmailRepository,
    SessionRepository,
    SignInRepository,
    SignUpRepository,
    UserRepository,
)
from threshold.store.repositories._base import Row

__all__ = ["client_json", "session_fapi_json", "sign_in_json", "sign_up_json"]

Json = dict[str, Any]


def sign_up_json(row: Row | None) -> Json | None:
    if row is None:
        return None
    verified = bool(row["email_verified"])
    missing = [] if row["password_digest"] else ["password"]
    return {
        "object": "sign_up",
        "id": row["id"],
        "status": row["status"],
        "required_fields": ["email_address", "password"],
        "optional_fields": ["first_name", "last_name"],
        "missing_fields": missing,
        "unverified_fields": [] if verified else ["email_address"],
        "verifications": {
            "email_address": {
                "status": "verified" if verified else "unverified",
                "strategy": "email_code",
                "attempts": None,
                "expire_at": None,
                "next_action": "" if verified else "needs_attempt",
                "supported_strategies": ["email_code"],
            },
            "phone_number": None,
            "web3_wallet": None,
            "external_account": None,
        },
        "username": row.get("username"),
        "email_address": row["email_address"],
        "phone_number": None,
        "web3_wallet": None,
        "password_enabled": bool(row["password_digest"]),
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "unsafe_metadata": row["unsafe_metadata"] or {},
        "public_metadata": {},
        "custom_action": False,
        "external_id": None,
        "created_session_id": row["created_session_id"],
        "created_user_id": row["created_user_id"],
        "abandon_at": row["abandon_at"],
        "legal_accepted_at": None,
    }


def sign_in_json(row: Row | None, fake_email_id: str | None = None) -> Json | None:
    if row is None:
        return None
    email_id = row.get("email_address_id") or fake_email_id
    safe = row.get("identifier")
    factors: list[Json] = [{"strategy": "password"}]
    if email_id:
        factors += [
            {
                "strategy": "email_code",
                "safe_identifier": safe,
                "email_address_id": email_id,
                "primary": True,
            },
            {
                "strategy": "reset_password_email_code",
                "safe_identifier": safe,
                "email_address_id": email_id,
                "primary": True,
            },
        ]
    verification = None
    if row.get("strategy"):
        verification = {
            "status": "verified"
            if row["status"] in ("complete", "needs_new_password")
            else "unverified",
            "strategy": row["strategy"],
            "attempts": None,
            "expire_at": row["updated_at"] + CODE_TTL_SECONDS * 1000,
        }
    return {
        "object": "sign_in",
        "id": row["id"],
        "status": row["status"],
        "supported_identifiers": ["email_address"],
        "identifier": row.get("identifier"),
        "user_data": None,
        "supported_first_factors": factors,
        "supported_second_factors": None,
        "first_factor_verification": verification,
        "second_factor_verification": None,
        "created_session_id": row.get("created_session_id"),
        "abandon_at": row["abandon_at"],
    }


async def session_fapi_json(
    ctx: ServerContext,
    tx: Tx,
    session: Row,
    *,
    origin: str | None,
    with_token: bool = True,
) -> Json:
    """A FAPI session: the Backend shape plus ``user``, ``public_user_data`` and a token."""
    user = await UserRepository(tx.conn).get(session["user_id"])
    emails = await EmailRepository(tx.conn).for_user(session["user_id"]) if user else []
    data = session_json(session)
    if user is not None:
        data["user"] = user_json(
            user, emails, ctx.settings.public_url, now_ms=ctx.now_ms(), private=False
        )
        data["public_user_data"] = public_user_data(user, emails, ctx.settings.public_url)
    token = None
    if with_token and session["status"] == "active":
        try:
            jwt = await mint_for_session(ctx, tx, session, user, origin=origin)
            token = {"object": "token", "jwt": jwt}
        except SignedOutError:
            token = None
    data["last_active_token"] = token
    data["factor_verification_age"] = [
        max(0, (ctx.now_ms() - session["factor_verified_at"]) // 60_000),
        -1,
    ]
    return data


async def client_json(
    ctx: ServerContext, tx: Tx, client: Row | None, *, origin: str | None
) -> Json | None:
    """The FAPI Client: live sessions, the sign-in/up in progress, cookie expiry."""
    if client is None:
        return None
    sessions = await SessionRepository(tx.conn).for_client(client["id"])
    sign_in = (
        await SignInRepository(tx.conn).get(client["sign_in_id"]) if client["sign_in_id"] else None
    )
    sign_up = (
        await SignUpRepository(tx.conn).get(client["sign_up_id"]) if client["sign_up_id"] else None
    )
    active = client["last_active_session_id"]
    return {
        "object": "client",
        "id": client["id"],
        "sessions": [
            await session_fapi_json(ctx, tx, s, origin=origin, with_token=s["id"] == active)
            for s in sessions
        ],
        "sign_in": sign_in_json(sign_in and sign_in_as_seen(sign_in, ctx.now_ms())),
        "sign_up": sign_up_json(sign_up and sign_up_as_seen(sign_up, ctx.now_ms())),
        "last_active_session_id": active,
        "last_authentication_strategy": None,
        "cookie_expires_at": client["updated_at"] + ctx.settings.session_max_age * 1000,
        "captcha_bypass": False,
        "created_at": client["created_at"],
        "updated_at": client["updated_at"],
    }
