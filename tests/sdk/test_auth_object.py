"""auth(): claim decoding (v1/v2), has(), protect(), and the signed-out shape."""

from __future__ import annotations

from typing import Any

import pytest

from threshold import AccessDeniedError, Auth, NotSignedInError, Redirect
from threshold.sdk.claims import check_feature_or_plan, check_reverification, org_info
from threshold.sdk.http import RequestInfo

PUBLIC_FIELDS = {
    "user_id",
    "session_id",
    "session_claims",
    "session_status",
    "actor",
    "org_id",
    "org_role",
    "org_slug",
    "org_permissions",
    "factor_verification_age",
}

V2: dict[str, Any] = {
    "sub": "user_1",
    "sid": "sess_1",
    "sts": "active",
    "v": 2,
    "fva": [3, 20],
    "fea": "o:dashboard,o:teams,u:profile",
    "pla": "o:pro",
    "o": {"id": "org_1", "slg": "acme", "rol": "admin", "per": "manage,read", "fpm": "3,2"},
}


class Host:
    """A stand-in for the request an Auth belongs to."""

    def __init__(self, document: bool, sign_in: str | None = "https://auth.example/sign-in"):
        headers = {"sec-fetch-dest": "document"} if document else {"accept": "application/json"}
        self.request = RequestInfo("GET", "https", "app.example", "/page", "a=1", headers, {})
        self.is_action = False
        self.sign_in_url = sign_in

    def mint_token(self, session_id: str, template: str | None, expires: int | None) -> str:
        return f"minted:{session_id}:{template}:{expires}"

    async def amint_token(self, session_id: str, template: str | None, expires: int | None) -> str:
        return f"aminted:{session_id}:{template}:{expires}"


def test_v2_organization_decoding() -> None:
    auth = Auth(V2, "tok")
    assert auth.is_authenticated
    assert (auth.user_id, auth.session_id, auth.session_status) == ("user_1", "sess_1", "active")
    assert (auth.org_id, auth.org_slug, auth.org_role) == ("org_1", "acme", "org:admin")
    assert auth.org_permissions == (
        "org:dashboard:manage",
        "org:dashboard:read",
        "org:teams:read",
    )
    assert auth.factor_verification_age == (3, 20)
    assert auth.get_token() == "tok"


def test_v1_organization_decoding() -> None:
    claims = {
        "sub": "user_1",
        "sid": "sess_1",
        "org_id": "org_9",
        "org_slug": "old",
        "org_role": "org:member",
        "org_permissions": ["org:billing:read", 7],
    }
    info = org_info(claims)
    assert (info.id, info.slug, info.role, info.permissions) == (
        "org_9",
        "old",
        "org:member",
        ("org:billing:read",),
    )


def test_v2_without_org_and_bad_masks() -> None:
    assert org_info({"v": 2}).id is None
    claims = {**V2, "o": {**V2["o"], "fpm": "x,1"}}
    assert org_info(claims).permissions == ("org:teams:manage",)


def test_signed_out_shape() -> None:
    auth = Auth(None)
    assert not auth.is_authenticated
    for name in PUBLIC_FIELDS:
        assert getattr(auth, name) is None, name
    assert auth.get_token() is None
    assert auth.has(role="admin") is False
    assert auth.has() is False
    assert auth.to_dict()["is_authenticated"] is False
    assert repr(auth) == "<Auth signed out>"


def test_pending_sessions_are_signed_out_by_default() -> None:
    claims = {**V2, "sts": "pending"}
    auth = Auth(claims, "tok")
    assert auth.user_id is None
    assert auth.session_status == "pending"
    assert Auth(claims, "tok", treat_pending_as_signed_out=False).user_id == "user_1"


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ({"role": "admin"}, True),
        ({"role": "org:admin"}, True),
        ({"role": "member"}, False),
        ({"permission": "org:dashboard:read"}, True),
        ({"permission": "dashboard:manage"}, True),
        ({"permission": "org:teams:manage"}, False),
        ({"feature": "dashboard"}, True),
        ({"feature": "o:teams"}, True),
        ({"feature": "org:teams"}, True),
        ({"feature": "u:teams"}, False),
        ({"feature": "user:profile"}, True),
        ({"feature": "x:profile"}, False),
        ({"plan": "pro"}, True),
        ({"plan": "u:pro"}, False),
        ({"reverification": "strict"}, False),
        ({"reverification": "moderate"}, True),
        ({"reverification": {"level": "first_factor", "after_minutes": 5}}, True),
        ({"reverification": "nonsense"}, False),
        ({"role": "admin", "permission": "org:teams:read", "plan": "o:pro"}, True),
        ({"role": "admin", "permission": "org:teams:manage"}, False),
    ],
)
def test_has(checks: dict[str, Any], expected: bool) -> None:
    assert Auth(V2).has(**checks) is expected


