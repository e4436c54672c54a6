"""What every table module shares: the one ``MetaData`` (so one migration history
describes the whole schema) and the column types for ids and times."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["ID", "MS", "metadata", "times"]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = sa.String(40)
MS = sa.BigInteger


def times() -> list[sa.Column[int]]:
    return [
        sa.Column("created_at", MS, nullable=False),
        sa.Column("updated_at", MS, nullable=False),
    ]
