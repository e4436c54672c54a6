"""Records to store in the tests, with the fields they do not care about filled in."""

from __future__ import annotations

from threshold.core.ids import new_id
from threshold.core.records.clients import Client, Session, SessionStatus
from threshold.core.records.users import EmailAddress, User

__all__ = ["NOW", "client", "email", "session", "user"]

NOW = 1_760_000_000_000


def user(**fields: object) -> User:
    values: dict[str, object] = {"id": new_id("user"), "created_at": NOW, "updated_at": NOW}
    return User(**{**values, **fields})  # type: ignore[arg-type]


def email(user_id: str, address: str) -> EmailAddress:
    return EmailAddress(
        id=new_id("idn"),
        user_id=user_id,
        email_address=address,
        verified=True,
        verification_strategy="admin",
        created_at=NOW,
        updated_at=NOW,
    )


def client(digest: str) -> Client:
    return Client(id=new_id("client"), token_digest=digest, created_at=NOW, updated_at=NOW)


def session(client_id: str, user_id: str) -> Session:
    return Session(
        id=new_id("sess"),
        client_id=client_id,
        user_id=user_id,
        status=SessionStatus.ACTIVE,
        last_active_at=NOW,
        expire_at=NOW + 3_600_000,
        abandon_at=NOW + 86_400_000,
        factor_verified_at=NOW,
        created_at=NOW,
        updated_at=NOW,
        actor={"sub": "user_admin"},
    )
