"""Users and their email addresses, as Clerk's JSON.

Every key that the official SDKs' models declare as required is present (the Python
SDK's models refuse an object without one; tests/conformance runs both SDKs against the
server); times are milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threshold.core.records.users import EmailAddress, User
from threshold.wire.images import image_url

__all__ = ["UserView", "email_json", "public_user_data", "user_json", "verification_json"]

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class UserView:
    """A user with its email addresses: what Clerk's User object is rendered from."""

    user: User
    emails: list[EmailAddress]

    @property
    def primary_email(self) -> str | None:
        """The primary address, else the first one, if any."""
        return self.user.primary_email(self.emails)


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


def email_json(email: EmailAddress) -> Json:
    return {
        "id": email.id,
        "object": "email_address",
        "email_address": email.email_address,
        "reserved": False,
        "verification": verification_json(email.verification_strategy, email.verified),
        "linked_to": [],
        "matches_sso_connection": False,
        "created_at": email.created_at,
        "updated_at": email.updated_at,
    }


def user_json(view: UserView, public_url: str, *, now_ms: int, private: bool = True) -> Json:
    """The Backend API User (``private`` adds ``private_metadata``, for the Backend API only)."""
    user = view.user
    url = image_url(public_url, user)
    locked_until = user.locked_until
    locked = bool(locked_until and locked_until > now_ms)
    data: Json = {
        "id": user.id,
        "object": "user",
        "external_id": user.external_id,
        "primary_email_address_id": user.primary_email_address_id,
        "primary_phone_number_id": None,
        "primary_web3_wallet_id": None,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "profile_image_url": url,
        "image_url": url,
        "has_image": bool(user.image_id),
        "public_metadata": user.public_metadata or {},
        "unsafe_metadata": user.unsafe_metadata or {},
        "email_addresses": [email_json(e) for e in view.emails],
        "phone_numbers": [],
        "web3_wallets": [],
        "passkeys": [],
        "password_enabled": bool(user.password_digest),
        "two_factor_enabled": False,
        "totp_enabled": False,
        "backup_code_enabled": False,
        "mfa_enabled_at": None,
        "mfa_disabled_at": None,
        "external_accounts": [],
        "saml_accounts": [],
        "enterprise_accounts": [],
        "last_sign_in_at": user.last_sign_in_at,
        "banned": bool(user.banned),
        "locked": locked,
        "lockout_expires_in_seconds": (
            max((locked_until - now_ms) // 1000, 0) if locked and locked_until else None
        ),
        "verification_attempts_remaining": None,
        "updated_at": user.updated_at,
        "created_at": user.created_at,
        "delete_self_enabled": True,
        "create_organization_enabled": False,
        "last_active_at": user.last_active_at,
        "legal_accepted_at": None,
        "password_last_updated_at": user.password_updated_at,
    }
    if private:
        data["private_metadata"] = user.private_metadata or {}
    return data


def public_user_data(view: UserView, public_url: str) -> Json:
    user = view.user
    primary = next((e for e in view.emails if e.id == user.primary_email_address_id), None)
    url = image_url(public_url, user)
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "image_url": url,
        "profile_image_url": url,
        "has_image": bool(user.image_id),
        "identifier": primary.email_address if primary else user.id,
        "username": user.username,
        "user_id": user.id,
    }
