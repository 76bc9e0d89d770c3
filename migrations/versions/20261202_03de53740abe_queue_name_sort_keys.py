"""queue name sort keys

Issue 12 item 3: the queue sorts by "Returnee" and "Assigned to" through an index. Each request
carries its owner's and its assignee's name as portal.names.sort_key spells it ("" for nobody),
with an index (status, key, created_at, id) for each. Existing requests are filled in batches:
the users' keys (computed in Python) go into a helper table, then every range of request ids
takes its keys from it in one UPDATE with correlated subqueries (the same SQL on SQLite and
PostgreSQL), and the indexes are built last.

Revision ID: 03de53740abe
Revises: 8dffdb8beaae
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portal.names import sort_key

revision: str = "03de53740abe"
down_revision: str | None = "8dffdb8beaae"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USERS_BATCH = 5_000
REQUESTS_BATCH = 50_000
HELPER = "tmp_user_sort_keys"


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner_sort_key", sa.String(length=120), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "assignee_sort_key", sa.String(length=120), server_default="", nullable=False
            )
        )

    helper = op.create_table(
        HELPER,
        sa.Column("user_id", sa.Integer(), primary_key=True),
        sa.Column("sort_key", sa.String(length=120), nullable=False),
    )
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("full_name", sa.String))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(users.c.id, users.c.full_name)
            .where(users.c.id > last)
            .order_by(users.c.id)
            .limit(USERS_BATCH)
        ).all()
        if not rows:
            break
        keys = [{"user_id": uid, "sort_key": sort_key(name)} for uid, name in rows]
        keys = [k for k in keys if k["sort_key"]]
        if keys:
            bind.execute(helper.insert(), keys)
        last = rows[-1][0]

    requests = sa.table(
        "assistance_requests",
        sa.column("id", sa.Integer),
        sa.column("owner_id", sa.Integer),
        sa.column("assignee_id", sa.Integer),
        sa.column("owner_sort_key", sa.String),
        sa.column("assignee_sort_key", sa.String),
    )

    def key_of(column):
        found = sa.select(helper.c.sort_key).where(helper.c.user_id == column).scalar_subquery()
        return sa.func.coalesce(found, "")

    top = bind.scalar(sa.select(sa.func.max(requests.c.id))) or 0
    for low in range(0, top + 1, REQUESTS_BATCH):
        bind.execute(
            requests.update()
            .where(requests.c.id >= low, requests.c.id < low + REQUESTS_BATCH)
            .values(
                owner_sort_key=key_of(requests.c.owner_id),
                assignee_sort_key=key_of(requests.c.assignee_id),
            )
        )
    op.drop_table(HELPER)

    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assistance_requests_status_owner_sort",
            ["status", "owner_sort_key", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_assistance_requests_status_assignee_sort",
            ["status", "assignee_sort_key", "created_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_assistance_requests_status_assignee_sort")
        batch_op.drop_index("ix_assistance_requests_status_owner_sort")
        batch_op.drop_column("assignee_sort_key")
        batch_op.drop_column("owner_sort_key")
