"""The form an action receives: an immutable multidict of strings and uploaded files."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO

__all__ = ["FormData", "UploadedFile", "is_internal_field"]

_INTERNAL_PREFIXES = ("_th_", "csrfmiddlewaretoken")


def is_internal_field(name: str) -> bool:
    """Fields the SDK or the framework adds (CSRF, return path), hidden from actions."""
    return name.startswith(_INTERNAL_PREFIXES)


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file from a multipart form; ``file`` is a (possibly spooled) binary stream."""

    filename: str
    content_type: str
    size: int
    file: IO[bytes]

    def read(self) -> bytes:
        """The whole content."""
        self.file.seek(0)
        return self.file.read()


FieldValue = str | UploadedFile


class FormData(Mapping[str, FieldValue]):
    """Read-only form fields. ``form["name"]`` / ``form.get("name")`` give the first value,
    ``form.getlist("name")`` all of them, in order."""

    __slots__ = ("_first", "_items")

    def __init__(self, items: Iterable[tuple[str, FieldValue]] = ()) -> None:
        self._items: tuple[tuple[str, FieldValue], ...] = tuple(items)
        first: dict[str, FieldValue] = {}
        for key, value in self._items:
            first.setdefault(key, value)
        self._first = first

    def __getitem__(self, key: str) -> FieldValue:
        return self._first[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)

    def __repr__(self) -> str:
        shown = [(k, v if isinstance(v, str) else f"<file {v.filename}>") for k, v in self._items]
        return f"FormData({shown!r})"

    def getlist(self, key: str) -> list[FieldValue]:
        """Every value of ``key``, in order."""
        return [v for k, v in self._items if k == key]

    def multi_items(self) -> list[tuple[str, FieldValue]]:
        """All (name, value) pairs, repeats included."""
        return list(self._items)

    def to_dict(self) -> dict[str, str]:
        """The first text value of each field (files omitted), for logging or JSON."""
        return {k: v for k, v in self._first.items() if isinstance(v, str)}

    def without_internal(self) -> FormData:
        """A copy without the SDK's and the framework's own fields."""
        return FormData((k, v) for k, v in self._items if not is_internal_field(k))

    @classmethod
    def from_mapping(cls, data: Mapping[str, FieldValue]) -> FormData:
        """From a plain dict (tests, programmatic calls)."""
        return cls(data.items())
