"""Template tag libraries (``{% load threshold %}``)."""

__all__: list[str] = []
