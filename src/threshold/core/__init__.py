"""Framework-free building blocks: ids, clock, errors, keys, JWTs, passwords, codes.

Nothing in this package imports a web framework, SQLAlchemy or an HTTP client; the
server, the store and the SDK all stand on it.
"""

__all__: list[str] = []