def test_role_checks_need_an_org() -> None:
    auth = Auth({"sub": "u", "sid": "s", "v": 2})
    assert auth.has(role="admin") is False
    assert auth.has(permission="org:x:y") is False
    assert auth.has(feature="x") is False


@pytest.mark.parametrize(
    ("fva", "level", "expected"),
    [
        ([5, -1], "strict", True),  # no second factor: the first decides
        ([15, -1], "strict", False),
        ([5, 20], "strict", False),
        ([5, 5], "strict_mfa", True),
        ([5, 20], "strict_mfa", False),
        ([5, -1], "strict_mfa", True),
        ([-1, -1], "lax", False),
        ([100, 30], "moderate", True),
        ([3, 3], {"level": "multi_factor", "afterMinutes": 10}, True),
        ([3, 3], {"level": "weird", "after_minutes": 10}, False),
        ([3, 3], {"level": "first_factor"}, False),
    ],
)
def test_reverification(fva: list[int], level: Any, expected: bool) -> None:
    assert check_reverification(level, fva) is expected


def test_reverification_without_fva() -> None:
    assert check_reverification("lax", None) is False


def test_feature_or_plan_edge_cases() -> None:
    assert check_feature_or_plan("x", None) is False
    assert check_feature_or_plan("x", "ou:x") is True
    assert check_feature_or_plan("u:x", "ou:x") is True


def test_protect_signed_out_page_redirects_to_sign_in() -> None:
    with pytest.raises(Redirect) as caught:
        Auth(None, host=Host(document=True)).protect()
    assert caught.value.status == 307
    assert caught.value.url == (
        "https://auth.example/sign-in?redirect_url=https%3A%2F%2Fapp.example%2Fpage%3Fa%3D1"
    )


def test_protect_signed_out_api_is_401() -> None:
    with pytest.raises(NotSignedInError) as caught:
        Auth(None, host=Host(document=False)).protect()
    assert caught.value.status == 401


def test_protect_urls() -> None:
    with pytest.raises(Redirect, match="/welcome"):
        Auth(None, host=Host(True)).protect(unauthenticated_url="/welcome")
    with pytest.raises(Redirect, match="/nope"):
        Auth(V2, host=Host(True)).protect(role="owner", unauthorized_url="/nope")


def test_protect_refused_is_404() -> None:
    with pytest.raises(AccessDeniedError) as caught:
        Auth(V2, host=Host(False)).protect(permission="org:teams:manage")
    assert caught.value.status == 404
    with pytest.raises(AccessDeniedError):
        Auth(V2, host=Host(False)).protect(lambda a: a.org_slug == "other")


def test_protect_passes_and_returns_auth() -> None:
    auth = Auth(V2, host=Host(False))
    assert auth.protect(role="admin") is auth
    assert auth.protect(lambda a: a.org_slug == "acme") is auth


def test_sign_in_url_needs_configuration() -> None:
    with pytest.raises(NotSignedInError, match="THRESHOLD_SIGN_IN_URL"):
        Auth(None, host=Host(True, sign_in=None)).redirect_to_sign_in()
    assert Auth(None, host=Host(True)).sign_in_url("/back").endswith("redirect_url=%2Fback")


def test_get_token_with_template() -> None:
    auth = Auth(V2, "tok", Host(False))
    assert auth.get_token("supabase") == "minted:sess_1:supabase:None"
    assert auth.get_token(expires_in_seconds=30) == "minted:sess_1:None:30"


@pytest.mark.anyio
async def test_aget_token() -> None:
    auth = Auth(V2, "tok", Host(False))
    assert await auth.aget_token() == "tok"
    assert await auth.aget_token("t") == "aminted:sess_1:t:None"
    assert await Auth(None).aget_token() is None


def test_actor_and_dict() -> None:
    auth = Auth({**V2, "act": {"sub": "user_admin"}})
    assert auth.actor == {"sub": "user_admin"}
    data = auth.to_dict()
    assert data["actor"] == {"sub": "user_admin"}
    assert data["org_permissions"][0] == "org:dashboard:manage"
    assert "user_1" in repr(auth)
