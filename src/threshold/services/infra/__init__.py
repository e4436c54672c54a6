"""Infrastructure the services use: outgoing mail, rate limits, the audit log."""

__all__: list[str] = []
