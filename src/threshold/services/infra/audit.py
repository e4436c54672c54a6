"""Security events as one JSON object per line on the ``threshold.audit`` logger.

Each event carries UTC time, the event name, who and where (user, session, IP, user
agent) and the request's id, which the access log line and any error body
(``clerk_trace_id``) of the same request carry too. JSON encoding escapes CR/LF and
control characters in user-supplied text, so a crafted identifier cannot forge a log
line. Never pass passwords, codes, tokens, keys or cookies: only ids and what the user
typed as an identifier.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Protocol

__all__ = ["audit", "new_request_id", "request_id"]

log = logging.getLogger("threshold.audit")

request_id: ContextVar[str | None] = ContextVar("threshold_request_id", default=None)
"""The id of the request being served (set by the server around each request)."""

_PROCESS = secrets.token_hex(8)
_COUNT = itertools.count(1)


def new_request_id() -> str:
    """A request id: 32 hex characters, like a Clerk trace id, unique across processes
    (a random per-process half and a counter) without a system call per request."""
    return f"{_PROCESS}{next(_COUNT):016x}"


class _Requester(Protocol):
    ip: str | None
    user_agent: str | None


def audit(event: str, *, by: _Requester | None = None, **fields: Any) -> None:
    """Record one security event (sign-in, lockout, code sent, reset, sign-out...);
    ``by`` (the request's client state) adds its IP address and user agent."""
    if not log.isEnabledFor(logging.INFO):
        return
    if by is not None:
        fields = {**fields, "ip": by.ip, "user_agent": by.user_agent}
    record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event}
    record.update({k: v for k, v in fields.items() if v is not None})
    if (current := request_id.get()) is not None:
        record["request_id"] = current
    log.info(json.dumps(record, ensure_ascii=True, default=str))
