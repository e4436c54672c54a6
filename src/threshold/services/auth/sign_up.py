"""Sign-up: email + password (names optional), then the address is verified (by the
registered verification strategy: an emailed code), or an invitation vouches for it.

``update_sign_up`` (``PATCH /v1/client/sign_ups/{id}``) takes the fields the create takes,
checked the same way; a new email address voids the codes sent to the old one. A sign-up
past its ``abandon_at`` is refused with ``sign_up_cannot_be_updated`` (see
:mod:`.attempts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from threshold.core.codes import token_digest
from threshold.core.errors import IdentifierExistsError, ValidationError
from threshold.core.ids import new_id
from threshold.core.records.sign_ups import SignUp, SignUpStatus
from threshold.core.records.tickets import Invitation, InvitationStatus
from threshold.core.records.unset import UNSET, Unset
from threshold.core.records.verifications import CodePurpose
from threshold.services.auth.attempts import (
    ATTEMPT_LIFETIME_MS,
    SIGN_UPS,
    audit_sign_up_completion,
    load_attempt,
    refuse_if_abandoned,
    seen_attempt,
)
from threshold.services.auth.strategies.base import Step
from threshold.services.infra.ratelimit import Limit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.clients import ensure_client, update_client
from threshold.services.sessions.sessions import create_session
from threshold.services.users.creation import (
    NewUser,
    check_identifier_allowed,
    create_user,
    normalize_email,
)
from threshold.services.users.passwords import hash_new_password
from threshold.store.repositories import (
    EmailRepository,
    InvitationRepository,
    SignUpRepository,
    VerificationRepository,
)
from threshold.wire.sign_ups import SignUpView

__all__ = [
    "SignUpFields",
    "complete_if_ready",
    "create_sign_up",
    "get_sign_up",
    "pending_sign_up",
    "prepare_verification",
    "refuse_unless_open",
    "sign_up_view",
    "update_sign_up",
    "verify_sign_up",
]

_NAME_MAX = 255


@dataclass(frozen=True, slots=True)
class SignUpFields:
    """A sign-up's fields as a create or update sends them; ``UNSET`` when not sent.

    ``password`` and ``ticket`` count only when not empty; an update changes a name or
    the metadata only when sent (an empty name clears it).
    """

    email_address: str | Unset | None = UNSET
    password: str | None = None
    first_name: str | Unset | None = UNSET
    last_name: str | Unset | None = UNSET
    unsafe_metadata: Mapping[str, Any] | Unset | None = UNSET
    ticket: str | None = None


def _name(value: str | Unset | None, key: str) -> str | None:
    if value is UNSET or value is None or value == "":
        return None
    if len(value) > _NAME_MAX:
        raise ValidationError(f"{key} must be at most {_NAME_MAX} characters.", param=key)
    return value.strip() or None


def _unsafe_metadata(value: Mapping[str, Any] | Unset | None) -> dict[str, Any]:
    return {} if value is UNSET or value is None else dict(value)


def sign_up_view(ctx: ServerContext, sign_up: SignUp) -> SignUpView:
    """The sign-up with the registered ways to verify its address."""
    return SignUpView(sign_up, [s.name for s in ctx.strategies.verifications()])


async def _claim_address(tx: Tx, address: str, invitation: Invitation | None) -> None:
    """An address a sign-up may take: allowed (an invitation vouches for its own), not taken."""
    if invitation is None:
        await check_identifier_allowed(tx, address)
    if await EmailRepository(tx.conn).by_address(address) is not None:
        raise IdentifierExistsError(param="email_address")


def _ticket_invalid() -> ValidationError:
    return ValidationError(
        "This invitation is invalid or was already used.", param="ticket", code="ticket_invalid"
    )


async def _invitation(tx: Tx, ticket: str | None, now_ms: int) -> Invitation | None:
    """The pending invitation a ticket is for; None without a ticket."""
    if not ticket:
        return None
    found = await InvitationRepository(tx.conn).by_ticket_digest(token_digest(ticket))
    if found is None or found.status_at(now_ms) != InvitationStatus.PENDING:
        raise _ticket_invalid()
    return found


async def _accept_invitation(ctx: ServerContext, tx: Tx, invitation_id: str) -> Invitation:
    """Accept the sign-up's invitation in the completing transaction, or refuse.

    The ticket was checked when the sign-up took it; since then the invitation may
    have been revoked, used by another sign-up or expired. Its row stays locked (on
    PostgreSQL) until the transaction ends, so a concurrent revoke waits for it.
    """
    invitations = InvitationRepository(tx.conn)
    found = await invitations.get_for_update(invitation_id)
    now = ctx.now_ms()
    if found is None or found.status_at(now) != InvitationStatus.PENDING:
        raise _ticket_invalid()
    await invitations.update(
        found, replace(found, status=InvitationStatus.ACCEPTED, updated_at=now)
    )
    return found


def _limits(ctx: ServerContext, state: ClientState) -> tuple[Limit, ...]:
    """What creating or changing a sign-up counts against (before any hashing)."""
    return (Limit(f"signup:ip:{state.ip}", ctx.settings.ip_attempts_per_minute),)


async def create_sign_up(ctx: ServerContext, state: ClientState, fields: SignUpFields) -> SignUp:
    """Start a sign-up. The rate limit comes first, then the password is checked and
    hashed before the transaction, so refused requests cost no argon2 work."""
    await ctx.limiter.hit_all(_limits(ctx, state))
    typed = None if fields.email_address is UNSET else fields.email_address
    email = normalize_email(typed) if typed or not fields.ticket else None
    first, last = _name(fields.first_name, "first_name"), _name(fields.last_name, "last_name")
    digest = None
    if fields.password:
        context = [e for e in (email, first, last) if e]
        digest = await hash_new_password(ctx, fields.password, context)
    unsafe = _unsafe_metadata(fields.unsafe_metadata)

    async def work(tx: Tx) -> SignUp:
        invitation = await _invitation(tx, fields.ticket, ctx.now_ms())
        address = invitation.email_address if invitation else email
        if address is None:
            raise ValidationError(
                "Enter an email address.", param="email_address", code="form_param_missing"
            )
        await _claim_address(tx, address, invitation)
        client = await ensure_client(ctx, tx, state)
        now = ctx.now_ms()
        sign_up = await SignUpRepository(tx.conn).insert(
            SignUp(
                id=new_id("sua"),
                client_id=client.id,
                email_address=address,
                email_verified=invitation is not None,
                first_name=first,
                last_name=last,
                password_digest=digest,
                unsafe_metadata=unsafe,
                invitation_id=invitation.id if invitation else None,
                status=SignUpStatus.MISSING_REQUIREMENTS,
                abandon_at=now + ATTEMPT_LIFETIME_MS,
                created_at=now,
                updated_at=now,
            )
        )
        await update_client(tx, state, replace(client, sign_up_id=sign_up.id, updated_at=now))
        return await complete_if_ready(ctx, tx, state, sign_up)

    return audit_sign_up_completion(state, await run_transaction(ctx, work, state=state))


async def get_sign_up(ctx: ServerContext, state: ClientState, sign_up_id: str) -> SignUp:
    """The Client's sign-up as it reads now."""

    async def work(tx: Tx) -> SignUp:
        sign_up = await load_attempt(SIGN_UPS, tx, state, sign_up_id)
        return await seen_attempt(SIGN_UPS, ctx, tx, sign_up)

    return await run_transaction(ctx, work, state=state)


