"""queue activity, status counts, partner load

Issue 12 items 3 and 7: each request's last activity needing the social worker
(activity_at), the "new activity" mark and when the assignee last opened it; a small table of
requests per status; each partner's open, accepted and answered referrals on its row; indexes
for the queue's "Waiting" and region sorts, the new-activity and assignee filters. Existing rows are
filled in from the events and referrals.

Revision ID: 6dca6a7a570a
Revises: 3c6a19395d02
Create Date: 2026-12-01 18:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6dca6a7a570a"
down_revision: str | None = "3c6a19395d02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Event kinds that need the worker when a returnee or a partner (not staff) caused them;
# the same list as portal.services.activity.NEEDS_WORKER, frozen here.
NEEDS_WORKER = (
    "info_given",
    "message_added",
    "referral_returned",
    "referral_update",
    "assistance_recorded",
    "assistance_provided",
    "help_confirmation",
    "reopened",
)
_KINDS = ", ".join(f"'{k}'" for k in NEEDS_WORKER)
_LATEST = (
    "SELECT e.request_id, max(e.created_at) AS at FROM events e "  # noqa: S608 - constants
    "LEFT JOIN users u ON u.id = e.actor_id "
    f"WHERE e.kind IN ({_KINDS}) AND e.request_id IS NOT NULL "
    "AND (u.id IS NULL OR u.role NOT IN ('social_worker', 'admin')) "
    "GROUP BY e.request_id"
)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activity_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("new_activity", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("assignee_seen_at", sa.DateTime(timezone=True), nullable=True)
        )
    if bind.dialect.name == "postgresql":
        op.execute(
            "UPDATE assistance_requests r SET activity_at = greatest(r.created_at, l.at) "  # noqa: S608
            f"FROM ({_LATEST}) l WHERE l.request_id = r.id"
        )
    else:
        op.execute(
            "UPDATE assistance_requests SET activity_at = ("  # noqa: S608
            f"SELECT l.at FROM ({_LATEST}) l WHERE l.request_id = assistance_requests.id)"
        )
    op.execute("UPDATE assistance_requests SET activity_at = created_at WHERE activity_at IS NULL")
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.alter_column(
            "activity_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index(
            "ix_assistance_requests_status_activity", ["status", "activity_at", "id"]
        )
        batch_op.create_index(
            "ix_assistance_requests_status_region", ["status", "region_code", "created_at", "id"]
        )
        batch_op.create_index("ix_assistance_requests_new_activity", ["new_activity", "status"])
        batch_op.create_index(
            "ix_assistance_requests_status_assignee", ["status", "assignee_id", "created_at", "id"]
        )

    op.create_table(
        "request_status_counts",
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requests", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("status", name=op.f("pk_request_status_counts")),
    )
    op.execute(
        "INSERT INTO request_status_counts (status, requests) "
        "SELECT status, count(*) FROM assistance_requests GROUP BY status"
    )

    with op.batch_alter_table("partner_organisations", schema=None) as batch_op:
        for column in ("open_referrals", "accepted_referrals", "answered_referrals"):
            batch_op.add_column(
                sa.Column(column, sa.Integer(), server_default="0", nullable=False)
            )
    for column, statuses in (
        ("open_referrals", "'pending', 'accepted'"),
        ("accepted_referrals", "'accepted', 'completed'"),
        ("answered_referrals", "'accepted', 'completed', 'declined'"),
    ):
        op.execute(
            f"UPDATE partner_organisations SET {column} = ("  # noqa: S608 - constants
            "SELECT count(*) FROM referrals r WHERE r.partner_id = partner_organisations.id "
            f"AND r.status IN ({statuses}))"
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_organisations", schema=None) as batch_op:
        for column in ("answered_referrals", "accepted_referrals", "open_referrals"):
            batch_op.drop_column(column)
    op.drop_table("request_status_counts")
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_assistance_requests_status_assignee")
        batch_op.drop_index("ix_assistance_requests_new_activity")
        batch_op.drop_index("ix_assistance_requests_status_region")
        batch_op.drop_index("ix_assistance_requests_status_activity")
        batch_op.drop_column("assignee_seen_at")
        batch_op.drop_column("new_activity")
        batch_op.drop_column("activity_at")
