"""Sessions as Clerk's JSON: the Backend API's Session, and the Frontend API's, which adds
the user and, for the active session, a freshly minted token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threshold.core.records.clients import Session
from threshold.wire.users import UserView, public_user_data, user_json

__all__ = [
    "SessionView",
    "describe_user_agent",
    "fapi_session_json",
    "session_json",
    "token_json",
]

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SessionView:
    """A session as the Frontend API shows it: its user (None when gone) and the token
    minted for it in this request (None unless it is the Client's active session)."""

    session: Session
    user: UserView | None
    token: str | None = None


def token_json(jwt: str) -> Json:
    return {"object": "token", "jwt": jwt}


def session_json(session: Session) -> Json:
    """The Backend API Session."""
    activity: Json | None = None
    if session.user_agent or session.ip_address:
        browser, version, mobile = describe_user_agent(session.user_agent or "")
        activity = {
            "object": "session_activity",
            "id": "sess_activity_" + session.id[5:],
            "is_mobile": mobile,
            "device_type": "Mobile" if mobile else "Desktop",
            "browser_name": browser,
            "browser_version": version,
            "ip_address": session.ip_address,
            "city": None,
            "country": None,
        }
    return {
        "object": "session",
        "id": session.id,
        "user_id": session.user_id,
        "client_id": session.client_id,
        "actor": session.actor,
        "status": session.status,
        "last_active_organization_id": None,
        "last_active_at": session.last_active_at,
        "latest_activity": activity,
        "expire_at": session.expire_at,
        "abandon_at": session.abandon_at,
        "updated_at": session.updated_at,
        "created_at": session.created_at,
        "tasks": [],
    }


def fapi_session_json(view: SessionView, public_url: str, *, now_ms: int) -> Json:
    """A Frontend API session: the Backend shape plus ``user``, ``public_user_data``, the
    token and how long ago the first factor was verified (in minutes)."""
    session = view.session
    data = session_json(session)
    if view.user is not None:
        data["user"] = user_json(view.user, public_url, now_ms=now_ms, private=False)
        data["public_user_data"] = public_user_data(view.user, public_url)
    data["last_active_token"] = None if view.token is None else token_json(view.token)
    data["factor_verification_age"] = [
        max(0, (now_ms - session.factor_verified_at) // 60_000),
        -1,
    ]
    return data


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
