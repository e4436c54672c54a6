"""social sign-in: provider flows in progress and external accounts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09 10:00:00.000000

``oauth_states``: one row per provider flow a browser started, keyed by the digest of its
``state``, taken once by the callback. ``external_accounts``: a provider's user linked to
a user, unique per (provider, provider_user_id), the provider's tokens sealed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth_states",
        sa.Column("state_digest", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("nonce_digest", sa.String(length=64), nullable=False),
        sa.Column("code_verifier_sealed", sa.Text(), nullable=False),
        sa.Column("redirect_url", sa.Text(), nullable=True),
        sa.Column("subject_id", sa.String(length=40), nullable=True),
        sa.Column("expire_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_oauth_states_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state_digest", name=op.f("pk_oauth_states")),
    )
    op.create_index("ix_oauth_states_client_id", "oauth_states", ["client_id"])
    op.create_index("ix_oauth_states_expire_at", "oauth_states", ["expire_at"])
    op.create_table(
        "external_accounts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("provider_user_id", sa.String(length=255), nullable=False),
        sa.Column("email_address", sa.String(length=320), nullable=True),
        sa.Column("email_verified", sa.Boolean(), nullable=True),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("username", sa.String(length=255), nullable=True),
        sa.Column("approved_scopes", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("access_token_sealed", sa.Text(), nullable=True),
        sa.Column("refresh_token_sealed", sa.Text(), nullable=True),
        sa.Column("id_token_sealed", sa.Text(), nullable=True),
        sa.Column("access_token_expires_at", sa.BigInteger(), nullable=True),
        sa.Column("public_metadata", sa.JSON(), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_external_accounts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_accounts")),
        sa.UniqueConstraint(
            "provider", "provider_user_id", name="uq_external_accounts_provider_user"
        ),
    )
    op.create_index("ix_external_accounts_user_id", "external_accounts", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_external_accounts_user_id", table_name="external_accounts")
    op.drop_table("external_accounts")
    op.drop_index("ix_oauth_states_expire_at", table_name="oauth_states")
    op.drop_index("ix_oauth_states_client_id", table_name="oauth_states")
    op.drop_table("oauth_states")
