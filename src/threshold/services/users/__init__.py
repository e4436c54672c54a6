"""Users: creation, passwords and lockout, profiles, email addresses, administration."""

__all__: list[str] = []
