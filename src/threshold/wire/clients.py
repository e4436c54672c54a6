"""Clients as Clerk's JSON: the Frontend API's (with its sessions, users, token and the
attempts in progress) and the Backend API's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threshold.core.records.clients import Client, Session
from threshold.wire.sessions import SessionView, fapi_session_json, session_json
from threshold.wire.sign_ins import SignInView, sign_in_json
from threshold.wire.sign_ups import SignUpView, sign_up_json

__all__ = ["ClientSessions", "ClientView", "client_json", "fapi_client_json"]

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ClientView:
    """What the Frontend API shows of a Client: its live sessions (the active one with a
    fresh token), the sign-in and sign-up in progress as they read now, and when its
    cookie expires."""

    client: Client
    sessions: list[SessionView]
    sign_in: SignInView | None
    sign_up: SignUpView | None
    cookie_expires_at: int

    @property
    def active_token(self) -> str | None:
        """The token minted for the active session, if it has one."""
        active = self.client.last_active_session_id
        return next((s.token for s in self.sessions if s.session.id == active), None)


@dataclass(frozen=True, slots=True)
class ClientSessions:
    """A Client with every session it ever held, oldest first (the Backend API's Client)."""

    client: Client
    sessions: list[Session]


def fapi_client_json(view: ClientView, public_url: str, *, now_ms: int) -> Json:
    client = view.client
    return {
        "object": "client",
        "id": client.id,
        "sessions": [fapi_session_json(s, public_url, now_ms=now_ms) for s in view.sessions],
        "sign_in": None if view.sign_in is None else sign_in_json(view.sign_in),
        "sign_up": None if view.sign_up is None else sign_up_json(view.sign_up),
        "last_active_session_id": client.last_active_session_id,
        "last_authentication_strategy": None,
        "cookie_expires_at": view.cookie_expires_at,
        "captcha_bypass": False,
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    }


def client_json(view: ClientSessions) -> Json:
    """The Backend API Client: every session it ever held, with their ids."""
    client = view.client
    return {
        "object": "client",
        "id": client.id,
        "session_ids": [s.id for s in view.sessions],
        "sessions": [session_json(s) for s in view.sessions],
        "sign_in_id": client.sign_in_id,
        "sign_up_id": client.sign_up_id,
        "last_active_session_id": client.last_active_session_id,
        "last_authentication_strategy": None,
        "updated_at": client.updated_at,
        "created_at": client.created_at,
    }
