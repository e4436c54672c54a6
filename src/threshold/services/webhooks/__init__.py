"""Webhooks: events written in the caller's transaction (``emit``), endpoints and their
secrets, and the dispatcher that signs and delivers them (docs/webhooks.md)."""

__all__: list[str] = []
