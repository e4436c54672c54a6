"""What the commands share: the console, settings from the environment, failing loudly."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

__all__ = [
    "SECRET_FILE",
    "bootstrap",
    "console",
    "fail",
    "load_settings",
    "print_keys",
    "publishable_key",
    "with_context",
]

console = Console()

SECRET_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)


def load_settings(**overrides: Any) -> Any:
    from pydantic import ValidationError as SettingsError

    from threshold.services.instance.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        console.print(f"[red]Invalid settings:[/red] {exc}")
        raise typer.Exit(2) from exc


def fail(message: str) -> NoReturn:
    console.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(1)


def publishable_key(settings: Any) -> str:
    """The key for the Frontend API as configured now: ``pk_test_``/``pk_live_`` by the
    environment, the host (with its port) of the public URL. The instance keeps the key it
    was created with, which a later change of THRESHOLD_PUBLIC_URL leaves stale."""
    from threshold.services.instance.bootstrap import publishable_key_for

    return publishable_key_for(settings.public_url, settings.environment)


def print_keys(settings: Any, info: Any, secret_key: str | None) -> None:
    console.print(f"  Publishable key : [bold]{publishable_key(settings)}[/bold]")
    if "." not in (host := settings.public_url.split("://", 1)[1]):
        console.print(
            f"  [yellow]clerk-js refuses a publishable key for {host}, a host without a dot:"
            " use 127.0.0.1 or a name with a dot in THRESHOLD_PUBLIC_URL.[/yellow]"
        )
    if secret_key:
        console.print(f"  Secret key      : [bold]{secret_key}[/bold]")
    else:
        console.print(
            "  Secret key      : (stored as a digest only; shown once at creation, "
            "or set THRESHOLD_SECRET_KEY)"
        )
    console.print(f"  JWKS            : {settings.public_url}/.well-known/jwks.json")


def with_context(work: Any) -> Any:
    """Run ``work(ctx)`` with the server's context (database, instance), then close it."""
    from threshold.core.errors import ThresholdError
    from threshold.services.runtime.build import build_context

    settings = load_settings()

    async def run() -> Any:
        ctx = await build_context(settings)
        try:
            return await work(ctx)
        finally:
            await ctx.db.dispose()

    try:
        return asyncio.run(run())
    except ThresholdError as exc:
        fail(exc.message)


async def bootstrap(settings: Any) -> tuple[Any, str | None]:
    """Create the instance if needed; return it with the clear secret key when known."""
    from threshold.core.clock import SystemClock
    from threshold.services.instance.bootstrap import ensure_instance
    from threshold.store.db import Database

    db = Database(settings.resolved_database_url)
    try:
        secret = settings.secret_key.get_secret_value() if settings.secret_key else None
        info = await ensure_instance(
            db,
            SystemClock(),
            public_url=settings.public_url,
            environment=settings.environment,
            secret_key=secret,
        )
    finally:
        await db.dispose()
    key_file = Path(settings.data_dir) / SECRET_FILE
    secret_key = info.secret_key
    if info.created and secret_key and settings.is_development:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secret_key + "\n")
        key_file.chmod(0o600)
    if secret_key is None and key_file.exists():
        secret_key = key_file.read_text().strip()
    return info, secret_key
