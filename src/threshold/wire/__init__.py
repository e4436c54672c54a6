"""Clerk's wire format, rendered: pure functions from typed records to Clerk-shaped JSON.

Below the services and the server, above ``core`` only: the server renders its API
answers with them, and the services render webhook payloads (a snapshot taken in the
transaction that changed the record). Nothing here reads the database or mints a token.
"""

__all__: list[str] = []
