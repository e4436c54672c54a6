"""Runnable examples of the reference scenario (FastAPI, Flask, Django)."""

__all__: list[str] = []
