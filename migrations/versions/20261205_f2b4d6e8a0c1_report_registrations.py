"""report registrations

Issue 11: the returnee figures of the reports (registrations by country returned from and by
region, and the headline's count) scanned every profile of the period, about 146 ms for three
years at a million requests. The registrations are now counted in the summary (fact "reg" of
report_tallies: a row per local day, region and country, under the region and under "" for all
regions, and fact "reg_r": per local day and region alone, the region in label; both summed
per month in report_month_tallies, step 0), kept in step with every profile by
services.report_tallies. Filled here from returnee_profiles.

Revision ID: f2b4d6e8a0c1
Revises: e8a1c5f3b9d6
Create Date: 2026-12-05 03:10:00.000000
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

revision: str = "f2b4d6e8a0c1"
down_revision: str | None = "e8a1c5f3b9d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tables():
    from portal.models import ReportTally
    from portal.models.report import ReportMonthTally

    return ReportTally, ReportMonthTally


def upgrade() -> None:
    from portal.services import report_tallies as tallies

    T, M = _tables()
    session = Session(bind=op.get_bind())
    tz = tallies.zone()
    rows = tallies.registration_rows(session, tz)
    merged: dict[tuple, int] = {}
    for row in rows:
        key = tuple(row[k] for k in tallies.KEY)
        merged[key] = merged.get(key, 0) + row["n"]
    values = [dict(zip(tallies.KEY, k, strict=True), n=n) for k, n in merged.items() if n]
    for i in range(0, len(values), tallies.INSERT_BATCH):
        session.execute(insert(T), values[i : i + tallies.INSERT_BATCH])
    months = tallies.month_rows(values)
    for i in range(0, len(months), tallies.INSERT_BATCH):
        session.execute(insert(M), months[i : i + tallies.INSERT_BATCH])
    session.flush()


def downgrade() -> None:
    T, M = _tables()
    op.execute(delete(T).where(T.fact.in_(("reg", "reg_r"))))
    op.execute(delete(M).where(M.fact.in_(("reg", "reg_r"))))