async def pending_sign_up(ctx: ServerContext, state: ClientState) -> SignUp | None:
    """The Client's sign-up while it waits for its address to be verified: None when it
    has none, or it is finished, expired or verified (a new one starts then)."""

    async def work(tx: Tx) -> SignUp | None:
        client = state.client
        if client is None or not client.sign_up_id:
            return None
        return await SignUpRepository(tx.conn).get(client.sign_up_id)

    sign_up = await run_transaction(ctx, work, state=state)
    if sign_up is None or sign_up.email_verified:
        return None
    return sign_up if sign_up.seen_at(ctx.now_ms()).in_progress else None


def refuse_unless_open(ctx: ServerContext, sign_up: SignUp) -> None:
    """Only a sign-up still in progress takes changes."""
    if sign_up.status == SignUpStatus.COMPLETE:
        raise ValidationError("This sign-up is already complete.", code="client_state_invalid")
    refuse_if_abandoned(SIGN_UPS, ctx, sign_up)


def _patched_email(fields: SignUpFields) -> str | None:
    """The address a PATCH asks for, or None to keep the sign-up's.

    An empty one is refused as at create (the address is required), unless a ticket
    brings its own, as at create.
    """
    value = fields.email_address
    if value is UNSET or value is None or (value == "" and fields.ticket):
        return None
    return normalize_email(value)


async def _new_digest(
    ctx: ServerContext,
    state: ClientState,
    sign_up_id: str,
    password: str | None,
    context: Mapping[str, Any],
) -> str | None:
    """Check and hash a new password before the write transaction, as create does.

    The policy sees the address and names the sign-up will have (``context`` holds the
    ones this request sets), so it reads the sign-up first: a foreign or finished
    sign-up is refused before any hashing.
    """
    if not password:
        return None

    async def read(tx: Tx) -> SignUp:
        sign_up = await load_attempt(SIGN_UPS, tx, state, sign_up_id)
        refuse_unless_open(ctx, sign_up)
        return sign_up

    sign_up = await run_transaction(ctx, read, state=state, readonly=True)
    words = [
        context[k] if k in context else getattr(sign_up, k)
        for k in ("email_address", "first_name", "last_name")
    ]
    return await hash_new_password(ctx, password, [w for w in words if w])


