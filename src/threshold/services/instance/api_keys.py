"""The instance's secret keys, as the Backend API checks them."""

from __future__ import annotations

from threshold.core.codes import token_digest
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories import InstanceRepository

__all__ = ["secret_key_is_active"]

_PREFIXES = ("sk_test_", "sk_live_")


async def secret_key_is_active(ctx: ServerContext, key: str) -> bool:
    """Whether ``key`` is one of the instance's secret keys and not revoked (a
    publishable key, or anything else, is not)."""
    if not key.startswith(_PREFIXES) or len(key) > 200:
        return False

    async def work(tx: Tx) -> bool:
        return await InstanceRepository(tx.conn).active_api_key(token_digest(key)) is not None

    return await run_transaction(ctx, work, readonly=True)
