"""Which npm registry ``threshold clerk-js install`` asks, read the way npm reads it.

In order: the ``--registry`` option; the ``npm_config_registry`` environment variable
(either case); then the ``.npmrc`` of the working directory and of the home directory,
where a ``@clerk:registry=`` line wins over a ``registry=`` line. Only these plain
``key=value`` lines are read: a value that needs expanding (``${...}``) is skipped, and
nothing else of the files (credentials included) is looked at, so a registry that asks
for credentials is not supported.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

__all__ = ["DEFAULT_REGISTRY", "npm_registry"]

DEFAULT_REGISTRY = "https://registry.npmjs.org"

_KEYS = ("@clerk:registry", "registry")


def npm_registry(explicit: str | None, *, environ: Mapping[str, str], cwd: Path, home: Path) -> str:
    """The registry's base URL, without a trailing slash."""
    if explicit:
        return explicit.rstrip("/")
    for variable in ("npm_config_registry", "NPM_CONFIG_REGISTRY"):
        if _usable(value := environ.get(variable, "")):
            return value.strip().rstrip("/")
    for npmrc in (cwd / ".npmrc", home / ".npmrc"):
        settings = _read(npmrc)
        for key in _KEYS:
            if key in settings:
                return settings[key].rstrip("/")
    return DEFAULT_REGISTRY


def _read(npmrc: Path) -> dict[str, str]:
    """The registry lines of an ``.npmrc``, when it exists."""
    try:
        lines = npmrc.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.strip().partition("=")
        value = value.strip().strip("\"'")
        if sep and key.strip() in _KEYS and _usable(value):
            found.setdefault(key.strip(), value)
    return found


def _usable(value: str) -> bool:
    value = value.strip()
    return value.startswith(("https://", "http://")) and "${" not in value
