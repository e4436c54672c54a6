"""Rows to records and back: a record's fields are its table's columns, by name.

A status column becomes the record's ``StrEnum`` on the way in and its plain value on the
way out. Columns a record does not name stay in the store (``users.search_text``), and
fields a table lacks are left at their defaults (a blocklist entry's ``invitation_id``).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa

__all__ = ["changed_values", "column_values", "record_of"]

RecordT = TypeVar("RecordT")
_Convert = Callable[[Any], Any] | None


def _enum_in(hint: object) -> type[Enum] | None:
    """The enum a field holds (``Status`` or ``Status | None``), if any."""
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return next((e for a in typing.get_args(hint) if (e := _enum_in(a)) is not None), None)
    return None


_FIELDS: dict[type[Any], tuple[tuple[str, _Convert], ...]] = {}


def _fields(cls: type[Any]) -> tuple[tuple[str, _Convert], ...]:
    """(field name, how a stored value becomes the field's value) for a record class,
    worked out once per class."""
    found = _FIELDS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = tuple((f.name, _enum_in(hints[f.name])) for f in dataclasses.fields(cls))
        _FIELDS[cls] = found
    return found


@functools.cache
def _columns(table: sa.Table) -> frozenset[str]:
    return frozenset(table.c.keys())


def record_of(cls: type[RecordT], row: Mapping[Any, Any]) -> RecordT:
    """The record of class ``cls`` that ``row`` holds."""
    values = {}
    for name, convert in _fields(cls):
        if name in row:
            value = row[name]
            values[name] = value if convert is None or value is None else convert(value)
    return cls(**values)


def _stored(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def column_values(record: object, table: sa.Table) -> dict[str, Any]:
    """The values of ``record`` that ``table`` has columns for."""
    columns = _columns(table)
    return {
        name: _stored(getattr(record, name)) for name, _ in _fields(type(record)) if name in columns
    }


def changed_values(old: RecordT, new: RecordT, table: sa.Table) -> dict[str, Any]:
    """The columns of ``table`` whose value differs between two versions of a record."""
    columns = _columns(table)
    changed = {}
    for name, _ in _fields(type(new)):
        value = getattr(new, name)
        if name in columns and value != getattr(old, name):
            changed[name] = _stored(value)
    return changed
