"""Allowlist and blocklist identifiers as Clerk's JSON."""

from __future__ import annotations

from typing import Any

from threshold.core.records.identifiers import IdentifierList, ListedIdentifier

__all__ = ["identifier_json"]


def identifier_json(
    entry: ListedIdentifier, kind: IdentifierList, instance_id: str
) -> dict[str, Any]:
    """An AllowlistIdentifier or BlocklistIdentifier."""
    data: dict[str, Any] = {
        "object": f"{kind.value}_identifier",
        "id": entry.id,
        "identifier": entry.identifier,
        "identifier_type": entry.identifier_type,
        "instance_id": instance_id,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
    }
    if kind == IdentifierList.ALLOWLIST:
        data["invitation_id"] = entry.invitation_id
    return data
