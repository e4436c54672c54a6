"""Social sign-in: flows in progress and the external accounts they link.

``oauth_states`` holds one row per provider flow a browser started: the SHA-256 of the
``state`` and ``nonce`` sent to the provider (never the values), the PKCE code verifier
sealed, and the Client that started it. A callback takes its row once (single use).

``external_accounts`` links a provider's user (``provider``, ``provider_user_id``: unique
together) to a user. The provider's tokens are sealed with AES-GCM (``core/encryption.py``)
under ``THRESHOLD_ENCRYPTION_KEY``, since the server must present them again.
"""

from __future__ import annotations

import sqlalchemy as sa

from threshold.store.tables._common import ID, MS, metadata, times

__all__ = ["external_accounts", "oauth_states"]

oauth_states = sa.Table(
    "oauth_states",
    metadata,
    sa.Column("state_digest", sa.String(64), primary_key=True),
    sa.Column("client_id", ID, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    sa.Column("strategy", sa.String(64), nullable=False),
    sa.Column("nonce_digest", sa.String(64), nullable=False),
    sa.Column("code_verifier_sealed", sa.Text, nullable=False),
    sa.Column("redirect_url", sa.Text),
    sa.Column("subject_id", ID),
    sa.Column("expire_at", MS, nullable=False),
    sa.Column("created_at", MS, nullable=False),
    sa.Index("ix_oauth_states_expire_at", "expire_at"),
    sa.Index("ix_oauth_states_client_id", "client_id"),
)

external_accounts = sa.Table(
    "external_accounts",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("provider_user_id", sa.String(255), nullable=False),
    sa.Column("email_address", sa.String(320)),
    sa.Column("email_verified", sa.Boolean),
    sa.Column("first_name", sa.String(255)),
    sa.Column("last_name", sa.String(255)),
    sa.Column("image_url", sa.Text),
    sa.Column("username", sa.String(255)),
    sa.Column("approved_scopes", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("access_token_sealed", sa.Text),
    sa.Column("refresh_token_sealed", sa.Text),
    sa.Column("id_token_sealed", sa.Text),
    sa.Column("access_token_expires_at", MS),
    sa.Column("public_metadata", sa.JSON, nullable=False),
    sa.Column("label", sa.String(255)),
    *times(),
    sa.UniqueConstraint("provider", "provider_user_id", name="uq_external_accounts_provider_user"),
    sa.Index("ix_external_accounts_user_id", "user_id"),
)
