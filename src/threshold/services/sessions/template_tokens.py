"""JWT templates: custom claims with ``{{user.*}}`` shortcodes, signed on demand.

A template token carries the template's claims plus ``azp``/``exp``/``iat``/``iss``/
``jti``/``nbf``/``sub``, the header ``cat: cl_B7d4PD222AAA`` and never ``sid``, so it
can never pass as a session token (see ``core.tokens.check_session_shape``).

Shortcodes: a string that is exactly one ``{{...}}`` takes the value's own type (an
object, a boolean, null); shortcodes inside longer text are interpolated as text.
``{{a || b || 'literal'}}`` picks the first value that is not null or empty. Paths:
``user.id``, ``user.external_id``, ``user.first_name``, ``user.last_name``,
``user.full_name``, ``user.username``, ``user.primary_email_address``,
``user.email_verified``, ``user.image_url``, ``user.has_image``,
``user.public_metadata[.key...]``, ``user.unsafe_metadata[.key...]``,
``user.created_at``/``updated_at``/``last_sign_in_at`` (seconds), ``session.id`` is
*not* offered; ``session.actor``; unknown paths (``org.*`` included) render as null.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from threshold.core.errors import NotFoundError
from threshold.core.ids import is_id, random_token
from threshold.core.records.clients import Session
from threshold.core.records.users import EmailAddress, User
from threshold.core.tokens import CAT_TEMPLATE
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.liveness import live_session
from threshold.store.repositories import EmailRepository, JwtTemplateRepository
from threshold.wire.images import image_url

__all__ = ["RESERVED_CLAIMS", "mint_template_token", "render_claims", "shortcode_context"]

RESERVED_CLAIMS = frozenset({"azp", "exp", "iat", "iss", "jti", "nbf", "sub", "sid"})
"""Claims a template may not set: the server sets them (``sid`` never)."""

_WHOLE = re.compile(r"\s*\{\{(.+?)\}\}\s*", re.DOTALL)
_ANY = re.compile(r"\{\{(.+?)\}\}", re.DOTALL)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def shortcode_context(
    user: User, emails: list[EmailAddress], session: Session, public_url: str
) -> dict[str, Any]:
    """The values shortcodes can reach."""
    primary = next((e for e in emails if e.id == user.primary_email_address_id), None)
    names = [n for n in (user.first_name, user.last_name) if n]

    def seconds(value: int | None) -> int | None:
        return None if value is None else value // 1000

    return {
        "user": {
            "id": user.id,
            "external_id": user.external_id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "full_name": " ".join(names) or None,
            "username": user.username,
            "primary_email_address": primary.email_address if primary else None,
            "email_verified": bool(primary and primary.verified),
            "image_url": image_url(public_url, user),
            "has_image": bool(user.image_id),
            "public_metadata": user.public_metadata or {},
            "unsafe_metadata": user.unsafe_metadata or {},
            "created_at": seconds(user.created_at),
            "updated_at": seconds(user.updated_at),
            "last_sign_in_at": seconds(user.last_sign_in_at),
            "two_factor_enabled": False,
            "phone_number_verified": False,
            "primary_phone_number": None,
        },
        "session": {"actor": session.actor},
    }


def _term(text: str, context: Mapping[str, Any]) -> Any:
    term = text.strip()
    if len(term) >= 2 and term[0] == term[-1] and term[0] in "'\"":
        return term[1:-1]
    if _NUMBER.fullmatch(term):
        return float(term) if "." in term else int(term)
    if term in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[term]
    value: Any = context
    for part in term.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _expression(text: str, context: Mapping[str, Any]) -> Any:
    value: Any = None
    for alternative in text.split("||"):
        value = _term(alternative, context)
        if value is not None and value != "":
            return value
    return value


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render_claims(claims: Any, context: Mapping[str, Any]) -> Any:
    """Replace the shortcodes in a template's claims (recursively)."""
    if isinstance(claims, Mapping):
        return {k: render_claims(v, context) for k, v in claims.items()}
    if isinstance(claims, list):
        return [render_claims(v, context) for v in claims]
    if isinstance(claims, str):
        whole = _WHOLE.fullmatch(claims)
        if whole is not None and "{{" not in whole.group(1):
            return _expression(whole.group(1), context)
        return _ANY.sub(lambda m: _as_text(_expression(m.group(1), context)), claims)
    return claims


async def mint_template_token(
    ctx: ServerContext,
    session_id: str,
    template_name: str,
    *,
    origin: str | None,
    lifetime: int | None,
) -> str:
    """A token from the named template for an active session's user."""

    if not is_id(session_id, "sess"):
        raise NotFoundError("Session not found.", param="session_id")

    async def work(tx: Tx) -> str:
        template = await JwtTemplateRepository(tx.conn).by_name(template_name)
        if template is None:
            raise NotFoundError("No JWT template has this name.", param="template_name")
        session, user = await live_session(ctx, tx, session_id)
        emails = await EmailRepository(tx.conn).for_user(user.id)
        context = shortcode_context(user, emails, session, ctx.settings.public_url)
        rendered = render_claims(template.claims, context)
        now = ctx.now_s()
        claims = {k: v for k, v in rendered.items() if k not in RESERVED_CLAIMS}
        claims.update(
            exp=now + (lifetime or template.lifetime),
            iat=now,
            iss=ctx.issuer,
            jti=random_token(15),
            nbf=now - template.allowed_clock_skew,
            sub=user.id,
        )
        if origin is not None:
            claims["azp"] = origin
        return ctx.keyring.sign(claims, headers={"cat": CAT_TEMPLATE})

    return await run_transaction(ctx, work)
