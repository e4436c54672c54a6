"""The installed clerk-js scripts on disk, and which installed version a request means.

The layout is ``<root>/@clerk/<package>/<version>/dist/<file>``, several versions side by
side: a browser holding an older ``clerk.browser.js`` keeps fetching that version's
chunks, so an upgrade must not remove them at once.

A request names a version the way Clerk's loaders do: an exact version (``6.40.0``), a
major or major.minor prefix (``6``, ``6.40``; the loaders ask for the major), or
``latest``. A prefix or ``latest`` means the highest installed release (no prerelease)
that matches; a prerelease is served only when asked for exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PACKAGES", "Resolved", "ScriptLibrary", "Version"]

PACKAGES = ("clerk-js", "ui")
"""The ``@clerk/`` packages served: clerk-js itself and the bundle of its components."""

_VERSION = re.compile(r"^(\d{1,4})\.(\d{1,4})\.(\d{1,6})(?:-([0-9A-Za-z.-]{1,64}))?$")
_PREFIX = re.compile(r"^(\d{1,4})(?:\.(\d{1,4}))?$")


@dataclass(frozen=True, slots=True)
class Version:
    """A semantic version, ordered the semver way (a prerelease before its release)."""

    major: int
    minor: int
    patch: int
    prerelease: str = ""

    @classmethod
    def parse(cls, text: str) -> Version | None:
        found = _VERSION.match(text)
        if found is None:
            return None
        major, minor, patch, pre = found.groups()
        return cls(int(major), int(minor), int(patch), pre or "")

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{self.prerelease}" if self.prerelease else core

    def sort_key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        parts = tuple(
            (0, int(p)) if p.isdigit() else (1, p) for p in self.prerelease.split(".") if p
        )
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, parts)


@dataclass(frozen=True, slots=True)
class Resolved:
    """The installed version a request's version names, and where its files are."""

    version: Version
    dist: Path
    exact: bool
    """The request named this very version (its files never change: cache them for long)."""


class ScriptLibrary:
    """The scripts installed under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def package_dir(self, package: str) -> Path:
        return self.root / "@clerk" / package

    def installed(self, package: str) -> list[Version]:
        """The installed versions of ``package``, lowest first."""
        base = self.package_dir(package)
        if package not in PACKAGES or not base.is_dir():
            return []
        found = [
            version
            for entry in base.iterdir()
            if (version := Version.parse(entry.name)) is not None and (entry / "dist").is_dir()
        ]
        return sorted(found, key=Version.sort_key)

    def resolve(self, package: str, requested: str) -> Resolved | None:
        """The installed version ``requested`` names, or None."""
        installed = self.installed(package)
        exact = Version.parse(requested)
        if exact is not None:
            chosen = exact if exact in installed else None
        else:
            chosen = _highest_release(installed, requested)
        if chosen is None:
            return None
        dist = self.package_dir(package) / str(chosen) / "dist"
        return Resolved(version=chosen, dist=dist, exact=exact is not None)


def _highest_release(installed: list[Version], requested: str) -> Version | None:
    if requested == "latest":
        major, minor = None, None
    elif (prefix := _PREFIX.match(requested)) is not None:
        major = int(prefix.group(1))
        minor = int(prefix.group(2)) if prefix.group(2) is not None else None
    else:
        return None
    matching = [
        v
        for v in installed
        if not v.prerelease
        and (major is None or v.major == major)
        and (minor is None or v.minor == minor)
    ]
    return matching[-1] if matching else None
