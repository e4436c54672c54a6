"""JWT templates as Clerk's JSON."""

from __future__ import annotations

from typing import Any

from threshold.core.records.jwt_templates import JwtTemplate

__all__ = ["template_json"]


def template_json(template: JwtTemplate) -> dict[str, Any]:
    return {
        "object": "jwt_template",
        "id": template.id,
        "name": template.name,
        "claims": template.claims,
        "lifetime": template.lifetime,
        "allowed_clock_skew": template.allowed_clock_skew,
        "custom_signing_key": False,
        "signing_algorithm": "RS256",
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }
