"""timeline events without views

Issue 12, item 7: a request's timeline reads its events other than views of personal data
through a partial index, so that the request page does not read every view ever recorded
of the request (a thousand views: a thousand rows read to show ten).

Revision ID: f1a7c3e9b5d2
Revises: e3b9a6d1c7f4
Create Date: 2026-12-02 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1a7c3e9b5d2"
down_revision: str | None = "e3b9a6d1c7f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same words as portal.models.event.CHANGES_ONLY, frozen here.
CHANGES_ONLY = "kind NOT LIKE 'viewed/_%' ESCAPE '/'"


def upgrade() -> None:
    op.create_index(
        "ix_events_request_changes",
        "events",
        ["request_id", "created_at", "id"],
        postgresql_where=sa.text(CHANGES_ONLY),
        sqlite_where=sa.text(CHANGES_ONLY),
    )


def downgrade() -> None:
    op.drop_index("ix_events_request_changes", table_name="events")
