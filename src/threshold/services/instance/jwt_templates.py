"""JWT templates through the Backend API: create, list, get, update, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from threshold.core.errors import IdentifierExistsError, ValidationError
from threshold.core.ids import new_id
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import check_metadata, require
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.template_tokens import RESERVED_CLAIMS
from threshold.store.repositories._base import Row
from threshold.store.repositories.admin import JwtTemplateRepository, Page, Pager
from threshold.store.tables import jwt_templates

__all__ = [
    "create_template",
    "delete_template",
    "get_template",
    "list_templates",
    "update_template",
]

_NAME_MAX = 255


def _fields(params: Mapping[str, Any]) -> dict[str, Any]:
    """Checked template fields from a create or update body."""
    name = params.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("Give the template a name.", param="name", code="form_param_missing")
    name = name.strip()
    if len(name) > _NAME_MAX or "/" in name or any(ord(c) < 32 for c in name):
        raise ValidationError(
            f"name must be at most {_NAME_MAX} characters, without / or control characters.",
            param="name",
        )
    claims = check_metadata(params.get("claims"), "claims")
    reserved = sorted(RESERVED_CLAIMS & set(claims))
    if reserved:
        raise ValidationError(
            f"claims cannot set {', '.join(reserved)}: the server sets them.",
            param="claims",
            code="form_param_value_invalid",
        )
    if params.get("custom_signing_key"):
        raise ValidationError(
            "Custom signing keys are not supported: templates are signed with the instance key.",
            param="custom_signing_key",
            code="form_param_value_invalid",
        )
    algorithm = params.get("signing_algorithm")
    if algorithm not in (None, "RS256"):
        raise ValidationError(
            "signing_algorithm must be RS256.",
            param="signing_algorithm",
            code="form_param_value_invalid",
        )
    fields: dict[str, Any] = {"name": name, "claims": claims}
    if params.get("lifetime") is not None:
        fields["lifetime"] = int(params["lifetime"])
    if params.get("allowed_clock_skew") is not None:
        fields["allowed_clock_skew"] = int(params["allowed_clock_skew"])
    return fields


async def _save(tx: Tx, template_id: str | None, fields: dict[str, Any], now: int) -> None:
    repo = JwtTemplateRepository(tx.conn)
    existing = await repo.by_name(fields["name"])
    if existing is not None and existing["id"] != template_id:
        raise IdentifierExistsError("A JWT template with this name already exists.", param="name")
    try:
        async with tx.conn.begin_nested():
            if template_id is None:
                await repo.insert(**fields, created_at=now, updated_at=now)
            else:
                await repo.update(template_id, **fields, updated_at=now)
    except IntegrityError as exc:
        raise IdentifierExistsError(
            "A JWT template with this name already exists.", param="name"
        ) from exc


async def _load(tx: Tx, template_id: str) -> Row:
    return await require(
        JwtTemplateRepository(tx.conn), template_id, "jtmp", "JWT template", "template_id"
    )


async def create_template(ctx: ServerContext, params: Mapping[str, Any]) -> Row:
    """A new template (lifetime 60 s and clock skew 5 s unless given)."""
    fields = {"lifetime": 60, "allowed_clock_skew": 5, **_fields(params), "id": new_id("jtmp")}

    async def work(tx: Tx) -> Row:
        await _save(tx, None, fields, ctx.now_ms())
        return await _load(tx, fields["id"])

    return await run_transaction(ctx, work)


async def update_template(ctx: ServerContext, template_id: str, params: Mapping[str, Any]) -> Row:
    """Replace a template's name and claims (and lifetime/skew when given)."""
    fields = _fields(params)

    async def work(tx: Tx) -> Row:
        await _load(tx, template_id)
        await _save(tx, template_id, fields, ctx.now_ms())
        return await _load(tx, template_id)

    return await run_transaction(ctx, work)


async def get_template(ctx: ServerContext, template_id: str) -> Row:
    """One template."""
    return await run_transaction(ctx, lambda tx: _load(tx, template_id), readonly=True)


async def list_templates(ctx: ServerContext, page: Page) -> tuple[list[Row], int]:
    """Templates, newest first, with the total count."""

    async def work(tx: Tx) -> tuple[list[Row], int]:
        pager = Pager(tx.conn, jwt_templates)
        return await pager.page([], page), await pager.count([])

    return await run_transaction(ctx, work, readonly=True)


async def delete_template(ctx: ServerContext, template_id: str) -> str:
    """Delete a template; tokens already minted from it stay valid until they expire."""

    async def work(tx: Tx) -> str:
        await _load(tx, template_id)
        await JwtTemplateRepository(tx.conn).delete(template_id)
        return template_id

    return await run_transaction(ctx, work)
