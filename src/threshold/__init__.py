"""Threshold: self-hosted authentication for Python web apps, wire-compatible with Clerk."""

__all__: list[str] = []
