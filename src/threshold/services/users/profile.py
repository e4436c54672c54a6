"""Profile edits a signed-in user makes on ``/user``: names, password, profile image.

Every change acts on the browser's active session (checked inside the change's
transaction); a password change needs the current password, ends the user's other
sessions and mails a notice that carries no secret.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from threshold.core.errors import (
    ConflictError,
    InvalidCredentialsError,
    PayloadTooLargeError,
    ValidationError,
)
from threshold.core.ids import new_id
from threshold.core.records.clients import Session, SessionStatus
from threshold.core.records.users import Image, User
from threshold.services.infra.audit import audit
from threshold.services.infra.mail import Mail
from threshold.services.infra.ratelimit import Limit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.accounts import require_active
from threshold.services.users.image_types import image_type
from threshold.services.users.passwords import hash_new_password
from threshold.store.repositories import (
    EmailRepository,
    ImageRepository,
    SessionRepository,
    UserRepository,
)

__all__ = ["change_password", "delete_image", "set_image", "update_names"]

_NAME_MAX = 255


def _clean_name(value: object, param: str, label: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{label} must be text.", param=param)
    value = " ".join(value.split())
    if len(value) > _NAME_MAX:
        raise ValidationError(f"{label} must be at most {_NAME_MAX} characters.", param=param)
    return value or None


async def update_names(
    ctx: ServerContext, state: ClientState, first_name: object, last_name: object
) -> None:
    """Set (or clear, with an empty value) the active user's first and last name."""
    first = _clean_name(first_name, "first_name", "First name")
    last = _clean_name(last_name, "last_name", "Last name")

    async def work(tx: Tx) -> None:
        _, user = await require_active(ctx, tx, state)
        users = UserRepository(tx.conn)
        changed = replace(user, first_name=first, last_name=last, updated_at=ctx.now_ms())
        await users.update(user, changed)
        await users.refresh_search_text(user.id)

    await run_transaction(ctx, work, state=state)


async def change_password(
    ctx: ServerContext, state: ClientState, current: object, new: object
) -> None:
    """Check the current password, set the new one, end every other session, mail a notice."""
    if not isinstance(current, str) or not current:
        raise ValidationError(
            "Enter your current password.", param="current_password", code="form_param_missing"
        )

    async def read(tx: Tx) -> tuple[Session, User, str | None]:
        session, user = await require_active(ctx, tx, state)
        return session, user, user.primary_email(await EmailRepository(tx.conn).for_user(user.id))

    session, user, email = await run_transaction(ctx, read, state=state)
    limits = (
        Limit(f"pwchange:user:{user.id}", 5, 60),
        Limit(f"pwchange:user-hour:{user.id}", 20, 3600),
    )
    await ctx.limiter.hit_all(limits)
    digest = user.password_digest
    if not digest or len(current) > ctx.policy.max_length * 4:
        await ctx.hasher.burn(current[: ctx.policy.max_length * 4])
        raise InvalidCredentialsError(
            "Your current password is incorrect.", param="current_password"
        )
    if not await ctx.hasher.verify(digest, current):
        audit(
            "password.change_failed",
            reason="current_password_incorrect",
            user_id=user.id,
            session_id=session.id,
            by=state,
        )
        raise InvalidCredentialsError(
            "Your current password is incorrect.", param="current_password"
        )
    context = [e for e in (email, user.first_name, user.last_name) if e]
    new_digest = await hash_new_password(ctx, new, context, param="new_password")

    async def write(tx: Tx) -> None:
        fresh_session, fresh = await require_active(ctx, tx, state)
        if fresh_session.id != session.id or fresh.password_digest != digest:
            raise ConflictError(
                "Your account changed while you were typing. Try again.", param="new_password"
            )
        now = ctx.now_ms()
        changed = replace(
            fresh, password_digest=new_digest, password_updated_at=now, updated_at=now
        )
        await UserRepository(tx.conn).update(fresh, changed)
        await SessionRepository(tx.conn).end_for_user(
            user.id, SessionStatus.REVOKED, now, keep=session.id
        )
        if email:
            tx.after_commit.mail(_password_notice(ctx, email))

    await run_transaction(ctx, write, state=state)
    audit("password.changed", user_id=user.id, session_id=session.id, by=state)


def _password_notice(ctx: ServerContext, email: str) -> Mail:
    settings = ctx.settings
    when = datetime.fromtimestamp(ctx.now_s(), UTC).strftime("%d %B %Y at %H:%M UTC")
    return Mail(
        to=email,
        subject=f"Your {settings.app_name} password was changed",
        text=(
            f"The password of your {settings.app_name} account ({email}) was changed on "
            f"{when}. Your other devices were signed out.\n\n"
            "If you did not do this, reset your password right away:\n"
            f"{settings.public_url}/forgot-password\n"
        ),
        kind="password_changed",
    )


async def set_image(ctx: ServerContext, state: ClientState, data: bytes) -> str:
    """Store a PNG, JPEG, GIF or WebP as the active user's profile image; returns its id."""
    if not data:
        raise ValidationError(
            "Choose an image to upload.", param="image", code="form_param_missing"
        )
    if len(data) > ctx.settings.max_body_bytes:
        limit = ctx.settings.max_body_bytes // 1024
        raise PayloadTooLargeError(
            f"The image is too large. The limit is {limit} KB.", param="image"
        )
    content_type = image_type(data)
    if content_type is None:
        raise ValidationError(
            "Upload a PNG, JPEG, GIF or WebP image.", param="image", code="image_type_invalid"
        )

    async def work(tx: Tx) -> str:
        _, user = await require_active(ctx, tx, state)
        now = ctx.now_ms()
        image = Image(
            id=new_id("img"),
            user_id=user.id,
            content_type=content_type,
            data=data,
            created_at=now,
            updated_at=now,
        )
        await ImageRepository(tx.conn).replace_for_user(image)
        await UserRepository(tx.conn).update(user, replace(user, image_id=image.id, updated_at=now))
        return image.id

    return await run_transaction(ctx, work, state=state)


async def delete_image(ctx: ServerContext, state: ClientState) -> None:
    """Remove the active user's profile image (the generated avatar shows again)."""

    async def work(tx: Tx) -> None:
        _, user = await require_active(ctx, tx, state)
        await ImageRepository(tx.conn).delete_for_user(user.id)
        changed = replace(user, image_id=None, updated_at=ctx.now_ms())
        await UserRepository(tx.conn).update(user, changed)

    await run_transaction(ctx, work, state=state)
