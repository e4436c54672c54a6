"""The ``Set-Cookie`` values queued for one request's response.

The rules queue a renewed session cookie; the action helpers queue the per-browser CSRF
cookie and the flash cookie's removal, each at most once, reading back what is already
queued. The middlewares add them all to whatever response goes out.
"""

from __future__ import annotations

__all__ = ["ResponseCookies"]


class ResponseCookies(list[str]):
    """The ``Set-Cookie`` values to send, in order (a list: append to queue one)."""

    __slots__ = ()

    def value(self, name: str) -> str | None:
        """The value the last queued ``Set-Cookie`` of ``name`` gives it, else None."""
        found = None
        for line in self:
            key, _, rest = line.partition("=")
            if key == name:
                found = rest.partition(";")[0]
        return found
