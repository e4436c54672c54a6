"""The ``threshold`` command: dev, serve, migrate, keys, webhooks, clerk-js."""

from __future__ import annotations

import typer

from threshold.cli.clerk_js import clerk_js_app
from threshold.cli.keys import keys_app
from threshold.cli.server import dev, migrate, serve
from threshold.cli.webhooks import webhooks_app

__all__ = ["app", "main"]

app = typer.Typer(
    help="Threshold: self-hosted authentication for Python web apps.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(migrate)
app.command()(serve)
app.command()(dev)
app.add_typer(keys_app, name="keys")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(clerk_js_app, name="clerk-js")


def main() -> None:
    """Entry point of the ``threshold`` script."""
    app()
