"""new activity in queue order

Issue 12, item 7: the queue's "new activity" filter reads, for each status, only the requests
with new activity, in the queue's default order (new_activity, status, created_at, id); the
index on (new_activity, status) alone made it read every request of a status to find the few
marked, more of them the bigger the table.

Revision ID: e3b9a6d1c7f4
Revises: 47c65acb6292
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e3b9a6d1c7f4"
down_revision: str | None = "47c65acb6292"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assistance_requests_new_activity_created",
            ["new_activity", "status", "created_at", "id"],
        )
        batch_op.drop_index("ix_assistance_requests_new_activity")


def downgrade() -> None:
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.create_index("ix_assistance_requests_new_activity", ["new_activity", "status"])
        batch_op.drop_index("ix_assistance_requests_new_activity_created")
