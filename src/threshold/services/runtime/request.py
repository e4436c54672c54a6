"""The browser's Client as a service call sees it, and what the response must carry."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.codes import token_digest
from threshold.core.records.clients import Client
from threshold.store.repositories import ClientRepository

__all__ = ["ClientState", "client_digest", "load_client"]


@dataclass
class ClientState:
    """The browser's Client as a service call sees it, and what the response must carry."""

    cookie_token: str | None = None
    """The ``__client`` cookie the request came with."""
    client: Client | None = None
    new_token: str | None = None
    """Set when a service created or rotated the client token: the ``__client`` cookie."""
    user_agent: str | None = None
    ip: str | None = None
    origin: str | None = None


def client_digest(token: str | None) -> str | None:
    """The stored digest of a ``__client`` cookie value; None for one no Client can have."""
    if not token or len(token) > 200:
        return None
    return token_digest(token)


async def load_client(conn: AsyncConnection, token: str | None) -> Client | None:
    """The live Client whose ``__client`` cookie value is ``token``."""
    digest = client_digest(token)
    return None if digest is None else await ClientRepository(conn).by_token_digest(digest)
