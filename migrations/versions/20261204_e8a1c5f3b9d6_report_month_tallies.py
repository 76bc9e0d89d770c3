"""report month tallies

Issue 11: the percentiles of the milestone times read the summary's minutes, about a row per
request, so "this year" at a million requests read over a million rows. The duration facts are
also summed per local month (report_month_tallies: whole minutes, step 1, and whole hours,
step 60), kept in step with report_tallies by services.report_tallies; a long period's first
pass reads the hours of its whole months and the second only the wanted hours. Filled here
from report_tallies. The registrations' index on returnee_profiles (created_at) also carries
the country and region (PostgreSQL INCLUDE), so the returnee figures of a year are read from
the index alone.

Revision ID: e8a1c5f3b9d6
Revises: d4f6a8c2e1b7
Create Date: 2026-12-04 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e8a1c5f3b9d6"
down_revision: str | None = "d4f6a8c2e1b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# portal.services.report_tallies.DURATION_FACTS, frozen here.
DURATION_FACTS = ("review", "referral", "accept", "help", "p_wait")


def upgrade() -> None:
    with op.batch_alter_table("returnee_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_returnee_profiles_created_at")
        batch_op.create_index(
            "ix_returnee_profiles_created_at",
            ["created_at"],
            unique=False,
            postgresql_include=["country_returned_from", "region_code"],
        )
    op.create_table(
        "report_month_tallies",
        sa.Column("fact", sa.String(length=12), nullable=False),
        sa.Column("region_code", sa.String(length=40), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "fact",
            "region_code",
            "step",
            "minutes",
            "month",
            "category",
            "label",
            name=op.f("pk_report_month_tallies"),
        ),
    )
    op.create_index(
        "ix_report_month_tallies_read",
        "report_month_tallies",
        ["fact", "region_code", "step", "month"],
        unique=False,
        postgresql_include=["category", "label", "minutes", "n"],
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        month = "CAST(date_trunc('month', day) AS date)"
    else:
        month = "strftime('%Y-%m-01', day)"
    facts = ", ".join(f"'{f}'" for f in DURATION_FACTS)
    for step in (1, 60):
        minutes = "minutes" if step == 1 else "(minutes / 60) * 60"
        op.execute(
            f"INSERT INTO report_month_tallies "
            f"(fact, region_code, step, minutes, month, category, label, n) "
            f"SELECT fact, region_code, {step}, {minutes}, {month}, category, label, SUM(n) "
            f"FROM report_tallies WHERE fact IN ({facts}) "
            f"GROUP BY fact, region_code, {minutes}, {month}, category, label "
            f"HAVING SUM(n) <> 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("returnee_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_returnee_profiles_created_at")
        batch_op.create_index("ix_returnee_profiles_created_at", ["created_at"], unique=False)
    op.drop_index("ix_report_month_tallies_read", table_name="report_month_tallies")
    op.drop_table("report_month_tallies")
