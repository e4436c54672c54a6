"""JWT templates through the Backend API: create, list, get, update, delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from threshold.core.errors import DuplicateError, IdentifierExistsError, ValidationError
from threshold.core.ids import new_id
from threshold.core.records.jwt_templates import JwtTemplate
from threshold.core.records.listing import Listed, Page
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import check_metadata, require
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.template_tokens import RESERVED_CLAIMS
from threshold.store.repositories import JwtTemplateRepository

__all__ = [
    "TemplateFields",
    "create_template",
    "delete_template",
    "get_template",
    "list_templates",
    "update_template",
]

_NAME_MAX = 255


@dataclass(frozen=True, slots=True)
class TemplateFields:
    """A template as a create or update body gives it (None: not given)."""

    name: str
    claims: Mapping[str, Any]
    lifetime: int | None = None
    allowed_clock_skew: int | None = None
    custom_signing_key: bool | None = None
    signing_algorithm: str | None = None


@dataclass(frozen=True, slots=True)
class _Checked:
    name: str
    claims: dict[str, Any]
    lifetime: int | None
    allowed_clock_skew: int | None


def _checked(fields: TemplateFields) -> _Checked:
    """The template's fields, checked."""
    name = fields.name.strip()
    if not name:
        raise ValidationError("Give the template a name.", param="name", code="form_param_missing")
    if len(name) > _NAME_MAX or "/" in name or any(ord(c) < 32 for c in name):
        raise ValidationError(
            f"name must be at most {_NAME_MAX} characters, without / or control characters.",
            param="name",
        )
    claims = check_metadata(fields.claims, "claims")
    reserved = sorted(RESERVED_CLAIMS & set(claims))
    if reserved:
        raise ValidationError(
            f"claims cannot set {', '.join(reserved)}: the server sets them.",
            param="claims",
            code="form_param_value_invalid",
        )
    if fields.custom_signing_key:
        raise ValidationError(
            "Custom signing keys are not supported: templates are signed with the instance key.",
            param="custom_signing_key",
            code="form_param_value_invalid",
        )
    if fields.signing_algorithm not in (None, "RS256"):
        raise ValidationError(
            "signing_algorithm must be RS256.",
            param="signing_algorithm",
            code="form_param_value_invalid",
        )
    return _Checked(name, claims, fields.lifetime, fields.allowed_clock_skew)


def _name_taken() -> IdentifierExistsError:
    return IdentifierExistsError("A JWT template with this name already exists.", param="name")


async def _check_name_free(tx: Tx, name: str, template_id: str | None) -> None:
    existing = await JwtTemplateRepository(tx.conn).by_name(name)
    if existing is not None and existing.id != template_id:
        raise _name_taken()


async def _load(tx: Tx, template_id: str) -> JwtTemplate:
    return await require(
        JwtTemplateRepository(tx.conn), template_id, "jtmp", "JWT template", "template_id"
    )


async def create_template(ctx: ServerContext, fields: TemplateFields) -> JwtTemplate:
    """A new template (lifetime 60 s and clock skew 5 s unless given)."""
    checked = _checked(fields)
    template_id = new_id("jtmp")

    async def work(tx: Tx) -> JwtTemplate:
        await _check_name_free(tx, checked.name, None)
        now = ctx.now_ms()
        template = JwtTemplate(
            id=template_id,
            name=checked.name,
            claims=checked.claims,
            lifetime=60 if checked.lifetime is None else checked.lifetime,
            allowed_clock_skew=5
            if checked.allowed_clock_skew is None
            else checked.allowed_clock_skew,
            created_at=now,
            updated_at=now,
        )
        try:
            await JwtTemplateRepository(tx.conn).add(template)
        except DuplicateError as exc:
            raise _name_taken() from exc
        return await _load(tx, template_id)

    return await run_transaction(ctx, work)


async def update_template(
    ctx: ServerContext, template_id: str, fields: TemplateFields
) -> JwtTemplate:
    """Replace a template's name and claims (and lifetime/skew when given)."""
    checked = _checked(fields)

    async def work(tx: Tx) -> JwtTemplate:
        old = await _load(tx, template_id)
        await _check_name_free(tx, checked.name, template_id)
        new = replace(old, name=checked.name, claims=checked.claims, updated_at=ctx.now_ms())
        if checked.lifetime is not None:
            new = replace(new, lifetime=checked.lifetime)
        if checked.allowed_clock_skew is not None:
            new = replace(new, allowed_clock_skew=checked.allowed_clock_skew)
        try:
            await JwtTemplateRepository(tx.conn).replace(old, new)
        except DuplicateError as exc:
            raise _name_taken() from exc
        return await _load(tx, template_id)

    return await run_transaction(ctx, work)


async def get_template(ctx: ServerContext, template_id: str) -> JwtTemplate:
    """One template."""
    return await run_transaction(ctx, lambda tx: _load(tx, template_id), readonly=True)


async def list_templates(ctx: ServerContext, page: Page) -> Listed[JwtTemplate]:
    """Templates, newest first, with the total count."""

    async def work(tx: Tx) -> Listed[JwtTemplate]:
        return await JwtTemplateRepository(tx.conn).listing(page)

    return await run_transaction(ctx, work, readonly=True)


async def delete_template(ctx: ServerContext, template_id: str) -> str:
    """Delete a template; tokens already minted from it stay valid until they expire."""

    async def work(tx: Tx) -> str:
        await _load(tx, template_id)
        await JwtTemplateRepository(tx.conn).delete(template_id)
        return template_id

    return await run_transaction(ctx, work)
