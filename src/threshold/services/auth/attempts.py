"""What sign-in and sign-up attempts share: the Client's own attempt, its abandonment,
the rate limits its steps count against, and the audit of how it ended.

An attempt still in progress at its ``abandon_at`` (24 hours after it started) is
``abandoned``, as Clerk calls it: it reads so (:meth:`SignIn.seen_at`), the first request
that meets it stores that status, and every step refuses it before any code is sent,
any password is checked or counted, or any session is created.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.errors import NotFoundError, ThresholdError, ValidationError
from threshold.core.records.sign_ins import SignIn, SignInStatus
from threshold.core.records.sign_ups import SignUp, SignUpStatus
from threshold.services.infra.audit import audit
from threshold.services.infra.ratelimit import Limit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories import SignInRepository, SignUpRepository

__all__ = [
    "ATTEMPT_LIFETIME_MS",
    "SIGN_INS",
    "SIGN_UPS",
    "AttemptKind",
    "SignInExpiredError",
    "audit_sign_in_failure",
    "audit_sign_in_success",
    "audit_sign_up_completion",
    "code_limits",
    "load_attempt",
    "open_sign_in_identifier",
    "refuse_if_abandoned",
    "seen_attempt",
    "sign_in_limits",
]

AttemptT = TypeVar("AttemptT", SignIn, SignUp)
StoredT = TypeVar("StoredT", covariant=True)

ATTEMPT_LIFETIME_MS = 24 * 3_600_000
"""How long an attempt stays open: it is abandoned this long after it started."""


class _Attempts(Protocol[StoredT]):
    async def get(self, id_: str) -> StoredT | None: ...

    async def get_for_update(self, id_: str) -> StoredT | None: ...

    async def abandon(self, attempt_id: str, now_ms: int) -> None: ...


class SignInExpiredError(ValidationError):
    """The sign-in was abandoned (past its ``abandon_at``): start a new one (422).

    Clerk documents no ``sign_in_cannot_be_updated``; its code for a sign-in that cannot
    take the requested step is ``client_state_invalid``."""

    code = "client_state_invalid"
    default_message = "This sign-in has expired. Start again."


def _sign_in_abandoned() -> ThresholdError:
    return SignInExpiredError(
        long_message="This sign-in was abandoned and can no longer be continued. Start a new one."
    )


def _sign_up_abandoned() -> ThresholdError:
    return ValidationError(
        "This sign-up has expired. Start a new one.",
        long_message="This sign-up was abandoned and can no longer be changed. Start a new one.",
        code="sign_up_cannot_be_updated",
    )


@dataclass(frozen=True, slots=True)
class AttemptKind(Generic[AttemptT]):
    """What differs between the two kinds of attempt."""

    noun: str
    param: str
    repository: Callable[[AsyncConnection], _Attempts[AttemptT]]
    abandoned_error: Callable[[], ThresholdError]


SIGN_INS: AttemptKind[SignIn] = AttemptKind(
    "Sign-in", "sign_in_id", SignInRepository, _sign_in_abandoned
)
SIGN_UPS: AttemptKind[SignUp] = AttemptKind(
    "Sign-up", "sign_up_id", SignUpRepository, _sign_up_abandoned
)


async def load_attempt(
    kind: AttemptKind[AttemptT],
    tx: Tx,
    state: ClientState,
    attempt_id: str,
    *,
    lock: bool = False,
) -> AttemptT:
    """The Client's own attempt (404 for any other); ``lock`` holds its row to the end of
    the transaction, so a step never acts on what a concurrent step is changing."""
    attempts = kind.repository(tx.conn)
    found = await (attempts.get_for_update if lock else attempts.get)(attempt_id)
    if found is None or state.client is None or found.client_id != state.client.id:
        raise NotFoundError(f"{kind.noun} not found.", param=kind.param)
    return found


async def seen_attempt(
    kind: AttemptKind[AttemptT], ctx: ServerContext, tx: Tx, attempt: AttemptT
) -> AttemptT:
    """The attempt as it reads now, storing ``abandoned`` when it lapsed only now."""
    now = ctx.now_ms()
    seen = attempt.seen_at(now)
    if seen.status != attempt.status:
        await kind.repository(tx.conn).abandon(attempt.id, now)
    return seen


def refuse_if_abandoned(
    kind: AttemptKind[AttemptT],
    ctx: ServerContext,
    attempt: AttemptT,
    *,
    then: Callable[[Tx], Awaitable[None]] | None = None,
) -> None:
    """Refuse an abandoned attempt. One that lapsed only now is stored ``abandoned`` once
    the refused step rolled back; ``then`` is more work to do then (giving back a
    password check counted for the attempt)."""
    now = ctx.now_ms()
    if not _is_abandoned(attempt.seen_at(now)):
        return
    error = kind.abandoned_error()
    lapsed_now = attempt.in_progress
    if lapsed_now or then is not None:
        attempt_id = attempt.id

        async def store(tx: Tx) -> None:
            if lapsed_now:
                await kind.repository(tx.conn).abandon(attempt_id, now)
            if then is not None:
                await then(tx)

        error.after_rollback = store
    raise error


def _is_abandoned(attempt: SignIn | SignUp) -> bool:
    return attempt.status in (SignInStatus.ABANDONED, SignUpStatus.ABANDONED)


def sign_in_limits(
    ctx: ServerContext, state: ClientState, identifier: str | None
) -> tuple[Limit, ...]:
    """What checking a sign-in's credential counts against (per address and per IP)."""
    return (
        Limit(f"signin:ip:{state.ip}", ctx.settings.ip_attempts_per_minute),
        Limit(f"signin:id:{identifier}", ctx.settings.identifier_attempts_per_minute),
    )


