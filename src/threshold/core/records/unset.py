"""``UNSET``: a field a request did not send, told apart from one it sent as null."""

from __future__ import annotations

from enum import Enum
from typing import Final, TypeVar

__all__ = ["UNSET", "Unset", "given"]

ValueT = TypeVar("ValueT")


class Unset(Enum):
    """The type of :data:`UNSET` (an enum of one, so that ``is UNSET`` narrows a type)."""

    UNSET = "unset"

    def __bool__(self) -> bool:
        return False


UNSET: Final = Unset.UNSET


def given(value: ValueT | Unset, default: ValueT) -> ValueT:
    """``value``, or ``default`` when it was not sent."""
    return default if value is UNSET else value
