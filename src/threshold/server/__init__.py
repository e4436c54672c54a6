"""The identity server: hosted pages, Frontend API, Backend API."""

__all__: list[str] = []
