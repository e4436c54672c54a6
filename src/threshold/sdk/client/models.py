"""Typed Backend API objects (Clerk's shapes), parsed leniently.

Each model keeps the fields apps read, typed, and the whole JSON object in ``raw`` so
nothing the server sends is lost. Times are Clerk's milliseconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "BrowserClient",
    "DeletedObject",
    "EmailAddress",
    "Invitation",
    "Jwk",
    "Jwks",
    "PhoneNumber",
    "Session",
    "Token",
    "User",
]

ValueT = TypeVar("ValueT")
Json = Mapping[str, Any]


def _get(data: Json, key: str, kind: type[ValueT], default: ValueT) -> ValueT:
    value = data.get(key)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    return default


def _opt_str(data: Json, key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _opt_int(data: Json, key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(data: Json, key: str) -> dict[str, Any]:
    value = data.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


def _objects(data: Json, key: str) -> list[Json]:
    value = data.get(key)
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class EmailAddress:
    """One email address of a user."""

    id: str
    email_address: str
    verified: bool
    created_at: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Json) -> EmailAddress:
        verification = _dict(data, "verification")
        return cls(
            id=_get(data, "id", str, ""),
            email_address=_get(data, "email_address", str, ""),
            verified=verification.get("status") == "verified",
            created_at=_opt_int(data, "created_at"),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """One phone number of a user."""

    id: str
    phone_number: str
    verified: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Json) -> PhoneNumber:
        verification = _dict(data, "verification")
        return cls(
            id=_get(data, "id", str, ""),
            phone_number=_get(data, "phone_number", str, ""),
            verified=verification.get("status") == "verified",
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class User:
    """A Backend API user, as ``current_user()`` returns it."""

    id: str
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    image_url: str | None = None
    has_image: bool = False
    primary_email_address_id: str | None = None
    email_addresses: tuple[EmailAddress, ...] = ()
    phone_numbers: tuple[PhoneNumber, ...] = ()
    external_id: str | None = None
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)
    unsafe_metadata: dict[str, Any] = field(default_factory=dict)
    password_enabled: bool = False
    two_factor_enabled: bool = False
    banned: bool = False
    locked: bool = False
    last_sign_in_at: int | None = None
    last_active_at: int | None = None
    created_at: int | None = None
    updated_at: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Json) -> User:
        return cls(
            id=_get(data, "id", str, ""),
            username=_opt_str(data, "username"),
            first_name=_opt_str(data, "first_name"),
            last_name=_opt_str(data, "last_name"),
            image_url=_opt_str(data, "image_url") or _opt_str(data, "profile_image_url"),
            has_image=_get(data, "has_image", bool, False),
            primary_email_address_id=_opt_str(data, "primary_email_address_id"),
            email_addresses=tuple(
                EmailAddress.from_dict(e) for e in _objects(data, "email_addresses")
            ),
            phone_numbers=tuple(PhoneNumber.from_dict(p) for p in _objects(data, "phone_numbers")),
            external_id=_opt_str(data, "external_id"),
            public_metadata=_dict(data, "public_metadata"),
            private_metadata=_dict(data, "private_metadata"),
            unsafe_metadata=_dict(data, "unsafe_metadata"),
            password_enabled=_get(data, "password_enabled", bool, False),
            two_factor_enabled=_get(data, "two_factor_enabled", bool, False),
            banned=_get(data, "banned", bool, False),
            locked=_get(data, "locked", bool, False),
            last_sign_in_at=_opt_int(data, "last_sign_in_at"),
            last_active_at=_opt_int(data, "last_active_at"),
            created_at=_opt_int(data, "created_at"),
            updated_at=_opt_int(data, "updated_at"),
            raw=dict(data),
        )

    @property
    def profile_image_url(self) -> str | None:
        """Clerk's older name for :attr:`image_url`."""
        return _opt_str(self.raw, "profile_image_url") or self.image_url

    @property
    def primary_email_address(self) -> str | None:
        """The primary email address as a string, when there is one."""
        for email in self.email_addresses:
            if email.id == self.primary_email_address_id:
                return email.email_address
        return None

    @property
    def full_name(self) -> str | None:
        """First and last name joined, or None when both are empty."""
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or None


