"""name search key and phone tail

A folded search key of every user's name (portal.names.name_key) with a trigram index on
PostgreSQL (the pg_trgm extension is created here) and a plain index on SQLite, and the reversed
digits of the phone for tail search. Existing users are filled in.

Revision ID: 5218fe5da03c
Revises: bde02ec27fd0
Create Date: 2026-11-30 15:35:11.089482
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portal.names import name_key, phone_tail_key

revision: str = "5218fe5da03c"
down_revision: str | None = "bde02ec27fd0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRGM = {"postgresql_using": "gin", "postgresql_ops": {"name_key": "gin_trgm_ops"}}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=240), nullable=True))
        batch_op.add_column(sa.Column("phone_tail", sa.String(length=20), nullable=True))
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("full_name", sa.String),
        sa.column("phone", sa.String),
        sa.column("name_key", sa.String),
        sa.column("phone_tail", sa.String),
    )
    rows = bind.execute(sa.select(users.c.id, users.c.full_name, users.c.phone)).all()
    for user_id, full_name, phone in rows:
        bind.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(
                name_key=name_key(full_name)[:240] or None, phone_tail=phone_tail_key(phone)
            )
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_name_key_trgm", ["name_key"], unique=False, **TRGM)
        batch_op.create_index("ix_users_phone_tail", ["phone_tail"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_phone_tail")
        batch_op.drop_index("ix_users_name_key_trgm", **TRGM)
        batch_op.drop_column("phone_tail")
        batch_op.drop_column("name_key")
