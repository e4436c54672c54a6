"""sign-in second factor

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 10:00:00.000000

``sign_ins.second_factor_strategy``: the second factor a sign-in is verified by, once
one was chosen (``prepare_second_factor``) or used; the SignIn's
``second_factor_verification`` shows it. Nullable: a sign-in without a second factor
has none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sign_ins", sa.Column("second_factor_strategy", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sign_ins") as batch:
        batch.drop_column("second_factor_strategy")