async def update_sign_up(
    ctx: ServerContext, state: ClientState, sign_up_id: str, fields: SignUpFields
) -> SignUp:
    """Change a sign-up in progress with the fields create takes, checked the same way.

    Only the fields sent change. A new address is vetted like a new sign-up's, starts
    unverified and voids the codes already sent. Every change lands in one transaction,
    or none does.
    """
    email = _patched_email(fields)
    changes: dict[str, Any] = {
        key: _name(value, key)
        for key in ("first_name", "last_name")
        if (value := getattr(fields, key)) is not UNSET
    }
    if fields.unsafe_metadata is not UNSET:
        changes["unsafe_metadata"] = _unsafe_metadata(fields.unsafe_metadata)
    await ctx.limiter.hit_all(_limits(ctx, state))  # before the password is hashed
    context = {**changes, **({"email_address": email} if email else {})}
    digest = await _new_digest(ctx, state, sign_up_id, fields.password, context)
    if digest is not None:
        changes["password_digest"] = digest

    async def work(tx: Tx) -> SignUp:
        sign_up = await load_attempt(SIGN_UPS, tx, state, sign_up_id, lock=True)
        refuse_unless_open(ctx, sign_up)
        invitation = await _invitation(tx, fields.ticket, ctx.now_ms())
        address = await _address_changes(ctx, tx, sign_up, email, invitation)
        changed = replace(sign_up, **changes, **address, updated_at=ctx.now_ms())
        changed = await SignUpRepository(tx.conn).update(sign_up, changed)
        return await complete_if_ready(ctx, tx, state, changed)

    return audit_sign_up_completion(state, await run_transaction(ctx, work, state=state))


async def _address_changes(
    ctx: ServerContext, tx: Tx, sign_up: SignUp, email: str | None, invitation: Invitation | None
) -> dict[str, Any]:
    """The fields a new address (typed, or an invitation's) changes.

    An invitation's address comes verified. An address that differs from the sign-up's
    is vetted as at create and voids the codes sent to the old one; a typed one starts
    unverified and drops an invitation made for the old one.
    """
    address = invitation.email_address if invitation else email
    changes: dict[str, Any] = {}
    if invitation is not None:
        changes = {"email_verified": True, "invitation_id": invitation.id}
    if address is None or address == sign_up.email_address:
        return changes
    await _claim_address(tx, address, invitation)
    await VerificationRepository(tx.conn).void_pending(
        sign_up.id, CodePurpose.SIGN_UP, ctx.now_ms()
    )
    changes["email_address"] = address
    if invitation is None:
        changes |= {"email_verified": False, "invitation_id": None}
    return changes


def _verification(ctx: ServerContext, name: str | None, step: Step) -> str:
    """The verification strategy a step names (the first registered one by default)."""
    names = [s.name for s in ctx.strategies.verifications() if step in s.steps]
    if not name:
        return names[0]
    if name not in names:
        raise ValidationError(
            f"Only the {' or '.join(names)} strategy is supported.",
            param="strategy",
            code="form_param_value_invalid",
        )
    return name


async def prepare_verification(
    ctx: ServerContext, state: ClientState, sign_up_id: str, strategy: str | None
) -> SignUp:
    """Send what verifies the sign-up's address (an emailed code)."""
    name = _verification(ctx, strategy, Step.PREPARE)
    found = ctx.strategies.verification(name, Step.PREPARE)
    assert found is not None
    return await found.prepare(ctx, state, sign_up_id)


async def verify_sign_up(
    ctx: ServerContext, state: ClientState, sign_up_id: str, strategy: str | None, value: str | None
) -> SignUp:
    """Check what verifies the sign-up's address (``attempt_verification``). A strategy
    the attempt does not name, or names wrongly, is the default one: clients have always
    been free to leave it out."""
    found = ctx.strategies.verification(strategy or "", Step.ATTEMPT)
    if found is None:
        found = ctx.strategies.verification(_verification(ctx, None, Step.ATTEMPT), Step.ATTEMPT)
    assert found is not None
    return await found.attempt(ctx, state, sign_up_id, value)


async def complete_if_ready(
    ctx: ServerContext, tx: Tx, state: ClientState, sign_up: SignUp
) -> SignUp:
    """Create the user and its session once the address is verified and a password set
    (``sign_up`` is read in this transaction); else the sign-up as it is."""
    if not (sign_up.email_verified and sign_up.password_digest):
        return sign_up
    public_metadata: Mapping[str, Any] = {}
    if sign_up.invitation_id:
        invitation = await _accept_invitation(ctx, tx, sign_up.invitation_id)
        public_metadata = invitation.public_metadata or {}
    user = await create_user(
        ctx,
        tx,
        NewUser(
            email=sign_up.email_address,
            password_digest=sign_up.password_digest,
            email_verified=True,
            verification_strategy="ticket" if sign_up.invitation_id else "email_code",
            first_name=sign_up.first_name,
            last_name=sign_up.last_name,
            unsafe_metadata=sign_up.unsafe_metadata or {},
            public_metadata=public_metadata,
        ),
    )
    session = await create_session(ctx, tx, state, user)
    done = replace(
        sign_up,
        status=SignUpStatus.COMPLETE,
        created_user_id=user.id,
        created_session_id=session.id,
        updated_at=ctx.now_ms(),
    )
    return await SignUpRepository(tx.conn).update(sign_up, done)
