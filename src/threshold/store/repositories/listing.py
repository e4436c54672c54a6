"""Paged listings: Clerk's ``order_by``, LIKE patterns, one page and its total."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from threshold.core.errors import ValidationError
from threshold.core.records.listing import Page

__all__ = ["Condition", "like_pattern", "order_clauses", "page_statement"]

Condition = sa.ColumnElement[bool]


def order_clauses(
    table: sa.Table, order_by: str, allowed: Sequence[str]
) -> list[sa.UnaryExpression[object]]:
    """ORDER BY for ``[+|-]field`` (a leading space is a ``+`` that lost its URL encoding).

    Raises a ValidationError naming ``order_by`` for fields outside ``allowed``. The id
    breaks ties, so pages never overlap. NULLS FIRST/LAST is spelled out only for nullable
    columns: on a NOT NULL column it would keep PostgreSQL from reading an index in order.
    """
    text = order_by.strip() if order_by.startswith(" ") else order_by
    descending = text.startswith("-")
    field = text[1:] if text[:1] in ("+", "-") else text
    if field not in allowed:
        raise ValidationError(
            f"order_by must be one of {', '.join(allowed)}, optionally prefixed by + or -.",
            param="order_by",
            code="form_param_value_invalid",
        )
    column = table.c[field]
    primary = column.desc() if descending else column.asc()
    tie = table.c.id.desc() if descending else table.c.id.asc()
    if not column.nullable:
        return [primary, tie]
    return [primary.nulls_last() if descending else primary.nulls_first(), tie]


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE with ``\\`` as the escape character."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page_statement(
    table: sa.Table, where: Sequence[Condition], page: Page, allowed: Sequence[str]
) -> sa.Select[Any]:
    """The SELECT of one page (EXPLAIN shows its plan)."""
    return (
        sa.select(table)
        .where(*where)
        .order_by(*order_clauses(table, page.order_by, allowed))
        .limit(page.limit)
        .offset(page.offset)
    )
