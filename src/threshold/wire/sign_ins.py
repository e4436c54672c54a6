"""The Frontend API SignIn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threshold.core.codes import CODE_TTL_SECONDS
from threshold.core.records.sign_ins import SignIn, SignInStatus, SupportedFactor

__all__ = ["SignInView", "factor_json", "sign_in_json"]

Json = dict[str, Any]

_FIRST_FACTOR_DONE = (
    SignInStatus.COMPLETE,
    SignInStatus.NEEDS_NEW_PASSWORD,
    SignInStatus.NEEDS_SECOND_FACTOR,
)


@dataclass(frozen=True, slots=True)
class SignInView:
    """A sign-in as it reads now, with the factors it offers (what the registered
    strategies said); ``second_factors`` only while it needs a second factor."""

    sign_in: SignIn
    first_factors: list[SupportedFactor]
    second_factors: list[SupportedFactor] | None = None


def factor_json(factor: SupportedFactor) -> Json:
    data: Json = {"strategy": factor.strategy}
    if factor.email is not None:
        data["safe_identifier"] = factor.email.safe_identifier
        data["email_address_id"] = factor.email.email_address_id
        data["primary"] = factor.email.primary
    return data


def _first_factor_verification(sign_in: SignIn) -> Json | None:
    if not sign_in.strategy:
        return None
    return {
        "status": "verified" if sign_in.status in _FIRST_FACTOR_DONE else "unverified",
        "strategy": sign_in.strategy,
        "attempts": None,
        "expire_at": sign_in.updated_at + CODE_TTL_SECONDS * 1000,
    }


def _second_factor_verification(sign_in: SignIn) -> Json | None:
    if not sign_in.second_factor_strategy:
        return None
    return {
        "status": "verified" if sign_in.status == SignInStatus.COMPLETE else "unverified",
        "strategy": sign_in.second_factor_strategy,
        "attempts": None,
        "expire_at": None,
    }


def sign_in_json(view: SignInView) -> Json:
    sign_in = view.sign_in
    second = view.second_factors
    return {
        "object": "sign_in",
        "id": sign_in.id,
        "status": sign_in.status,
        "supported_identifiers": ["email_address"],
        "identifier": sign_in.identifier,
        "user_data": None,
        "supported_first_factors": [factor_json(f) for f in view.first_factors],
        "supported_second_factors": None if second is None else [factor_json(f) for f in second],
        "first_factor_verification": _first_factor_verification(sign_in),
        "second_factor_verification": _second_factor_verification(sign_in),
        "created_session_id": sign_in.created_session_id,
        "abandon_at": sign_in.abandon_at,
    }
