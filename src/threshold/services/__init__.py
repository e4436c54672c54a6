"""What the product does, by concept: sign-up, sign-in and their strategies, sessions,
tokens, the handshake, users, the instance.

Each step runs in one database transaction (``runtime.transaction``) and is called
alike by the hosted pages, the Frontend API and the Backend API. Nothing here knows
HTTP or writes SQL: records come from the store's repositories.
"""

__all__: list[str] = []
