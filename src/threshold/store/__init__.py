"""Persistence: SQLAlchemy 2 (async) tables, repositories and Alembic migrations."""

__all__: list[str] = []
