"""``threshold.server.asgi:app``: the server built from the environment (multi-worker uvicorn)."""

from threshold.server.app import create_app

__all__ = ["app"]

app = create_app()
