"""report tallies read index

Issue 11: the reports read the summary table by fact, region and a range of days. With the
milestone minutes counted per request, a month at a million requests is tens of thousands of
rows scattered over the heap; on PostgreSQL this index carries the other columns (INCLUDE), so
a period is read by an index-only scan.

Revision ID: d4f6a8c2e1b7
Revises: b7d2e5a9c1f8
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d4f6a8c2e1b7"
down_revision: str | None = "b7d2e5a9c1f8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_report_tallies_read",
        "report_tallies",
        ["fact", "region_code", "day"],
        unique=False,
        postgresql_include=["category", "label", "minutes", "n"],
    )


def downgrade() -> None:
    op.drop_index("ix_report_tallies_read", table_name="report_tallies")
