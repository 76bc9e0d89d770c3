"""unassigned requests per status

Issue 12, item 7: request_status_counts also keeps how many requests in each status nobody is
assigned to, so the queue's "unassigned" filter reads only the statuses that have any (after
triage, none) instead of reading every request of the others to find none. Filled in from the
requests.

On PostgreSQL, statistics of status and assignee together: the planner otherwise takes the
share of unassigned requests of the whole table (a few percent) for the share among new
requests (all of them), and reads every new request through the wrong index.

Revision ID: a1c4e7f2b9d3
Revises: 8dffdb8beaae
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1c4e7f2b9d3"
down_revision: str | None = "8dffdb8beaae"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("request_status_counts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unassigned", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        "UPDATE request_status_counts SET unassigned = ("
        "SELECT count(*) FROM assistance_requests r "
        "WHERE r.status = request_status_counts.status AND r.assignee_id IS NULL)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE STATISTICS IF NOT EXISTS st_assistance_requests_status_assignee (mcv) "
            "ON status, assignee_id FROM assistance_requests"
        )
        op.execute("ANALYZE assistance_requests")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_assistance_requests_status_assignee")
    with op.batch_alter_table("request_status_counts", schema=None) as batch_op:
        batch_op.drop_column("unassigned")
