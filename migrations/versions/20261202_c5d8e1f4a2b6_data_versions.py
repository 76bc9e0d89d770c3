"""data versions

Issue 12, item 8: a number that grows in the transaction of every change to what the triage
queue shows (services/versions.py), so a queue page kept rendered is shown again only while
nothing it shows has changed.

Revision ID: c5d8e1f4a2b6
Revises: a1c4e7f2b9d3
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5d8e1f4a2b6"
down_revision: str | None = "a1c4e7f2b9d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    op.bulk_insert(table, [{"name": "queue", "n": 0}])


def downgrade() -> None:
    op.drop_table("data_versions")
