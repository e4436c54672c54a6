"""user search index

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000

``GET /v1/users?query=`` matches substrings of ``users.search_text``; a B-tree cannot serve
``LIKE '%word%'``, so each database gets a trigram index:

- PostgreSQL: the ``pg_trgm`` extension (a trusted extension: the database owner may create
  it) and a GIN index on ``search_text``. Downgrade drops the index and leaves the
  extension, which other schemas may use.
- SQLite (3.34 or newer, with FTS5): the contentless FTS5 table ``users_search`` with the
  trigram tokenizer, ``users_search_keys`` (a stable integer per user: the implicit rowid
  of ``users`` may change on VACUUM), three triggers keeping them in step, and a backfill.

Both: the listing index becomes ``(created_at, id)``, the default order with its
tie-breaker. The statements are written out here, not imported from ``tables``, so this
revision keeps meaning what it meant when it was written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SQLITE_CREATE = (
    "CREATE TABLE users_search_keys (id INTEGER PRIMARY KEY, user_id VARCHAR(40) NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE users_search USING fts5(search_text, content='', tokenize='trigram')",
    """CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
  INSERT INTO users_search_keys (user_id) VALUES (new.id);
  INSERT INTO users_search (rowid, search_text) VALUES (last_insert_rowid(), new.search_text);
END""",
    """CREATE TRIGGER users_search_update AFTER UPDATE OF search_text ON users
WHEN old.search_text IS NOT new.search_text BEGIN
  INSERT INTO users_search (users_search, rowid, search_text)
    SELECT 'delete', id, old.search_text FROM users_search_keys WHERE user_id = old.id;
  INSERT INTO users_search (rowid, search_text)
    SELECT id, new.search_text FROM users_search_keys WHERE user_id = new.id;
END""",
    """CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
  INSERT INTO users_search (users_search, rowid, search_text)
    SELECT 'delete', id, old.search_text FROM users_search_keys WHERE user_id = old.id;
  DELETE FROM users_search_keys WHERE user_id = old.id;
END""",
    "INSERT INTO users_search_keys (user_id) SELECT id FROM users ORDER BY created_at, id",
    "INSERT INTO users_search (rowid, search_text) "
    "SELECT k.id, u.search_text FROM users_search_keys k JOIN users u ON u.id = k.user_id",
)
_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS users_search_delete",
    "DROP TRIGGER IF EXISTS users_search_update",
    "DROP TRIGGER IF EXISTS users_search_insert",
    "DROP TABLE IF EXISTS users_search",
    "DROP TABLE IF EXISTS users_search_keys",
)


def _check_sqlite() -> None:
    bind = op.get_bind()
    version = str(bind.exec_driver_sql("SELECT sqlite_version()").scalar_one())
    options = {str(r[0]) for r in bind.exec_driver_sql("PRAGMA compile_options")}
    parts = tuple(int(p) for p in version.split(".")[:2])
    if parts < (3, 34) or "ENABLE_FTS5" not in options:
        raise RuntimeError(
            f"The user search index needs SQLite 3.34 or newer built with FTS5; "
            f"this Python's SQLite is {version}"
            + ("" if "ENABLE_FTS5" in options else " without FTS5")
            + "."
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_users_created_at", table_name="users")
    op.create_index("ix_users_created_at_id", "users", ["created_at", "id"])
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_users_search_text_trgm",
            "users",
            ["search_text"],
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    elif dialect == "sqlite":
        _check_sqlite()
        for statement in _SQLITE_CREATE:
            op.execute(sa.text(statement))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.drop_index("ix_users_search_text_trgm", table_name="users")
    elif dialect == "sqlite":
        for statement in _SQLITE_DROP:
            op.execute(sa.text(statement))
    op.drop_index("ix_users_created_at_id", table_name="users")
    op.create_index("ix_users_created_at", "users", ["created_at"])
