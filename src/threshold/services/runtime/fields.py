"""Shared pieces of the services' operations: lookups, field checks, metadata merging."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from threshold.core.errors import NotFoundError, ValidationError
from threshold.core.ids import is_id
from threshold.store.repositories._base import Repository

__all__ = [
    "METADATA_MAX_BYTES",
    "check_metadata",
    "check_name",
    "check_username",
    "deep_merge",
    "require",
]

METADATA_MAX_BYTES = 8192
"""Largest serialized size of one metadata object (Clerk's limit)."""

_USERNAME = re.compile(r"[a-z0-9_-]{4,64}")

RecordT = TypeVar("RecordT")


async def require(
    repo: Repository[RecordT],
    id_: str,
    prefix: str,
    what: str,
    param: str,
    *,
    lock: bool = False,
) -> RecordT:
    """The record with this id, or a 404 ``resource_not_found`` naming ``param``; with
    ``lock``, locked to the end of the transaction (:meth:`Repository.get_for_update`).

    Ids of the wrong shape are refused before they reach the database.
    """
    found = None
    if is_id(id_, prefix):
        found = await (repo.get_for_update(id_) if lock else repo.get(id_))
    if found is None:
        raise NotFoundError(f"No {what} was found with id {id_[:64]!r}.", param=param)
    return found


def check_name(value: object, param: str, *, max_len: int = 255) -> str | None:
    """A trimmed optional text field; empty means None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{param} must be a string.", param=param)
    text = value.strip()
    if len(text) > max_len:
        raise ValidationError(
            f"{param} must be at most {max_len} characters.",
            param=param,
            code="form_param_exceeds_allowed_size",
        )
    return text or None


def check_username(value: object) -> str | None:
    """4 to 64 letters, digits, ``_`` or ``-``; stored lower-cased (usernames ignore case)."""
    text = check_name(value, "username", max_len=64)
    if text is None:
        return None
    lowered = text.lower()
    if not _USERNAME.fullmatch(lowered):
        raise ValidationError(
            "Usernames are 4 to 64 characters: letters, digits, _ and -.",
            param="username",
            code="form_username_invalid_character",
        )
    return lowered


def check_metadata(value: object, param: str) -> dict[str, Any]:
    """A JSON object of at most 8 KB."""
    if not isinstance(value, Mapping):
        raise ValidationError(f"{param} must be a JSON object.", param=param)
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > METADATA_MAX_BYTES:
        raise ValidationError(
            f"{param} must be at most {METADATA_MAX_BYTES} bytes.",
            param=param,
            code="form_param_exceeds_allowed_size",
        )
    return dict(value)


def deep_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Clerk's metadata merge: nested objects merge, a key set to null is removed."""
    merged = dict(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        elif isinstance(value, Mapping):
            merged[key] = deep_merge({}, value)
        else:
            merged[key] = value
    return merged
