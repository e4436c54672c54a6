"""The async Backend API client. ``_sync.py`` is generated from this file by
tests/sdk/unasync.py, and tests/sdk/test_client.py fails when the two differ: edit here,
then run ``python tests/sdk/unasync.py && ruff format src/threshold/sdk/client``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from threshold.sdk.client._transport import (
    ClientSettings,
    as_object,
    clean,
    model_list,
    parse_response,
    seg,
)
from threshold.sdk.client.models import (
    BrowserClient,
    DeletedObject,
    Invitation,
    Jwks,
    Session,
    Token,
    User,
)
from threshold.sdk.config import SdkConfig
from threshold.sdk.errors import TransportError

__all__ = ["AsyncClient"]


class AsyncUsersApi:
    """``/v1/users``."""

    def __init__(self, api: AsyncClient) -> None:
        self._api = api

    async def count(
        self, *, query: str | None = None, email_address: list[str] | None = None
    ) -> int:
        """How many users match."""
        params = clean({"query": query, "email_address": email_address})
        body = as_object(await self._api.request("GET", "/users/count", params=params))
        total = body.get("total_count")
        return total if isinstance(total, int) else 0

    async def list(
        self,
        *,
        email_address: list[str] | None = None,
        user_id: list[str] | None = None,
        external_id: list[str] | None = None,
        username: list[str] | None = None,
        query: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        order_by: str | None = None,
    ) -> list[User]:
        """Users matching every filter given (a bare array)."""
        params = clean(
            {
                "email_address": email_address,
                "user_id": user_id,
                "external_id": external_id,
                "username": username,
                "query": query,
                "limit": limit,
                "offset": offset,
                "order_by": order_by,
            }
        )
        return model_list(User.from_dict, await self._api.request("GET", "/users", params=params))

    async def get(self, user_id: str) -> User:
        """One user (what ``current_user()`` returns)."""
        body = await self._api.request("GET", f"/users/{seg(user_id)}")
        return User.from_dict(as_object(body))

    async def create(self, **fields: Any) -> User:
        """Create a user: ``email_address=[...]``, ``password``, ``first_name``, metadata..."""
        body = await self._api.request("POST", "/users", json=clean(fields))
        return User.from_dict(as_object(body))

    async def update(self, user_id: str, **fields: Any) -> User:
        """Change a user's fields (names, username, password, primary email...)."""
        body = await self._api.request("PATCH", f"/users/{seg(user_id)}", json=clean(fields))
        return User.from_dict(as_object(body))

    async def update_metadata(
        self,
        user_id: str,
        *,
        public_metadata: dict[str, Any] | None = None,
        private_metadata: dict[str, Any] | None = None,
        unsafe_metadata: dict[str, Any] | None = None,
    ) -> User:
        """Deep-merge metadata (a ``None`` value inside a dict removes that key)."""
        payload = clean(
            {
                "public_metadata": public_metadata,
                "private_metadata": private_metadata,
                "unsafe_metadata": unsafe_metadata,
            }
        )
        path = f"/users/{seg(user_id)}/metadata"
        return User.from_dict(as_object(await self._api.request("PATCH", path, json=payload)))

    async def delete(self, user_id: str) -> DeletedObject:
        """Delete a user."""
        body = await self._api.request("DELETE", f"/users/{seg(user_id)}")
        return DeletedObject.from_dict(as_object(body))

    async def ban(self, user_id: str) -> User:
        """Ban a user: their sessions end and sign-in is refused."""
        body = await self._api.request("POST", f"/users/{seg(user_id)}/ban")
        return User.from_dict(as_object(body))

    async def unban(self, user_id: str) -> User:
        """Lift a ban."""
        body = await self._api.request("POST", f"/users/{seg(user_id)}/unban")
        return User.from_dict(as_object(body))


