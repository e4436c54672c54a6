"""Clients and sessions: creation, tokens, the handshake, a browser's accounts."""

__all__: list[str] = []
