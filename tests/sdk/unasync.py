"""Generate ``threshold/sdk/client/_sync.py`` from ``_async.py`` (run this file to update)."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["ASYNC_PATH", "SYNC_PATH", "unasync"]

CLIENT_DIR = Path(__file__).resolve().parents[2] / "src" / "threshold" / "sdk" / "client"
ASYNC_PATH = CLIENT_DIR / "_async.py"
SYNC_PATH = CLIENT_DIR / "_sync.py"

_RULES = [
    (
        r'^"""The async Backend API client\..*?"""',
        '"""The sync Backend API client, generated from ``_async.py``: do not edit."""',
    ),
    (r"\basync def\b", "def"),
    (r"\bawait ", ""),
    (r"\baclose\(\)", "close()"),
    (r"__aenter__", "__enter__"),
    (r"__aexit__", "__exit__"),
    (r"\bAsync([A-Z]\w*)", r"\1"),
]


def unasync(source: str) -> str:
    """The sync twin of the async client source."""
    for pattern, replacement in _RULES:
        source = re.sub(pattern, replacement, source, flags=re.DOTALL | re.MULTILINE)
    return source


if __name__ == "__main__":
    SYNC_PATH.write_text(unasync(ASYNC_PATH.read_text()))
