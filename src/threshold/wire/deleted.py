"""Clerk's DeletedObject."""

from __future__ import annotations

from typing import Any

__all__ = ["deleted_json"]


def deleted_json(kind: str, id_: str) -> dict[str, Any]:
    return {"object": kind, "id": id_, "deleted": True}
