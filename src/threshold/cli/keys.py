"""``threshold keys show | rotate``."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from threshold.cli._common import bootstrap, console, load_settings, print_keys

__all__ = ["keys_app"]

keys_app = typer.Typer(help="Show or rotate the instance's keys.", no_args_is_help=True)


@keys_app.command("show")
def keys_show() -> None:
    """Print the publishable key, the secret key (when known), the JWKS URL and the PEM."""
    settings = load_settings()
    info, secret_key = asyncio.run(bootstrap(settings))
    print_keys(settings, info, secret_key)
    console.print(f"  Backend JWKS    : {settings.public_url}/v1/jwks (Bearer secret key)")
    pem = asyncio.run(_active_pem(settings))
    console.print("  Public key (THRESHOLD_JWT_KEY):")
    console.print(pem, highlight=False)


async def _active_pem(settings: Any) -> str:
    from threshold.core.clock import SystemClock
    from threshold.services.instance.keyring import Keyring
    from threshold.store.db import Database

    db = Database(settings.resolved_database_url)
    try:
        ring = Keyring(db, SystemClock())
        await ring.load()
        return ring.active.public_pem()
    finally:
        await db.dispose()


@keys_app.command("rotate")
def keys_rotate(
    drop_old: Annotated[
        bool, typer.Option(help="Emergency: stop trusting old keys at once.")
    ] = False,
) -> None:
    """Add a new signing key; tokens signed by old keys stay valid until they expire."""
    import logging.config

    from threshold.core.clock import SystemClock
    from threshold.server.logs import log_config
    from threshold.services.instance.keyring import Keyring
    from threshold.store.db import Database

    settings = load_settings()
    logging.config.dictConfig(log_config(access=False))  # the audit event, on stderr

    async def run() -> str:
        db = Database(settings.resolved_database_url)
        try:
            return (await Keyring.rotate(db, SystemClock(), drop_old=drop_old)).kid
        finally:
            await db.dispose()

    kid = asyncio.run(run())
    console.print(
        f"New signing key {kid}"
        + (
            " (old keys dropped)"
            if drop_old
            else " (old keys stay published until their tokens expire)"
        )
    )
