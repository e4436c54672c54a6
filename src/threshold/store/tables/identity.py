"""Table definitions. Times are integer milliseconds since the epoch (Clerk's unit).

Every table the product uses is defined here, so one migration history describes the
whole schema. Secrets (client tokens, API keys, codes, tickets) are stored as digests.

The user search (``GET /v1/users?query=``, a substring match on ``users.search_text``) has
an index of its own on each database, since a B-tree cannot serve ``LIKE '%word%'``:

- PostgreSQL: a ``pg_trgm`` GIN index on ``search_text``; plain ``LIKE`` uses it.
- SQLite: the FTS5 table ``users_search`` (trigram tokenizer, contentless) kept in step with
  ``users`` by triggers. Its rowids come from ``users_search_keys``, an INTEGER PRIMARY KEY
  per user, because the implicit rowid of ``users`` may change on ``VACUUM``. Words of
  three or more characters are matched in ``users_search``; shorter words (which a trigram
  index cannot hold), and common words on a page in created_at order, with ``LIKE``
  (see ``repositories.admin.user_where``).

Migration 0002 creates the same objects; ``metadata.create_all`` creates them through the
DDL events at the end of this module. A migration that rebuilds ``users`` on SQLite (batch
mode) drops the triggers and must create them again.
"""

from __future__ import annotations

import sqlalchemy as sa

from threshold.store.tables._common import ID, MS, metadata, times

__all__ = [
    "allowlist_identifiers",
    "api_keys",
    "blocklist_identifiers",
    "clients",
    "email_addresses",
    "handshake_nonces",
    "images",
    "instance",
    "invitations",
    "jwt_templates",
    "rate_limits",
    "sessions",
    "sign_in_tokens",
    "sign_ins",
    "sign_ups",
    "signing_keys",
    "users",
    "users_search",
    "users_search_keys",
    "verifications",
]


instance = sa.Table(
    "instance",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("environment", sa.String(16), nullable=False),
    sa.Column("publishable_key", sa.String(200), nullable=False),
    sa.Column("hmac_secret", sa.String(128), nullable=False),
    *times(),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(24), nullable=False),
    sa.Column("revoked_at", MS),
    *times(),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", ID, primary_key=True),
    sa.Column("private_pem", sa.Text, nullable=False),
    sa.Column("retired_at", MS),
    *times(),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("external_id", sa.String(255), index=True),
    sa.Column("username", sa.String(255), unique=True),
    sa.Column("first_name", sa.String(255)),
    sa.Column("last_name", sa.String(255)),
    sa.Column("password_digest", sa.Text),
    sa.Column("password_updated_at", MS),
    sa.Column("primary_email_address_id", ID),
    sa.Column("image_id", ID),
    sa.Column("public_metadata", sa.JSON, nullable=False),
    sa.Column("private_metadata", sa.JSON, nullable=False),
    sa.Column("unsafe_metadata", sa.JSON, nullable=False),
    sa.Column("banned", sa.Boolean, nullable=False, default=False),
    sa.Column("locked_until", MS),
    sa.Column("failed_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_sign_in_at", MS),
    sa.Column("last_active_at", MS),
    sa.Column("search_text", sa.Text, nullable=False, default=""),
    *times(),
    # (created_at, id) is the default listing order with its tie-breaker, in one index.
    sa.Index("ix_users_created_at_id", "created_at", "id"),
    sa.Index(
        "ix_users_search_text_trgm",
        "search_text",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql"),
)

# SQLite only (see the module docstring); queried through these two lightweight tables.
users_search = sa.table("users_search", sa.column("rowid"), sa.column("search_text"))
users_search_keys = sa.table("users_search_keys", sa.column("id"), sa.column("user_id"))

_SQLITE_SEARCH_CREATE = (
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
)

email_addresses = sa.Table(
    "email_addresses",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("email_address", sa.String(320), nullable=False, unique=True),
    sa.Column("verified", sa.Boolean, nullable=False),
    sa.Column("verification_strategy", sa.String(32), nullable=False),
    *times(),
    sa.Index("ix_email_addresses_user_id", "user_id"),
)

