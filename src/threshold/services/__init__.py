"""Flows: sign-up, sign-in, verification, sessions, tokens, handshake.

Each flow runs in one database transaction and is called alike by the hosted pages,
the Frontend API and the Backend API. Nothing here knows HTTP.
"""

__all__: list[str] = []