async def open_sign_in_identifier(
    ctx: ServerContext, state: ClientState, sign_in_id: str
) -> str | None:
    """The identifier of the Client's sign-in (what its rate limits count by); an
    abandoned sign-in is refused before any limit is counted."""

    async def work(tx: Tx) -> str | None:
        sign_in = await load_attempt(SIGN_INS, tx, state, sign_in_id)
        refuse_if_abandoned(SIGN_INS, ctx, sign_in)
        return sign_in.identifier

    return await run_transaction(ctx, work, state=state)


def code_limits(ctx: ServerContext, state: ClientState, key: str | None) -> tuple[Limit, ...]:
    """What sending or checking a code counts against: the IP, and the attempt (``key``,
    such as ``id:<sign-in id>``) when given."""
    by_ip = Limit(f"code:ip:{state.ip}", ctx.settings.ip_attempts_per_minute)
    return (by_ip,) if key is None else (by_ip, Limit(f"code:{key}", 10))


def audit_sign_in_failure(
    state: ClientState, exc: ThresholdError, strategy: str, sign_in: SignIn | None = None
) -> None:
    """Record ``sign_in.failed``: why, by which strategy, and the attempt's identifier
    and user when there is an attempt."""
    audit(
        "sign_in.failed",
        identifier=sign_in.identifier if sign_in else None,
        reason=exc.code,
        strategy=strategy,
        user_id=sign_in.user_id if sign_in else None,
        by=state,
    )


def audit_sign_in_success(state: ClientState, sign_in: SignIn) -> SignIn:
    """Record ``sign_in.succeeded`` for an attempt that just completed; return it."""
    if sign_in.status == SignInStatus.COMPLETE:
        audit(
            "sign_in.succeeded",
            user_id=sign_in.user_id,
            session_id=sign_in.created_session_id,
            strategy=sign_in.strategy,
            by=state,
        )
    return sign_in


def audit_sign_up_completion(state: ClientState, sign_up: SignUp) -> SignUp:
    """Record ``sign_up.completed`` for a sign-up that just created its user; return it."""
    if sign_up.status == SignUpStatus.COMPLETE:
        audit(
            "sign_up.completed",
            user_id=sign_up.created_user_id,
            session_id=sign_up.created_session_id,
            by=state,
        )
    return sign_up