class AsyncSessionsApi:
    """``/v1/sessions``."""

    def __init__(self, api: AsyncClient) -> None:
        self._api = api

    async def list(
        self,
        *,
        user_id: str | None = None,
        client_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[Session]:
        """Sessions of a user or a client (one of the two is required)."""
        params = clean(
            {
                "user_id": user_id,
                "client_id": client_id,
                "status": status,
                "limit": limit,
                "offset": offset,
            }
        )
        body = await self._api.request("GET", "/sessions", params=params)
        return model_list(Session.from_dict, body)

    async def create(self, user_id: str) -> Session:
        """A new active session for ``user_id`` (testing only, as in Clerk)."""
        body = await self._api.request("POST", "/sessions", json={"user_id": user_id})
        return Session.from_dict(as_object(body))

    async def get(self, session_id: str) -> Session:
        """One session."""
        body = await self._api.request("GET", f"/sessions/{seg(session_id)}")
        return Session.from_dict(as_object(body))

    async def revoke(self, session_id: str) -> Session:
        """End a session now (its current token stays valid until it expires)."""
        body = await self._api.request("POST", f"/sessions/{seg(session_id)}/revoke")
        return Session.from_dict(as_object(body))

    async def create_token(
        self,
        session_id: str,
        template_name: str | None = None,
        *,
        expires_in_seconds: int | None = None,
        origin: str | None = None,
    ) -> Token:
        """Mint a session token (or a JWT-template token when ``template_name`` is given).

        ``origin`` is sent as the ``Origin`` header; the server puts it in ``azp``.
        """
        path = f"/sessions/{seg(session_id)}/tokens"
        if template_name is not None:
            path += f"/{seg(template_name)}"
        payload = clean({"expires_in_seconds": expires_in_seconds})
        headers = {"Origin": origin} if origin else None
        body = await self._api.request("POST", path, json=payload, headers=headers)
        return Token.from_dict(as_object(body))


class AsyncClientsApi:
    """``/v1/clients``."""

    def __init__(self, api: AsyncClient) -> None:
        self._api = api

    async def get(self, client_id: str) -> BrowserClient:
        """One client (browser or device) with its sessions."""
        body = await self._api.request("GET", f"/clients/{seg(client_id)}")
        return BrowserClient.from_dict(as_object(body))

    async def verify(self, token: str) -> BrowserClient:
        """The client a ``__client`` cookie value belongs to."""
        body = await self._api.request("POST", "/clients/verify", json={"token": token})
        return BrowserClient.from_dict(as_object(body))


class AsyncJwksApi:
    """``/v1/jwks``."""

    def __init__(self, api: AsyncClient) -> None:
        self._api = api

    async def get(self) -> Jwks:
        """The instance's public signing keys."""
        return Jwks.from_dict(as_object(await self._api.request("GET", "/jwks")))


class AsyncInvitationsApi:
    """``/v1/invitations``."""

    def __init__(self, api: AsyncClient) -> None:
        self._api = api

    async def create(
        self,
        email_address: str,
        *,
        redirect_url: str | None = None,
        public_metadata: dict[str, Any] | None = None,
        notify: bool | None = None,
        ignore_existing: bool | None = None,
        expires_in_days: int | None = None,
    ) -> Invitation:
        """Invite someone to sign up."""
        payload = clean(
            {
                "email_address": email_address,
                "redirect_url": redirect_url,
                "public_metadata": public_metadata,
                "notify": notify,
                "ignore_existing": ignore_existing,
                "expires_in_days": expires_in_days,
            }
        )
        body = await self._api.request("POST", "/invitations", json=payload)
        return Invitation.from_dict(as_object(body))

    async def list(
        self,
        *,
        status: str | None = None,
        query: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[Invitation]:
        """Invitations, newest first."""
        params = clean({"status": status, "query": query, "limit": limit, "offset": offset})
        body = await self._api.request("GET", "/invitations", params=params)
        return model_list(Invitation.from_dict, body)

    async def revoke(self, invitation_id: str) -> Invitation:
        """Revoke a pending invitation."""
        body = await self._api.request("POST", f"/invitations/{seg(invitation_id)}/revoke")
        return Invitation.from_dict(as_object(body))


class AsyncClient:
    """Backend API client: ``AsyncClient(secret_key, api_url)`` or from the environment.

    Resource groups are attributes: ``users``, ``sessions``, ``clients``, ``jwks``,
    ``invitations``. Errors raise :class:`ApiError` (status, code, message) or
    :class:`TransportError`.
    """

    def __init__(
        self,
        secret_key: str | None = None,
        api_url: str | None = None,
        *,
        config: SdkConfig | None = None,
        timeout: float = 10.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        settings = ClientSettings(secret_key, api_url, config)
        self.base_url = settings.base_url
        self._headers = settings.headers
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self._owns_http = http_client is None
        self.users = AsyncUsersApi(self)
        self.sessions = AsyncSessionsApi(self)
        self.clients = AsyncClientsApi(self)
        self.jwks = AsyncJwksApi(self)
        self.invitations = AsyncInvitationsApi(self)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Call ``/v1<path>`` and return the JSON body; raises on errors."""
        merged = {**self._headers, **headers} if headers else self._headers
        try:
            response = await self._http.request(
                method, self.base_url + path, params=params, json=json, headers=merged
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"{method} {path} failed: {exc}") from exc
        return parse_response(response)

    async def close(self) -> None:
        """Close the underlying HTTP connections (when this client opened them)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
