"""Which images a profile takes: PNG, JPEG, GIF and WebP, told by their first bytes (the
type a browser or an API client declares is never trusted)."""

from __future__ import annotations

__all__ = ["IMAGE_TYPES", "image_type"]

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
"""The content types an uploaded image can have (and is served with)."""


def image_type(data: bytes) -> str | None:
    """The content type of PNG, JPEG, GIF or WebP data, told by its magic bytes; else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
