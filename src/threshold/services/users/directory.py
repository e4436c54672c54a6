"""Users through the Backend API: list, count, get, create, update, delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from threshold.core.errors import DuplicateError, IdentifierExistsError, ValidationError
from threshold.core.ids import new_id
from threshold.core.records.clients import SessionStatus
from threshold.core.records.listing import Page, UserFilters
from threshold.core.records.unset import UNSET, Unset
from threshold.core.records.users import EmailAddress
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import check_metadata, check_name, check_username, require
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.sessions import set_session_status
from threshold.services.users.creation import NewUser, create_user, normalize_email
from threshold.services.users.passwords import PasswordInput, password_digest_from
from threshold.store.repositories import EmailRepository, SessionRepository, UserRepository
from threshold.wire.users import UserView

__all__ = [
    "USER_ORDER_FIELDS",
    "ProfileFields",
    "UserCreation",
    "UserUpdate",
    "add_email",
    "count_users",
    "create_user_admin",
    "delete_user",
    "get_user",
    "list_users",
    "load_user",
    "revoke_user_sessions",
    "update_user_admin",
]

USER_ORDER_FIELDS = (
    "created_at",
    "updated_at",
    "first_name",
    "last_name",
    "username",
    "last_active_at",
    "last_sign_in_at",
)
_METADATA = ("public_metadata", "private_metadata", "unsafe_metadata")


@dataclass(frozen=True, slots=True)
class ProfileFields:
    """Profile fields of a create or update body: ``UNSET`` when not sent (null clears a
    name); metadata objects are None when not given."""

    first_name: str | Unset | None = UNSET
    last_name: str | Unset | None = UNSET
    external_id: str | Unset | None = UNSET
    username: str | Unset | None = UNSET
    public_metadata: Mapping[str, Any] | None = None
    private_metadata: Mapping[str, Any] | None = None
    unsafe_metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class UserCreation:
    """``POST /v1/users``: verified addresses (the first one primary), a password and the
    profile fields."""

    email_addresses: tuple[str, ...] = ()
    profile: ProfileFields = field(default_factory=ProfileFields)
    password: PasswordInput = field(default_factory=PasswordInput)
    skip_user_requirement: bool = False


@dataclass(frozen=True, slots=True)
class UserUpdate:
    """``PATCH /v1/users/{id}``: only what was sent changes."""

    profile: ProfileFields = field(default_factory=ProfileFields)
    password: PasswordInput = field(default_factory=PasswordInput)
    primary_email_address_id: str | None = None
    sign_out_of_other_sessions: bool = False


@dataclass(frozen=True, slots=True)
class _Profile:
    """Checked profile fields: only the ones that were given."""

    values: dict[str, Any]

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if isinstance(value, str) else None


def _checked_profile(fields: ProfileFields) -> _Profile:
    values: dict[str, Any] = {}
    for key in ("first_name", "last_name", "external_id"):
        value = getattr(fields, key)
        if value is not UNSET:
            values[key] = check_name(value, key)
    if fields.username is not UNSET:
        values["username"] = check_username(fields.username)
    for key in _METADATA:
        value = getattr(fields, key)
        if value is not None:
            values[key] = check_metadata(value, key)
    return _Profile(values)


async def load_user(tx: Tx, user_id: str) -> UserView:
    """The user and its emails (404 when unknown)."""
    user = await require(UserRepository(tx.conn), user_id, "user", "user", "user_id")
    return UserView(user, await EmailRepository(tx.conn).for_user(user_id))


async def get_user(ctx: ServerContext, user_id: str) -> UserView:
    """One user."""
    return await run_transaction(ctx, lambda tx: load_user(tx, user_id), readonly=True)


async def list_users(ctx: ServerContext, filters: UserFilters, page: Page) -> list[UserView]:
    """One page of users matching ``filters``."""

    async def work(tx: Tx) -> list[UserView]:
        found = await UserRepository(tx.conn).matching(filters, page, USER_ORDER_FIELDS)
        grouped = await EmailRepository(tx.conn).for_users([u.id for u in found])
        return [UserView(u, grouped[u.id]) for u in found]

    return await run_transaction(ctx, work, readonly=True)


async def count_users(ctx: ServerContext, filters: UserFilters) -> int:
    """How many users match ``filters``."""

    async def work(tx: Tx) -> int:
        return await UserRepository(tx.conn).count_matching(filters)

    return await run_transaction(ctx, work, readonly=True)


async def _check_unique(tx: Tx, field: str, value: str | None, user_id: str | None) -> None:
    if value is None:
        return
    if await UserRepository(tx.conn).value_taken(field, value, user_id):
        raise IdentifierExistsError(f"That {field.replace('_', ' ')} is taken.", param=field)


async def create_user_admin(ctx: ServerContext, creation: UserCreation) -> UserView:
    """Create a user with verified email addresses (the first one primary)."""
    addresses = [normalize_email(a) for a in creation.email_addresses]
    if len(set(addresses)) != len(addresses):
        raise ValidationError("An email address is listed twice.", param="email_address")
    if not addresses and not creation.skip_user_requirement:
        raise ValidationError(
            "email_address must contain at least one address.",
            param="email_address",
            code="form_param_missing",
        )
    profile = _checked_profile(creation.profile)
    context = [*addresses, profile.text("first_name") or "", profile.text("last_name") or ""]
    digest = await password_digest_from(ctx, creation.password, context)

    async def work(tx: Tx) -> UserView:
        await _check_unique(tx, "username", profile.text("username"), None)
        await _check_unique(tx, "external_id", profile.text("external_id"), None)
        new = NewUser(
            email=addresses[0] if addresses else None,
            password_digest=digest,
            email_verified=True,
            verification_strategy="admin",
            **profile.values,
        )
        user = await create_user(ctx, tx, new)
        for address in addresses[1:]:
            await add_email(ctx, tx, user.id, address, verified=True)
        await UserRepository(tx.conn).refresh_search_text(user.id)
        return await load_user(tx, user.id)

    return await run_transaction(ctx, work)


async def add_email(
    ctx: ServerContext, tx: Tx, user_id: str, address: str, *, verified: bool
) -> EmailAddress:
    """Store one more email address for a user; a taken address is a clear 422."""
    emails = EmailRepository(tx.conn)
    if await emails.by_address(address) is not None:
        raise IdentifierExistsError(param="email_address")
    now = ctx.now_ms()
    email = EmailAddress(
        id=new_id("idn"),
        user_id=user_id,
        email_address=address,
        verified=verified,
        verification_strategy="admin" if verified else "email_code",
        created_at=now,
        updated_at=now,
    )
    try:
        return await emails.add(email)
    except DuplicateError as exc:
        raise IdentifierExistsError(param="email_address") from exc


async def update_user_admin(ctx: ServerContext, user_id: str, update: UserUpdate) -> UserView:
    """Change profile fields, the primary email, the password or (replacing) metadata."""
    profile = _checked_profile(update.profile)
    current = await get_user(ctx, user_id)
    context = [e.email_address for e in current.emails]
    context += [profile.text("first_name") or current.user.first_name or ""]
    digest = await password_digest_from(ctx, update.password, context)

    async def work(tx: Tx) -> UserView:
        view = await load_user(tx, user_id)
        await _check_unique(tx, "username", profile.text("username"), user_id)
        await _check_unique(tx, "external_id", profile.text("external_id"), user_id)
        now = ctx.now_ms()
        changed = replace(view.user, **profile.values, updated_at=now)
        if update.primary_email_address_id is not None:
            primary = _primary_email(view, update.primary_email_address_id)
            changed = replace(changed, primary_email_address_id=primary)
        if digest is not None:
            changed = replace(changed, password_digest=digest, password_updated_at=now)
        users = UserRepository(tx.conn)
        await users.update(view.user, changed)
        if update.sign_out_of_other_sessions and digest is not None:
            await revoke_user_sessions(ctx, tx, user_id)
        await users.refresh_search_text(user_id)
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)


async def revoke_user_sessions(ctx: ServerContext, tx: Tx, user_id: str) -> None:
    """Revoke every active session of the user; their Clients move on to another session."""
    sessions = SessionRepository(tx.conn)
    for session in await sessions.for_user(user_id, status=SessionStatus.ACTIVE):
        await set_session_status(ctx, tx, session.id, SessionStatus.REVOKED)


def _primary_email(view: UserView, email_id: str) -> str:
    found = next((e for e in view.emails if e.id == email_id), None)
    if found is None:
        raise ValidationError(
            "primary_email_address_id is not one of this user's email addresses.",
            param="primary_email_address_id",
            code="form_param_value_invalid",
        )
    if not found.verified:
        raise ValidationError(
            "Only a verified email address can become the primary one.",
            param="primary_email_address_id",
            code="form_param_value_invalid",
        )
    return found.id


async def delete_user(ctx: ServerContext, user_id: str) -> str:
    """Delete the user with its emails, images, sessions and sign-in tokens."""

    async def work(tx: Tx) -> str:
        users = UserRepository(tx.conn)
        await require(users, user_id, "user", "user", "user_id")
        await users.delete_with_sessions(user_id, ctx.now_ms())
        return user_id

    return await run_transaction(ctx, work)
