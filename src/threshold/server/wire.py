"""Clerk-shaped JSON for users, email addresses, sessions, clients, sign-ins and sign-ups.

Every key that the official SDKs' models declare as required is present (the Python
SDK's models refuse an object without one; tests/conformance runs both SDKs against the
server); times are milliseconds.
"""

from __future__ import annotations

from typing import Any

from threshold.services.users.images import image_url
from threshold.store.repositories._base import Row

__all__ = [
    "describe_user_agent",
    "email_json",
    "public_user_data",
    "session_json",
    "user_json",
    "verification_json",
]

Json = dict[str, Any]


def verification_json(strategy: str, verified: bool) -> Json:
    """A verification object with its ``object`` discriminator (the Python SDK needs it)."""
    if strategy == "admin":
        obj = "verification_admin"
    elif strategy in ("email_code", "reset_password_email_code"):
        obj = "verification_otp"
    else:
        obj = "verification_from_oauth" if strategy.startswith("oauth_") else "verification_otp"
    return {
        "object": obj,
        "status": "verified" if verified else "unverified",
        "strategy": strategy,
        "attempts": None,
        "expire_at": None,
    }


def email_json(row: Row) -> Json:
    return {
        "id": row["id"],
        "object": "email_address",
        "email_address": row["email_address"],
        "reserved": False,
        "verification": verification_json(row["verification_strategy"], row["verified"]),
        "linked_to": [],
        "matches_sso_connection": False,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def user_json(
    user: Row, emails: list[Row], public_url: str, *, now_ms: int, private: bool = True
) -> Json:
    """The Backend API User (``private`` adds ``private_metadata``, for the Backend API only)."""
    url = image_url(public_url, user)
    locked_until = user.get("locked_until")
    locked = bool(locked_until and locked_until > now_ms)
    data: Json = {
        "id": user["id"],
        "object": "user",
        "external_id": user.get("external_id"),
        "primary_email_address_id": user.get("primary_email_address_id"),
        "primary_phone_number_id": None,
        "primary_web3_wallet_id": None,
        "username": user.get("username"),
        "first_name": user.get("first_name"),
        "last_name": user.get("last_name"),
        "profile_image_url": url,
        "image_url": url,
        "has_image": bool(user.get("image_id")),
        "public_metadata": user.get("public_metadata") or {},
        "unsafe_metadata": user.get("unsafe_metadata") or {},
        "email_addresses": [email_json(e) for e in emails],
        "phone_numbers": [],
        "web3_wallets": [],
        "passkeys": [],
        "password_enabled": bool(user.get("password_digest")),
        "two_factor_enabled": False,
        "totp_enabled": False,
        "backup_code_enabled": False,
        "mfa_enabled_at": None,
        "mfa_disabled_at": None,
        "external_accounts": [],
        "saml_accounts": [],
        "enterprise_accounts": [],
        "last_sign_in_at": user.get("last_sign_in_at"),
        "banned": bool(user.get("banned")),
        "locked": locked,
        "lockout_expires_in_seconds": (
            max((locked_until - now_ms) // 1000, 0) if locked and locked_until else None
        ),
        "verification_attempts_remaining": None,
        "updated_at": user["updated_at"],
        "created_at": user["created_at"],
        "delete_self_enabled": True,
        "create_organization_enabled": False,
        "last_active_at": user.get("last_active_at"),
        "legal_accepted_at": None,
        "password_last_updated_at": user.get("password_updated_at"),
    }
    if private:
        data["private_metadata"] = user.get("private_metadata") or {}
    return data


def public_user_data(user: Row, emails: list[Row], public_url: str) -> Json:
    primary = next((e for e in emails if e["id"] == user.get("primary_email_address_id")), None)
    url = image_url(public_url, user)
    return {
        "first_name": user.get("first_name"),
        "last_name": user.get("last_name"),
        "image_url": url,
        "profile_image_url": url,
        "has_image": bool(user.get("image_id")),
        "identifier": primary["email_address"] if primary else user["id"],
        "username": user.get("username"),
        "user_id": user["id"],
    }


def session_json(row: Row) -> Json:
    """The Backend API Session."""
    activity: Json | None = None
    if row.get("user_agent") or row.get("ip_address"):
        browser, version, mobile = describe_user_agent(row.get("user_agent") or "")
        activity = {
            "object": "session_activity",
            "id": "sess_activity_" + row["id"][5:],
            "is_mobile": mobile,
            "device_type": "Mobile" if mobile else "Desktop",
            "browser_name": browser,
            "browser_version": version,
            "ip_address": row.get("ip_address"),
            "city": None,
            "country": None,
        }
    return {
        "object": "session",
        "id": row["id"],
        "user_id": row["user_id"],
        "client_id": row["client_id"],
        "actor": row.get("actor"),
        "status": row["status"],
        "last_active_organization_id": None,
        "last_active_at": row["last_active_at"],
        "latest_activity": activity,
        "expire_at": row["expire_at"],
        "abandon_at": row["abandon_at"],
        "updated_at": row["updated_at"],
        "created_at": row["created_at"],
        "tasks": [],
    }


def describe_user_agent(ua: str) -> tuple[str, str, bool]:
    """(browser name, major version, is mobile) from a User-Agent string, roughly."""
    mobile = any(m in ua for m in ("Mobile", "Android", "iPhone", "iPad"))
    for marker, name in (
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Version/", "Safari"),
    ):
        if marker in ua:
            version = ua.split(marker, 1)[1].split(" ", 1)[0].split(".", 1)[0]
            return name, version, mobile
    return ("Unknown", "", mobile) if ua else ("Unknown", "", False)