@dataclass(frozen=True, slots=True)
class Session:
    """A session: one signed-in account on one client."""

    id: str
    user_id: str
    client_id: str
    status: str
    last_active_at: int | None = None
    expire_at: int | None = None
    abandon_at: int | None = None
    created_at: int | None = None
    updated_at: int | None = None
    last_active_organization_id: str | None = None
    actor: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Json) -> Session:
        actor = data.get("actor")
        return cls(
            id=_get(data, "id", str, ""),
            user_id=_get(data, "user_id", str, ""),
            client_id=_get(data, "client_id", str, ""),
            status=_get(data, "status", str, ""),
            last_active_at=_opt_int(data, "last_active_at"),
            expire_at=_opt_int(data, "expire_at"),
            abandon_at=_opt_int(data, "abandon_at"),
            created_at=_opt_int(data, "created_at"),
            updated_at=_opt_int(data, "updated_at"),
            last_active_organization_id=_opt_str(data, "last_active_organization_id"),
            actor=dict(actor) if isinstance(actor, Mapping) else None,
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class BrowserClient:
    """Clerk's ``Client`` object: one browser or device and its sessions."""

    id: str
    session_ids: tuple[str, ...] = ()
    sessions: tuple[Session, ...] = ()
    last_active_session_id: str | None = None
    updated_at: int | None = None
    created_at: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Json) -> BrowserClient:
        ids = data.get("session_ids")
        return cls(
            id=_get(data, "id", str, ""),
            session_ids=tuple(i for i in ids if isinstance(i, str))
            if isinstance(ids, list)
            else (),
            sessions=tuple(Session.from_dict(s) for s in _objects(data, "sessions")),
            last_active_session_id=_opt_str(data, "last_active_session_id"),
            updated_at=_opt_int(data, "updated_at"),
            created_at=_opt_int(data, "created_at"),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class Jwk:
    """One public signing key."""

    kid: str
    kty: str
    alg: str | None
    use: str | None
    n: str
    e: str

    @classmethod
    def from_dict(cls, data: Json) -> Jwk:
        return cls(
            kid=_get(data, "kid", str, ""),
            kty=_get(data, "kty", str, ""),
            alg=_opt_str(data, "alg"),
            use=_opt_str(data, "use"),
            n=_get(data, "n", str, ""),
            e=_get(data, "e", str, ""),
        )


@dataclass(frozen=True, slots=True)
class Jwks:
    """The instance's public keys."""

    keys: tuple[Jwk, ...]

    @classmethod
    def from_dict(cls, data: Json) -> Jwks:
        return cls(keys=tuple(Jwk.from_dict(k) for k in _objects(data, "keys")))


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invitation to sign up."""

    id: str
    email_address: str
    status: str
    url: str | None = None
    public_metadata: dict[str, Any] = field(default_factory=dict)
    created_at: int | None = None
    updated_at: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Json) -> Invitation:
        return cls(
            id=_get(data, "id", str, ""),
            email_address=_get(data, "email_address", str, ""),
            status=_get(data, "status", str, ""),
            url=_opt_str(data, "url"),
            public_metadata=_dict(data, "public_metadata"),
            created_at=_opt_int(data, "created_at"),
            updated_at=_opt_int(data, "updated_at"),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class DeletedObject:
    """What a DELETE returns."""

    id: str
    object: str
    deleted: bool

    @classmethod
    def from_dict(cls, data: Json) -> DeletedObject:
        return cls(
            id=_get(data, "id", str, ""),
            object=_get(data, "object", str, ""),
            deleted=_get(data, "deleted", bool, False),
        )


@dataclass(frozen=True, slots=True)
class Token:
    """A freshly minted session token (``{"object": "token", "jwt": ...}``)."""

    jwt: str
    object: str = "token"

    @classmethod
    def from_dict(cls, data: Json) -> Token:
        return cls(jwt=_get(data, "jwt", str, ""), object=_get(data, "object", str, "token"))
