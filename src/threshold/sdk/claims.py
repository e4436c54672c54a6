"""Reading session claims: organization data (v1 and v2) and the checks behind ``has()``.

v2 tokens carry the active organization compactly: ``o = {id, slg, rol, per, fpm}`` and
a ``fea`` list. Each org-scoped feature in ``fea`` (in order) pairs with one entry of
``o.fpm``, a decimal bitmask whose bit ``i`` (least significant first) grants
``org:<feature>:<per[i]>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "REVERIFICATION_PRESETS",
    "OrgInfo",
    "check_feature_or_plan",
    "check_reverification",
    "org_info",
    "with_org_prefix",
]

REVERIFICATION_PRESETS: dict[str, tuple[str, int]] = {
    "strict_mfa": ("multi_factor", 10),
    "strict": ("second_factor", 10),
    "moderate": ("second_factor", 60),
    "lax": ("second_factor", 1440),
}
"""Named reverification levels: (factor level, maximum age in minutes)."""


@dataclass(frozen=True, slots=True)
class OrgInfo:
    """The active organization of a session, decoded."""

    id: str | None = None
    slug: str | None = None
    role: str | None = None
    permissions: tuple[str, ...] | None = None


def with_org_prefix(value: str) -> str:
    """``admin`` → ``org:admin``; already-prefixed values are unchanged."""
    return value if value.startswith("org:") else "org:" + value


def _split(value: object) -> list[str]:
    if not isinstance(value, str) or not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def _org_features(fea: object) -> list[str]:
    """Feature names whose scope includes the organization, in token order."""
    names = []
    for entry in _split(fea):
        scope, sep, name = entry.partition(":")
        if sep and "o" in scope and name:
            names.append(name)
    return names


def _v2_permissions(claims: Mapping[str, Any], org: Mapping[str, Any]) -> tuple[str, ...]:
    perms = _split(org.get("per"))
    masks = _split(org.get("fpm"))
    granted: list[str] = []
    for feature, mask_text in zip(_org_features(claims.get("fea")), masks, strict=False):
        try:
            mask = int(mask_text)
        except ValueError:
            continue
        for bit, perm in enumerate(perms):
            if mask >> bit & 1:
                granted.append(f"org:{feature}:{perm}")
    return tuple(granted)


def org_info(claims: Mapping[str, Any]) -> OrgInfo:
    """The organization fields of v2 (``o``) or v1 (flat ``org_*``) claims."""
    if claims.get("v") == 2:
        org = claims.get("o")
        if not isinstance(org, Mapping) or not isinstance(org.get("id"), str):
            return OrgInfo()
        role = org.get("rol")
        return OrgInfo(
            id=org["id"],
            slug=org.get("slg") if isinstance(org.get("slg"), str) else None,
            role=with_org_prefix(role) if isinstance(role, str) and role else None,
            permissions=_v2_permissions(claims, org),
        )
    org_id = claims.get("org_id")
    if not isinstance(org_id, str):
        return OrgInfo()
    perms = claims.get("org_permissions")
    role = claims.get("org_role")
    slug = claims.get("org_slug")
    return OrgInfo(
        id=org_id,
        slug=slug if isinstance(slug, str) else None,
        role=with_org_prefix(role) if isinstance(role, str) and role else None,
        permissions=tuple(p for p in perms if isinstance(p, str))
        if isinstance(perms, list)
        else (),
    )


def check_feature_or_plan(wanted: str, granted: object) -> bool:
    """``x``, ``o:x``/``org:x`` or ``u:x``/``user:x`` against a ``fea``/``pla`` value."""
    scope, sep, name = wanted.partition(":")
    if not sep:
        scope, name = "", wanted
    elif scope in ("org", "o"):
        scope = "o"
    elif scope in ("user", "u"):
        scope = "u"
    else:
        return False
    for entry in _split(granted):
        entry_scope, entry_sep, entry_name = entry.partition(":")
        if entry_sep and entry_name == name and (not scope or scope in entry_scope):
            return True
    return False


def check_reverification(level_spec: str | Mapping[str, Any], fva: Sequence[int] | None) -> bool:
    """Whether the factors were verified recently enough for ``level_spec``.

    ``fva`` is ``[minutes since first factor, minutes since second factor]``; ``-1``
    means never/not enrolled, in which case the other factor decides.
    """
    if isinstance(level_spec, str):
        if level_spec not in REVERIFICATION_PRESETS:
            return False
        level, max_age = REVERIFICATION_PRESETS[level_spec]
    else:
        level = str(level_spec.get("level", ""))
        max_age = level_spec.get("after_minutes", level_spec.get("afterMinutes"))
        if not isinstance(max_age, int) or isinstance(max_age, bool):
            return False
    if fva is None or len(fva) != 2:
        return False
    first_age, second_age = fva
    first_ok = first_age != -1 and first_age < max_age
    second_ok = second_age != -1 and second_age < max_age
    if level == "first_factor":
        return first_ok
    if level == "second_factor":
        return second_ok if second_age != -1 else first_ok
    if level == "multi_factor":
        return first_ok if second_age == -1 else first_ok and second_ok
    return False
