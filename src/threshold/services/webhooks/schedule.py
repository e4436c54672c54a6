"""When a failed delivery is tried again: Svix's schedule.

The first attempt is made at once; after each failure the next one waits, in turn, 5
seconds, 5 minutes, 30 minutes, 2 hours, 5 hours, 10 hours and 10 hours. After the
eighth failed attempt the delivery is given up (``failed``), about 28 hours after the
event. An endpoint whose attempts have all failed for five days is disabled.
"""

from __future__ import annotations

__all__ = ["DISABLE_AFTER_MS", "RETRY_DELAYS", "delay_after"]

RETRY_DELAYS: tuple[int, ...] = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
"""Seconds to wait after the 1st, 2nd, ... 7th failed attempt."""

DISABLE_AFTER_MS = 5 * 24 * 3600 * 1000
"""An endpoint failing without a success for this long is disabled."""


def delay_after(attempts: int) -> int | None:
    """Seconds until the next attempt after ``attempts`` failed ones; None: give up."""
    if attempts < 1 or attempts > len(RETRY_DELAYS):
        return None
    return RETRY_DELAYS[attempts - 1]