images = sa.Table(
    "images",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("content_type", sa.String(64), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    *times(),
)

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("token_digest", sa.String(64), nullable=False, unique=True),
    sa.Column("last_active_session_id", ID),
    sa.Column("sign_in_id", ID),
    sa.Column("sign_up_id", ID),
    sa.Column("ended", sa.Boolean, nullable=False, default=False),
    *times(),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("client_id", ID, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("last_active_at", MS, nullable=False),
    sa.Column("expire_at", MS, nullable=False),
    sa.Column("abandon_at", MS, nullable=False),
    sa.Column("factor_verified_at", MS, nullable=False),
    sa.Column("user_agent", sa.String(512)),
    sa.Column("ip_address", sa.String(64)),
    sa.Column("actor", sa.JSON),
    *times(),
    sa.Index("ix_sessions_user_id", "user_id"),
    sa.Index("ix_sessions_client_id", "client_id"),
)

sign_ins = sa.Table(
    "sign_ins",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("client_id", ID, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    sa.Column("identifier", sa.String(320)),
    sa.Column("user_id", ID),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("strategy", sa.String(32)),
    sa.Column("email_address_id", ID),
    sa.Column("created_session_id", ID),
    sa.Column("abandon_at", MS, nullable=False),
    sa.Column("second_factor_strategy", sa.String(32)),
    *times(),
)

sign_ups = sa.Table(
    "sign_ups",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("client_id", ID, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    sa.Column("email_address", sa.String(320)),
    sa.Column("email_verified", sa.Boolean, nullable=False, default=False),
    sa.Column("first_name", sa.String(255)),
    sa.Column("last_name", sa.String(255)),
    sa.Column("username", sa.String(255)),
    sa.Column("password_digest", sa.Text),
    sa.Column("unsafe_metadata", sa.JSON, nullable=False),
    sa.Column("invitation_id", ID),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("created_user_id", ID),
    sa.Column("created_session_id", ID),
    sa.Column("abandon_at", MS, nullable=False),
    *times(),
)

verifications = sa.Table(
    "verifications",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("subject_id", ID, nullable=False),
    sa.Column("target", sa.String(320), nullable=False),
    sa.Column("code_digest", sa.String(64), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("expire_at", MS, nullable=False),
    *times(),
    sa.Index("ix_verifications_subject", "subject_id", "purpose"),
)

handshake_nonces = sa.Table(
    "handshake_nonces",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("directives", sa.JSON, nullable=False),
    sa.Column("expire_at", MS, nullable=False),
    sa.Column("created_at", MS, nullable=False),
)

rate_limits = sa.Table(
    "rate_limits",
    metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("window_start", MS, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
)

jwt_templates = sa.Table(
    "jwt_templates",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("claims", sa.JSON, nullable=False),
    sa.Column("lifetime", sa.Integer, nullable=False),
    sa.Column("allowed_clock_skew", sa.Integer, nullable=False),
    *times(),
)

invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("email_address", sa.String(320), nullable=False),
    sa.Column("public_metadata", sa.JSON, nullable=False),
    sa.Column("redirect_url", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("ticket_digest", sa.String(64), nullable=False, unique=True),
    sa.Column("expires_at", MS),
    *times(),
)

sign_in_tokens = sa.Table(
    "sign_in_tokens",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("ticket_digest", sa.String(64), nullable=False, unique=True),
    sa.Column("expires_at", MS, nullable=False),
    *times(),
)

allowlist_identifiers = sa.Table(
    "allowlist_identifiers",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("identifier", sa.String(320), nullable=False, unique=True),
    sa.Column("identifier_type", sa.String(32), nullable=False),
    sa.Column("invitation_id", ID),
    *times(),
)

blocklist_identifiers = sa.Table(
    "blocklist_identifiers",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("identifier", sa.String(320), nullable=False, unique=True),
    sa.Column("identifier_type", sa.String(32), nullable=False),
    *times(),
)


def _ddl(statement: str, dialect: str) -> sa.ExecutableDDLElement:
    return sa.DDL(statement).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]


# metadata.create_all builds what migration 0002 builds (a test compares the two).
sa.event.listen(
    metadata, "before_create", _ddl("CREATE EXTENSION IF NOT EXISTS pg_trgm", "postgresql")
)
for _statement in _SQLITE_SEARCH_CREATE:
    sa.event.listen(users, "after_create", _ddl(_statement, "sqlite"))
for _statement in ("DROP TABLE IF EXISTS users_search", "DROP TABLE IF EXISTS users_search_keys"):
    sa.event.listen(users, "after_drop", _ddl(_statement, "sqlite"))
