"""Signing in and up: attempts, their strategies, codes and tickets."""

__all__: list[str] = []
