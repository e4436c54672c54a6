"""What every service runs on: the server context, transactions, field checks."""

__all__: list[str] = []
