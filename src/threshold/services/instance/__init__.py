"""The instance: its settings, identity and keys, allow and block lists, JWT templates."""

__all__: list[str] = []
