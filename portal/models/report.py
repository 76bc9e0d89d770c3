from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class ReportTally(Base):
    """Pre-counted facts for the reports area, kept in step by services.report_tallies.

    Partner facts ("p_…" per referral, "h_…" per assistance record) carry the partner (and the
    decline reason or kind of assistance) in `label`; amounts in AZN are counted in qəpik.

    One row counts the requests that share a fact ("created": submitted that local day and in
    that status now; "closed": closed that local day with that outcome; a milestone such as
    "review": submitted that day and reached the milestone after that many minutes), by kind of
    help and region. Each fact is counted twice: once under its region and once under the
    region "" (all regions), so an unfiltered report reads a few thousand rows for a year
    (but the milestone minutes, with real durations, are about a row per request).
    """

    __tablename__ = "report_tallies"
    # Every read of the reports is by fact, region and a range of days: on PostgreSQL this
    # index holds the other columns too, so a period is read from the index alone (a few
    # dozen pages for a month, not a heap page per row).
    __table_args__ = (
        Index(
            "ix_report_tallies_read",
            "fact",
            "region_code",
            "day",
            postgresql_include=["category", "label", "minutes", "n"],
        ),
    )

    fact: Mapped[str] = mapped_column(String(12), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    label: Mapped[str] = mapped_column(String(60), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<ReportTally {self.fact} {self.day} {self.n}>"


class ReportMonthTally(Base):
    """The duration facts of ReportTally (the milestone minutes and the partners' minutes to
    accept) summed per local month, kept in step with it (services.report_tallies): `step` 1
    rows count each whole minute, `step` 60 rows each whole hour (`minutes` is then the hour's
    first minute). The percentiles of a long period read the hours of its whole months (a few
    thousand rows for a year, not a row per request), then only the wanted hours minute by
    minute; the days of a partly covered month come from ReportTally.
    """

    __tablename__ = "report_month_tallies"
    # The primary key finds a fact's minutes in a range (the second pass of the percentiles);
    # on PostgreSQL the read index carries every column for the first pass (index-only scan).
    __table_args__ = (
        Index(
            "ix_report_month_tallies_read",
            "fact",
            "region_code",
            "step",
            "month",
            postgresql_include=["category", "label", "minutes", "n"],
        ),
    )

    fact: Mapped[str] = mapped_column(String(12), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    label: Mapped[str] = mapped_column(String(60), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<ReportMonthTally {self.fact} {self.month} {self.minutes}/{self.step} {self.n}>"
