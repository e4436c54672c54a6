"""The Frontend API SignUp."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from threshold.core.records.sign_ups import SignUp

__all__ = ["SignUpView", "sign_up_json"]

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SignUpView:
    """A sign-up as it reads now, with the registered ways to verify its address (the
    first is the one its verification uses)."""

    sign_up: SignUp
    strategies: Sequence[str]


def sign_up_json(view: SignUpView) -> Json:
    sign_up, strategies = view.sign_up, view.strategies
    verified = bool(sign_up.email_verified)
    missing = [] if sign_up.password_digest else ["password"]
    return {
        "object": "sign_up",
        "id": sign_up.id,
        "status": sign_up.status,
        "required_fields": ["email_address", "password"],
        "optional_fields": ["first_name", "last_name"],
        "missing_fields": missing,
        "unverified_fields": [] if verified else ["email_address"],
        "verifications": {
            "email_address": {
                "status": "verified" if verified else "unverified",
                "strategy": strategies[0],
                "attempts": None,
                "expire_at": None,
                "next_action": "" if verified else "needs_attempt",
                "supported_strategies": list(strategies),
            },
            "phone_number": None,
            "web3_wallet": None,
            "external_account": None,
        },
        "username": sign_up.username,
        "email_address": sign_up.email_address,
        "phone_number": None,
        "web3_wallet": None,
        "password_enabled": bool(sign_up.password_digest),
        "first_name": sign_up.first_name,
        "last_name": sign_up.last_name,
        "unsafe_metadata": sign_up.unsafe_metadata or {},
        "public_metadata": {},
        "custom_action": False,
        "external_id": None,
        "created_session_id": sign_up.created_session_id,
        "created_user_id": sign_up.created_user_id,
        "abandon_at": sign_up.abandon_at,
        "legal_accepted_at": None,
    }
