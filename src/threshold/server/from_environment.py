"""``threshold.server.from_environment:app``: the server as uvicorn workers build it."""

from threshold.server.app import create_app

__all__ = ["app"]

app = create_app()
