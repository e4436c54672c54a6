"""Security events as one JSON object per line on the ``threshold.audit`` logger.

Each event carries UTC time, the event name, and who/where (user, session, IP, user
agent). JSON encoding escapes CR/LF and control characters in user-supplied text, so
a crafted identifier cannot forge a log line. Never pass passwords, codes, tokens,
keys or cookies: only ids and what the user typed as an identifier.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Protocol

__all__ = ["audit"]

log = logging.getLogger("threshold.audit")


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
    log.info(json.dumps(record, ensure_ascii=True, default=str))
