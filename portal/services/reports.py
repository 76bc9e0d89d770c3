"""The figures of the reports area: SQL aggregates (GROUP BY in the database), never rows.

Every function takes the session, a Period and the Filters, and returns a Figure: a title, a
table of numbers (the same table feeds the chart, the <details> table and the CSV export) and
how to draw it. Labels are translated here, in the caller's locale; numbers stay numbers so the
page and the CSV can format them each their own way.

Date buckets are local (Asia/Baku) days or months: SQL groups by local day (PostgreSQL with
date_bin to local midnights, SQLite with strftime and the offset) and months are summed from the
days here. Both use the zone's current UTC offset: Azerbaijan has had no daylight saving time
since 2016, so a fixed offset is exact for the portal's data.

Percentiles: PostgreSQL computes percentile_cont in the database. SQLite has no percentile
function: it numbers the durations of each group with a window function (ROW_NUMBER OVER
PARTITION … ORDER BY), which still sorts every duration of the period inside SQLite, but only
the two rows around each percentile come back to Python, which interpolates exactly like
percentile_cont.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.i18n import gettext as _
from portal.models import (
    AssistanceRecord,
    AssistanceRequest,
    Category,
    CloseOutcome,
    DeclineReason,
    PartnerOrganisation,
    Referral,
    ReferralStatus,
    RequestStatus,
    RequestStatusCount,
)
from portal.models import ReportTally as T
from portal.regions import region_name
from portal.services import readmissions
from portal.services import report_tallies as tallies

AR = AssistanceRequest
MAX_PERIOD_DAYS = 3 * 366 + 1  # a custom period of more than three years is refused
DAY_BUCKETS_UP_TO = 45  # periods up to this many days are drawn by day, longer ones by month


class PeriodKind(enum.StrEnum):
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return str(
            {
                "this_month": _l("This month"),
                "last_month": _l("Last month"),
                "quarter": _l("This quarter"),
                "year": _l("This year"),
                "custom": _l("Dates I choose"),
            }[self.value]
        )


@dataclass(frozen=True)
class Period:
    """Local calendar days from `start` to `end`, both included."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def granularity(self) -> str:
        return "day" if self.days <= DAY_BUCKETS_UP_TO else "month"

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as UTC moments."""
        lo = datetime.combine(self.start, time.min, tz).astimezone(UTC)
        hi = datetime.combine(self.end + timedelta(days=1), time.min, tz).astimezone(UTC)
        return lo, hi

    def buckets(self) -> list[date]:
        """The first day of every bucket of the period, in order."""
        out = []
        if self.granularity == "day":
            d = self.start
            while d <= self.end:
                out.append(d)
                d += timedelta(days=1)
            return out
        d = self.start.replace(day=1)
        while d <= self.end:
            out.append(d)
            d = (d + timedelta(days=32)).replace(day=1)
        return out

    def bucket_end(self, first: date) -> date:
        """The last day of the bucket starting `first`, cut to the period."""
        if self.granularity == "day":
            return first
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return min(last, self.end)


def period_of(kind: PeriodKind, today: date, start: date | None = None, end: date | None = None):
    """The dates of a named period (the current one, up to today), or the custom dates."""
    if kind == PeriodKind.THIS_MONTH:
        return Period(kind, today.replace(day=1), today)
    if kind == PeriodKind.LAST_MONTH:
        last = today.replace(day=1) - timedelta(days=1)
        return Period(kind, last.replace(day=1), last)
    if kind == PeriodKind.QUARTER:
        first_month = 3 * ((today.month - 1) // 3) + 1
        return Period(kind, today.replace(month=first_month, day=1), today)
    if kind == PeriodKind.YEAR:
        return Period(kind, today.replace(month=1, day=1), today)
    if start is None or end is None:
        raise ValueError("a custom period needs both dates")
    return Period(kind, start, end)


@dataclass(frozen=True)
class Filters:
    kind: Category | None = None
    region: str | None = None
    partner_id: int | None = None

    def args(self) -> dict[str, str]:
        return {
            k: v
            for k, v in {
                "kind": self.kind.value if self.kind else "",
                "region": self.region or "",
                "partner": str(self.partner_id) if self.partner_id else "",
            }.items()
            if v
        }


# --- what a figure is ------------------------------------------------------------------------


@dataclass
class Column:
    title: str
    kind: str = "text"  # text, int, decimal (1 place), azn, percent, date, month


@dataclass
class Figure:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    chart: str  # "columns" (stacked, over time), "line" (over time), "bars" (horizontal)
    # For a chart: which columns are the labels and which the series.
    label_col: int = 0
    series_cols: list[int] = field(default_factory=list)
    note: str = ""
    value_kind: str = "int"

    @property
    def empty(self) -> bool:
        return not self.rows or all(
            not any(isinstance(v, int | float | Decimal) and v for v in row) for row in self.rows
        )


# --- dialect helpers -------------------------------------------------------------------------


def tune_session(session: Session, work_mem: str | None) -> None:
    """PostgreSQL: more memory for this transaction's sorts and hashes (SET LOCAL, gone at its
    end), so a year's percentiles and groups sort in memory instead of spilling to disk."""
    if work_mem and _dialect(session) == "postgresql":
        session.execute(select(func.set_config("work_mem", work_mem, True)))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _offset_minutes(tz: ZoneInfo) -> int:
    offset = datetime.now(tz).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def _fixed_zone(tz: ZoneInfo) -> timezone:
    return timezone(timedelta(minutes=_offset_minutes(tz)))


def day_expr(session: Session, column, tz: ZoneInfo):
    """The local day of a UTC timestamp column, grouped in SQL; months are summed from days in
    Python (at most a few thousand groups). PostgreSQL: date_bin to local midnights (plain
    arithmetic per row: date_trunc on timezone(zone, column) looks the zone's rules up for
    every row and cost more than the scan itself). SQLite: strftime with the offset."""
    if _dialect(session) == "postgresql":
        origin = datetime(2000, 1, 1, tzinfo=_fixed_zone(tz))
        return func.date_bin(literal(timedelta(days=1)), column, literal(origin))
    return func.strftime("%Y-%m-%d", column, f"{_offset_minutes(tz):+d} minutes")


def bucket_of(value, period: Period, tz: ZoneInfo) -> date:
    """The period's bucket (day, or first day of the month) of a day_expr value."""
    if isinstance(value, datetime):
        day = value.astimezone(_fixed_zone(tz)).date()
    else:
        day = date.fromisoformat(str(value)[:10])
    return day if period.granularity == "day" else day.replace(day=1)


def seconds_between(session: Session, later, earlier):
    """`later - earlier` in seconds, as a number, in SQL."""
    if _dialect(session) == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def percentiles(
    session: Session, value, group, where: list, ps: tuple[float, ...] = (0.5, 0.9)
) -> dict[Any, tuple[int, list[float | None]]]:
    """{group: (count, [percentile_cont(p) of value for p in ps])} over rows where value is set."""
    where = [*where, value.is_not(None)]
    if _dialect(session) == "postgresql":
        cols = [func.percentile_cont(p).within_group(value) for p in ps]
        stmt = select(group, func.count(), *cols).where(*where).group_by(group)
        return {
            g: (n, [float(v) if v is not None else None for v in vals])
            for g, n, *vals in session.execute(stmt)
        }
    # SQLite: number the values per group in the database; fetch only the neighbours of each
    # percentile's position and interpolate here.
    inner = (
        select(
            group.label("g"),
            value.label("v"),
            func.row_number().over(partition_by=group, order_by=value).label("rn"),
            func.count().over(partition_by=group).label("n"),
        )
        .where(*where)
        .subquery()
    )
    wanted = []
    for p in ps:
        lo = func.cast(p * (inner.c.n - 1), _Integer()) + 1
        wanted.extend([inner.c.rn == lo, inner.c.rn == lo + 1])
    rows = session.execute(select(inner.c.g, inner.c.v, inner.c.rn, inner.c.n).where(or_(*wanted)))
    by_group: dict[Any, dict[int, float]] = defaultdict(dict)
    counts: dict[Any, int] = {}
    for g, v, rn, n in rows:
        by_group[g][rn] = float(v)
        counts[g] = n
    out = {}
    for g, values in by_group.items():
        n = counts[g]
        result = []
        for p in ps:
            pos = p * (n - 1)
            lo = int(pos)
            lo_v = values.get(lo + 1)
            hi_v = values.get(lo + 2, lo_v)
            result.append(None if lo_v is None else lo_v + (pos - lo) * (hi_v - lo_v))
        out[g] = (n, result)
    return out


def percentiles_many(
    session: Session, values: list, group, where: list, ps: tuple[float, ...] = (0.5, 0.9)
) -> list[dict[Any, tuple[int, list[float | None]]]]:
    """percentiles() of several values over the same rows: on PostgreSQL in one pass (count and
    percentile_cont skip NULLs, so each value keeps its own rows); on SQLite one query each."""
    if _dialect(session) != "postgresql":
        return [percentiles(session, v, group, where, ps) for v in values]
    from sqlalchemy.dialects.postgresql import array

    cols = []
    for v in values:
        cols.append(func.count(v))
        # One sort per value for all fractions: percentile_cont(ARRAY[0.5, 0.9]).
        cols.append(
            func.percentile_cont(array(list(ps))).within_group(v).label(None)  # type: ignore[arg-type]
        )
    stmt = select(group, *cols).where(*where).group_by(group)
    out: list[dict] = [{} for _ in values]
    for g, *found in session.execute(stmt):
        for i in range(len(values)):
            n, vals = found[2 * i], found[2 * i + 1]
            if n:
                out[i][g] = (n, [float(x) if x is not None else None for x in vals])
    return out


def _Integer():
    from sqlalchemy import Integer

    return Integer()


# --- filters as SQL --------------------------------------------------------------------------


def request_conditions(filters: Filters) -> list:
    where = []
    if filters.kind:
        where.append(AR.category == filters.kind)
    if filters.region:
        where.append(AR.region_code == filters.region)
    if filters.partner_id:
        where.append(
            AR.id.in_(select(Referral.request_id).where(Referral.partner_id == filters.partner_id))
        )
    return where


def _in_period(column, period: Period, tz: ZoneInfo) -> list:
    lo, hi = period.bounds(tz)
    return [column >= lo, column < hi]


def _series_over_time(
    period: Period, counts: dict[tuple[date, Any], int], series: list[Any]
) -> list[list[Any]]:
    rows = []
    for first in period.buckets():
        values = [counts.get((first, s), 0) for s in series]
        rows.append([first, *values, sum(values)])
    return rows


def _bucket_column(period: Period) -> Column:
    return Column(_("Day"), "date") if period.granularity == "day" else Column(_("Month"), "month")


# --- the figures -----------------------------------------------------------------------------

TOP_COUNTRIES = 6


def country_name(code: str | None, locale: str) -> str:
    from babel import Locale

    if not code:
        return _("Not given")
    return Locale.parse(locale).territories.get(code.upper(), code.upper())


def returnee_counts(session, period, filters, tz, memo=None):
    """({(bucket, country): returnees registered}, {region: returnees registered}) of the
    period, shared by the two figures and the headline. Read from the summary (facts "reg"
    and "reg_r" of ReportTally, a row per local day, region and country, and their monthly sums
    in ReportMonthTally, kept in step with every profile by services.report_tallies): a long
    period reads its whole months from the monthly rows and only the days of a partly covered
    month at either end from the daily ones."""

    def compute():
        M = tallies.ReportMonthTally
        region = filters.region or tallies.ALL_REGIONS
        months = tallies._whole_months(period.start, period.end)
        edges = [(period.start, period.end)]
        if period.granularity == "day" or months is None:
            months = None
        else:
            edges = tallies.edge_days(period.start, period.end, months)
        by_country: dict[tuple[date, Any], int] = defaultdict(int)
        by_region: dict[Any, int] = defaultdict(int)
        t_where = [T.fact == tallies.REGISTERED]
        if edges:
            t_where.append(or_(*(and_(T.day >= a, T.day <= b) for a, b in edges)))
        m_where = [M.fact == tallies.REGISTERED, M.step == 0]
        if months is not None:
            m_where += [M.month >= months[0], M.month <= months[1]]
        found = []
        if edges:
            found += session.execute(
                select(T.day, T.label, func.sum(T.n))
                .where(*t_where, T.region_code == region)
                .group_by(T.day, T.label)
            ).all()
        if months is not None:
            found += session.execute(
                select(M.month, M.label, func.sum(M.n))
                .where(*m_where, M.region_code == region)
                .group_by(M.month, M.label)
            ).all()
        for day, country, n in found:
            if n:
                by_country[(bucket_of(day, period, tz), country or None)] += int(n)
        if filters.region:
            total = sum(by_country.values())
            if total:
                by_region[filters.region] = total
            return by_country, by_region
        t_where[0] = T.fact == tallies.REGISTERED_BY_REGION
        m_where[0] = M.fact == tallies.REGISTERED_BY_REGION
        found = []
        if edges:
            found += session.execute(
                select(T.label, func.sum(T.n))
                .where(*t_where, T.region_code == tallies.ALL_REGIONS)
                .group_by(T.label)
            ).all()
        if months is not None:
            found += session.execute(
                select(M.label, func.sum(M.n))
                .where(*m_where, M.region_code == tallies.ALL_REGIONS)
                .group_by(M.label)
            ).all()
        for code, n in found:
            if n:
                by_region[None if code == tallies.NO_REGION else code] += int(n)
        return by_country, by_region

    return _memo(memo, ("returnees", period, filters.region), compute)


def returnees_by_country(session, period, filters, tz, locale, memo=None) -> Figure:
    """Returnees who registered, per bucket and by the country they came back from."""
    counts, _regions = returnee_counts(session, period, filters, tz, memo)
    totals: dict[Any, int] = defaultdict(int)
    for (_b, country), n in counts.items():
        totals[country] += n
    top = sorted((c for c in totals if c), key=lambda c: -totals[c])[:TOP_COUNTRIES]
    others = [c for c in totals if c not in top]
    merged: dict[tuple[date, Any], int] = defaultdict(int)
    for (b, c), n in counts.items():
        merged[(b, c if c in top else "_other")] += n
    series = [*top, "_other"] if others else top
    names = [
        country_name(c, locale) if c != "_other" else _("Other countries or not given")
        for c in series
    ]
    return Figure(
        key="returnees_by_country",
        title=_("Returnees registered, by country they returned from"),
        columns=[
            _bucket_column(period),
            *(Column(n, "int") for n in names),
            Column(_("Total"), "int"),
        ],
        rows=_series_over_time(period, merged, series),
        chart="columns",
        series_cols=list(range(1, len(series) + 1)),
        note=_("The kind of help and partner filters do not apply to registrations."),
    )


def returnees_by_region(session, period, filters, tz, locale, memo=None) -> Figure:
    """Returnees who registered in the period, by region of residence."""
    _counts, regions = returnee_counts(session, period, filters, tz, memo)
    rows = [[region_name(code, locale) or _("Not given"), n] for code, n in regions.items() if n]
    rows.sort(key=lambda r: (-r[1], r[0]))
    return Figure(
        key="returnees_by_region",
        title=_("Returnees registered, by region"),
        columns=[Column(_("Region")), Column(_("Returnees"), "int")],
        rows=rows,
        chart="bars",
        series_cols=[1],
        note=_("The kind of help and partner filters do not apply to registrations."),
    )


# --- the summary table (services/report_tallies.py) ---------------------------------------


def _tallied(filters: Filters) -> bool:
    """The summary table answers every filter but the partner's (a request may go to several
    partners: those figures count from the requests and referrals)."""
    return filters.partner_id is None


def _tally_conditions(session, period: Period, filters: Filters, tz, until_end=False) -> list:
    """The tallies of the filters' region ("" for all) and kind, from the period's first day to
    its last (until_end) or to today, whichever is later (the backlog counts back from now)."""
    last = period.end
    if not until_end and tz is not None:
        last = max(last, tallies.local_day(utcnow(), tallies.offset_of(tz)))
    where = [T.region_code == (filters.region or ""), T.day >= period.start, T.day <= last]
    if filters.kind:
        where.append(T.category == filters.kind.value)
    return where


_CATEGORIES = {c.value: c for c in Category}
_STATUSES = {s.value: s for s in RequestStatus}


def _tally_bucket(session, period: Period):
    """The summary's day, or the first day of its month when the period is drawn by month
    (grouped in SQL: a year is then a few hundred rows, not thousands)."""
    if period.granularity == "day":
        return T.day
    if _dialect(session) == "postgresql":
        return func.date_trunc("month", T.day)
    return func.strftime("%Y-%m-01", T.day)


def _bucket_of_day(value, period: Period) -> date:
    if isinstance(value, datetime):
        value = value.date()
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return day if period.granularity == "day" else day.replace(day=1)


# --- facts several figures share, read once per page -------------------------------------


def _memo(memo: dict | None, key: tuple, compute):
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _until(period: Period, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """From the period's start to its end or now, whichever is later (the backlog counts back
    from now)."""
    lo, hi = period.bounds(tz)
    return lo, max(hi, utcnow())


def created_counts(session, period, filters, tz, memo=None) -> dict[tuple[date, Any, Any], int]:
    """{(bucket, category, status now): requests submitted} from the period's start to now."""

    def compute():
        if _tallied(filters):
            out: dict[tuple[date, Any, Any], int] = defaultdict(int)
            bucket = _tally_bucket(session, period)
            stmt = (
                select(bucket, T.category, T.label, func.sum(T.n))
                .where(T.fact == tallies.CREATED, *_tally_conditions(session, period, filters, tz))
                .group_by(bucket, T.category, T.label)
            )
            for d, c, st, n in session.execute(stmt):
                if n:
                    out[(_bucket_of_day(d, period), _CATEGORIES[c], _STATUSES[st])] += n
            return out
        lo, until = _until(period, tz)
        bucket = day_expr(session, AR.created_at, tz)
        stmt = (
            select(bucket, AR.category, AR.status, func.count())
            .where(AR.created_at >= lo, AR.created_at < until, *request_conditions(filters))
            .group_by(bucket, AR.category, AR.status)
        )
        out: dict[tuple[date, Any, Any], int] = defaultdict(int)
        for b, c, st, n in session.execute(stmt):
            out[(bucket_of(b, period, tz), c, st)] += n
        return out

    return _memo(memo, ("created", period, filters), compute)


def closed_counts(session, period, filters, tz, memo=None) -> dict[tuple[date, Any], int]:
    """{(bucket, outcome): requests closed or withdrawn} from the period's start to now."""

    def compute():
        if _tallied(filters):
            out: dict[tuple[date, Any], int] = defaultdict(int)
            bucket = _tally_bucket(session, period)
            stmt = (
                select(bucket, T.label, func.sum(T.n))
                .where(T.fact == tallies.CLOSED, *_tally_conditions(session, period, filters, tz))
                .group_by(bucket, T.label)
            )
            for d, o, n in session.execute(stmt):
                if n:
                    out[(_bucket_of_day(d, period), CloseOutcome(o) if o else None)] += n
            return out
        lo, until = _until(period, tz)
        bucket = day_expr(session, AR.closed_at, tz)
        stmt = (
            select(bucket, AR.close_outcome, func.count())
            .where(AR.closed_at >= lo, AR.closed_at < until, *request_conditions(filters))
            .group_by(bucket, AR.close_outcome)
        )
        out: dict[tuple[date, Any], int] = defaultdict(int)
        for b, o, n in session.execute(stmt):
            out[(bucket_of(b, period, tz), o)] += n
        return out

    return _memo(memo, ("closed", period, filters), compute)


def open_now(session, filters, memo=None) -> int:
    def compute():
        if not (filters.kind or filters.region or filters.partner_id):
            # Unfiltered: the queue's running counts per status (a few rows), not the summary's
            # every day since the first request.
            open_values = [s.value for s in RequestStatus.open_statuses()]
            stmt = select(func.sum(RequestStatusCount.requests)).where(
                RequestStatusCount.status.in_(open_values)
            )
            return int(session.scalar(stmt) or 0)
        if _tallied(filters):
            where = [T.fact == tallies.CREATED, T.region_code == (filters.region or "")]
            if filters.kind:
                where.append(T.category == filters.kind.value)
            open_labels = [s.value for s in RequestStatus.open_statuses()]
            stmt = select(func.sum(T.n)).where(*where, T.label.in_(open_labels))
            return int(session.scalar(stmt) or 0)
        stmt = (
            select(func.count())
            .select_from(AR)
            .where(AR.status.in_(RequestStatus.open_statuses()), *request_conditions(filters))
        )
        return session.scalar(stmt) or 0

    return _memo(memo, ("open", filters), compute)


def _in_buckets(period: Period, first: date) -> bool:
    return (
        period.start.replace(day=1) <= first <= period.end
        if period.granularity == "month"
        else (period.start <= first <= period.end)
    )


def requests_by_kind(session, period, filters, tz, locale, memo=None) -> Figure:
    """Requests submitted, per bucket and kind of help."""
    counts: dict[tuple[date, Any], int] = defaultdict(int)
    for (b, c, _st), n in created_counts(session, period, filters, tz, memo).items():
        counts[(b, c)] += n
    series = [filters.kind] if filters.kind else list(Category)
    return Figure(
        key="requests_by_kind",
        title=_("Requests submitted, by kind of help"),
        columns=[
            _bucket_column(period),
            *(Column(c.label, "int") for c in series),
            Column(_("Total"), "int"),
        ],
        rows=_series_over_time(period, counts, series),
        chart="columns",
        series_cols=list(range(1, len(series) + 1)),
    )


def requests_by_status(session, period, filters, tz, locale, memo=None) -> Figure:
    """Requests submitted in the period, by their status now."""
    counts: dict[Any, int] = defaultdict(int)
    for (b, _c, st), n in created_counts(session, period, filters, tz, memo).items():
        if _in_buckets(period, b):
            counts[st] += n
    rows = [[s.label, counts.get(s, 0)] for s in RequestStatus]
    return Figure(
        key="requests_by_status",
        title=_("Requests submitted in the period, by status now"),
        columns=[Column(_("Status")), Column(_("Requests"), "int")],
        rows=rows,
        chart="bars",
        series_cols=[1],
    )


def open_backlog(session, period, filters, tz, locale, memo=None) -> Figure:
    """Open requests at the end of each bucket, counted back from the open requests now:
    open then = open now - submitted since + closed since. It reads only the requests
    submitted or closed since the period began (and the open ones), never the older history."""
    created: dict[date, int] = defaultdict(int)
    for (b, _c, _st), n in created_counts(session, period, filters, tz, memo).items():
        created[b] += n
    closed: dict[date, int] = defaultdict(int)
    for (b, _o), n in closed_counts(session, period, filters, tz, memo).items():
        closed[b] += n
    open_count = open_now(session, filters, memo)
    buckets = period.buckets()
    later_created = sum(n for b, n in created.items() if b > buckets[-1])
    later_closed = sum(n for b, n in closed.items() if b > buckets[-1])
    rows = []
    for first in reversed(buckets):
        rows.append(
            [
                period.bucket_end(first),
                created.get(first, 0),
                closed.get(first, 0),
                open_count - later_created + later_closed,
            ]
        )
        later_created += created.get(first, 0)
        later_closed += closed.get(first, 0)
    rows.reverse()
    return Figure(
        key="open_backlog",
        title=_("Open requests over time"),
        columns=[
            Column(_("At the end of"), "date"),
            Column(_("Submitted"), "int"),
            Column(_("Closed or withdrawn"), "int"),
            Column(_("Open"), "int"),
        ],
        rows=rows,
        chart="line",
        series_cols=[3],
    )


MILESTONES = (
    ("first_reviewed_at", _l("to first review")),
    ("referred_at", _l("to referral")),
    ("accepted_at", _l("to the partner's acceptance")),
    ("helped_at", _l("to help given")),
)
DAY = 86400.0


def time_to_milestones(session, period, filters, tz, locale) -> Figure:
    """Median and 90th percentile days from submission to each milestone, by kind of help."""
    if _tallied(filters):
        found = tallies.percentiles(
            session,
            list(tallies.MILESTONE_FACTS.values()),
            filters.region or "",
            period.start,
            period.end,
            filters.kind.value if filters.kind else None,
        )
        all_found = [
            {Category(c): v for (f, c), v in found.items() if f == tallies.MILESTONE_FACTS[col]}
            for col, _label in MILESTONES
        ]
    else:
        where = [*_in_period(AR.created_at, period, tz), *request_conditions(filters)]
        values = [
            seconds_between(session, getattr(AR, column), AR.created_at) for column, _ in MILESTONES
        ]
        all_found = percentiles_many(session, values, AR.category, where)
    rows = []
    for (_column, label), found in zip(MILESTONES, all_found, strict=True):
        for category in [filters.kind] if filters.kind else list(Category):
            n, (p50, p90) = found.get(category, (0, [None, None]))
            rows.append(
                [
                    str(label),
                    category.label,
                    n,
                    None if p50 is None else round(p50 / DAY, 1),
                    None if p90 is None else round(p90 / DAY, 1),
                ]
            )
    return Figure(
        key="time_to_milestones",
        title=_("Days from submission, by kind of help"),
        columns=[
            Column(_("Time")),
            Column(_("Kind of help")),
            Column(_("Requests"), "int"),
            Column(_("Median, days"), "decimal"),
            Column(_("90th percentile, days"), "decimal"),
        ],
        rows=rows,
        chart="bars",
        label_col=-1,  # the label is "time, kind"
        series_cols=[3, 4],
        value_kind="decimal",
        note=_("Requests submitted in the period that reached each step."),
    )


WAIT_BUCKETS = ((0, 7), (7, 14), (14, 30), (30, None))


def _wait_label(lo: int, hi: int | None) -> str:
    if hi is None:
        return _("More than %(num)d days", num=lo)
    return _("%(lo)d to %(hi)d days", lo=lo, hi=hi)


def overdue_now(session, period, filters, tz, locale, *, limits: dict, now: datetime) -> Figure:
    """Overdue requests now (the queue's rule), by how long they have waited in that status."""
    # Waited less than `hi` days: entered the status after now - hi days. Compared as
    # timestamps (no arithmetic per row: at 1M requests the count reads tens of thousands).
    bucket = case(
        *[
            (AR.status_changed_at > now - timedelta(days=hi), i)
            for i, (_lo, hi) in enumerate(WAIT_BUCKETS)
            if hi is not None
        ],
        else_=len(WAIT_BUCKETS) - 1,
    )
    cond = or_(*(and_(AR.status == s, AR.status_changed_at < t) for s, t in limits.items()))
    # The same rows, said so that the index on (status, status_changed_at, …) is range-scanned
    # per status instead of read whole.
    ranges = (
        [AR.status.in_(list(limits)), AR.status_changed_at < max(limits.values())] if limits else []
    )
    stmt = (
        select(bucket, AR.status, func.count())
        .where(cond, *ranges, *request_conditions(filters))
        .group_by(bucket, AR.status)
    )
    counts = {(b, s): n for b, s, n in session.execute(stmt)}
    statuses = list(limits)
    rows = []
    for i, (lo, hi) in enumerate(WAIT_BUCKETS):
        values = [counts.get((i, s), 0) for s in statuses]
        rows.append([_wait_label(lo, hi), *values, sum(values)])
    return Figure(
        key="overdue_now",
        title=_("Overdue requests now, by how long they have waited"),
        columns=[
            Column(_("Waiting")),
            *(Column(s.label, "int") for s in statuses),
            Column(_("Total"), "int"),
        ],
        rows=rows,
        chart="bars",
        series_cols=list(range(1, len(statuses) + 1)),
        note=_("Now, whatever the period."),
    )


def _referral_conditions(period, filters, tz) -> list:
    where = _in_period(Referral.created_at, period, tz)
    if filters.partner_id:
        where.append(Referral.partner_id == filters.partner_id)
    if filters.kind or filters.region:
        # EXISTS: each referral of the period looks its request up by key, rather than
        # gathering every request of that kind and region first.
        sub = exists().where(AR.id == Referral.request_id)
        if filters.kind:
            sub = sub.where(AR.category == filters.kind)
        if filters.region:
            sub = sub.where(AR.region_code == filters.region)
        where.append(sub)
    return where


def _partner_names(session, locale, memo=None) -> dict[int, str]:
    """Partner names in the locale (read once per page: three figures name partners)."""
    return _memo(memo, ("partner_names", locale), lambda: {
        p.id: p.name(locale) for p in session.scalars(select(PartnerOrganisation))})  # fmt: skip


def partner_referrals(session, period, filters, tz, locale, memo=None) -> Figure:
    """Per partner: referrals received, accepted, declined, completed; acceptance rate and the
    median days to accept; assistance recorded with its total in AZN."""
    if _tallied(filters):
        found, amounts, medians = _partner_counts(session, period, filters)
        return _partner_figure(session, locale, found, amounts, medians, memo)
    where = _referral_conditions(period, filters, tz)
    accepted = and_(Referral.responded_at.is_not(None), Referral.status != ReferralStatus.DECLINED)
    wait = seconds_between(session, Referral.responded_at, Referral.created_at)
    # The assistance of each referral, summed once, joined to its referral: one pass over the
    # period's referrals gives every column (and on PostgreSQL the median too).
    given = (
        select(AssistanceRecord.referral_id, func.sum(AssistanceRecord.amount_azn).label("azn"))
        .group_by(AssistanceRecord.referral_id)
        .subquery()
    )
    cols = [
        Referral.partner_id,
        func.count(),
        func.sum(case((accepted, 1), else_=0)),
        func.sum(case((Referral.status == ReferralStatus.DECLINED, 1), else_=0)),
        func.sum(case((Referral.status == ReferralStatus.COMPLETED, 1), else_=0)),
        func.sum(given.c.azn),
    ]
    postgres = _dialect(session) == "postgresql"
    if postgres:
        cols.append(func.percentile_cont(0.5).within_group(wait).filter(accepted))
    stmt = (
        select(*cols)
        .select_from(Referral)
        .outerjoin(given, given.c.referral_id == Referral.id)
        .where(*where)
        .group_by(Referral.partner_id)
    )
    found, amounts, medians = {}, {}, {}
    for pid, n, a, d, c, azn, *median in session.execute(stmt):
        found[pid] = (n, a or 0, d or 0, c or 0)
        amounts[pid] = azn
        if median and median[0] is not None:
            medians[pid] = (a, [float(median[0])])
    if not postgres:
        medians = percentiles(session, wait, Referral.partner_id, [*where, accepted], ps=(0.5,))
    return _partner_figure(session, locale, found, amounts, medians, memo)


def _partner_tallies(session, period: Period, filters: Filters, facts) -> dict[tuple, int]:
    """{(fact, label): count} of the summary's partner facts in the period."""
    stmt = (
        select(T.fact, T.label, func.sum(T.n))
        .where(T.fact.in_(facts), *_tally_conditions(session, period, filters, None, True))
        .group_by(T.fact, T.label)
    )
    return {(f, label): int(n) for f, label, n in session.execute(stmt) if n}


def _partner_counts(session, period: Period, filters: Filters):
    """partner_referrals' numbers from the summary (services/report_tallies.py)."""
    facts = [tallies.P_SENT, tallies.P_ACCEPTED, tallies.P_DECLINED, tallies.P_COMPLETED,
             tallies.P_AZN]  # fmt: skip
    counts = _partner_tallies(session, period, filters, facts)
    found: dict[int, tuple[int, int, int, int]] = {}
    amounts: dict[int, Decimal] = {}
    declined: dict[int, int] = defaultdict(int)
    for (fact, label), n in counts.items():
        if fact == tallies.P_DECLINED:
            declined[int(label.split(":", 1)[0])] += n
    for (fact, label), n in counts.items():
        if fact == tallies.P_SENT:
            pid = int(label)
            found[pid] = (
                n,
                counts.get((tallies.P_ACCEPTED, label), 0),
                declined.get(pid, 0),
                counts.get((tallies.P_COMPLETED, label), 0),
            )
            amounts[pid] = Decimal(counts.get((tallies.P_AZN, label), 0)) / 100
    waits = tallies.percentiles(
        session,
        [tallies.P_WAIT],
        filters.region or "",
        period.start,
        period.end,
        filters.kind.value if filters.kind else None,
        ps=(0.5,),
        group="label",
    )
    medians = {int(label): value for (_f, label), value in waits.items()}
    return found, amounts, medians


def _partner_figure(session, locale, found, amounts, medians, memo=None) -> Figure:
    names = _partner_names(session, locale, memo)
    rows = []
    for pid, (n, a, d, c) in found.items():
        answered = a + d
        rate = round(100.0 * a / answered, 1) if answered else None
        median = medians.get(pid, (0, [None]))[1][0]
        rows.append(
            [
                names.get(pid, str(pid)),
                n,
                a,
                d,
                c,
                rate,
                None if median is None else round(median / DAY, 1),
                Decimal(amounts.get(pid) or 0),
            ]
        )
    rows.sort(key=lambda r: (-r[1], r[0]))
    return Figure(
        key="partner_referrals",
        title=_("Referrals by partner"),
        columns=[
            Column(_("Partner")),
            Column(_("Received"), "int"),
            Column(_("Accepted"), "int"),
            Column(_("Declined"), "int"),
            Column(_("Completed"), "int"),
            Column(_("Acceptance rate"), "percent"),
            Column(_("Median days to accept"), "decimal"),
            Column(_("Assistance, AZN"), "azn"),
        ],
        rows=rows,
        chart="bars",
        series_cols=[2, 3],
        note=_("Referrals sent in the period; accepted counts those accepted later cancelled too."),
    )


def decline_reasons(session, period, filters, tz, locale, memo=None) -> Figure:
    """Declined referrals by partner and reason."""
    counts: dict[int, dict] = defaultdict(dict)
    if _tallied(filters):
        for (_f, label), n in _partner_tallies(
            session, period, filters, [tallies.P_DECLINED]
        ).items():
            pid_text, _sep, reason_text = label.partition(":")
            reason = DeclineReason(reason_text) if reason_text else None
            counts[int(pid_text)][reason] = counts[int(pid_text)].get(reason, 0) + n
    else:
        where = [
            *_referral_conditions(period, filters, tz),
            Referral.status == ReferralStatus.DECLINED,
        ]
        stmt = (
            select(Referral.partner_id, Referral.decline_reason, func.count())
            .where(*where)
            .group_by(Referral.partner_id, Referral.decline_reason)
        )
        for pid, reason, n in session.execute(stmt):
            counts[pid][reason] = n
    names = _partner_names(session, locale, memo)
    reasons = list(DeclineReason)
    rows = []
    for pid, by_reason in counts.items():
        values = [by_reason.get(r, 0) for r in reasons]
        rows.append([names.get(pid, str(pid)), *values, sum(by_reason.values())])
    rows.sort(key=lambda r: (-r[-1], r[0]))
    return Figure(
        key="decline_reasons",
        title=_("Declined referrals, by reason"),
        columns=[
            Column(_("Partner")),
            *(Column(r.label, "int") for r in reasons),
            Column(_("Total"), "int"),
        ],
        rows=rows,
        chart="bars",
        series_cols=list(range(1, len(reasons) + 1)),
    )


def assistance_by_kind(session, period, filters, tz, locale, memo=None) -> Figure:
    """Assistance recorded in the period (by its date), by partner and kind, with AZN totals,
    and how much of it the person confirmed they received ("yes" to "did you receive it?")."""
    from portal.models.enums import AssistanceKind, HelpConfirmation

    where = [AssistanceRecord.given_on >= period.start, AssistanceRecord.given_on <= period.end]
    if filters.partner_id:
        where.append(Referral.partner_id == filters.partner_id)
    if filters.kind:
        where.append(AR.category == filters.kind)
    if filters.region:
        where.append(AR.region_code == filters.region)
    # Looked up per record by the request's key (a join would read every request).
    confirmed = (
        exists()
        .where(AR.id == AssistanceRecord.request_id, AR.help_confirmation == HelpConfirmation.YES)
        .correlate(AssistanceRecord)
    )
    stmt = (
        select(
            Referral.partner_id,
            AssistanceRecord.kind,
            func.count(),
            func.sum(case((confirmed, 1), else_=0)),
            func.sum(AssistanceRecord.amount_azn),
            func.sum(case((confirmed, AssistanceRecord.amount_azn), else_=None)),
        )
        .join(Referral, Referral.id == AssistanceRecord.referral_id)
        .where(*where)
        .group_by(Referral.partner_id, AssistanceRecord.kind)
    )
    if filters.kind or filters.region:  # the request is joined only when a filter needs it
        stmt = stmt.join(AR, AR.id == AssistanceRecord.request_id)
    names = _partner_names(session, locale, memo)
    rows = []
    if _tallied(filters):
        found = _assistance_tallies(session, period, filters)
    else:
        found = list(session.execute(stmt))
    for pid, kind, n, n_confirmed, amount, amount_confirmed in found:
        try:
            label = AssistanceKind(kind).label
        except ValueError:
            label = kind
        rows.append(
            [
                names.get(pid, str(pid)),
                label,
                n,
                n_confirmed or 0,
                Decimal(amount or 0),
                Decimal(amount_confirmed or 0),
            ]
        )
    rows.sort(key=lambda r: (r[0], -r[2]))
    return Figure(
        key="assistance_by_kind",
        title=_("Assistance recorded, by partner and kind"),
        columns=[
            Column(_("Partner")),
            Column(_("Assistance")),
            Column(_("Records"), "int"),
            Column(_("Confirmed by the person"), "int"),
            Column(_("Amount, AZN"), "azn"),
            Column(_("Confirmed by the person, AZN"), "azn"),
        ],
        rows=rows,
        chart="bars",
        label_col=-1,
        series_cols=[4, 5],
        value_kind="azn",
        note=_(
            "Confirmed: the person answered that they received the help. Recorded help that "
            "is not confirmed may still be waiting for an answer."
        ),
    )


def _assistance_tallies(session, period: Period, filters: Filters) -> list[tuple]:
    """(partner, kind, records, confirmed, AZN, AZN confirmed) from the summary, by the date
    the help was given."""
    facts = [tallies.H_RECORDS, tallies.H_CONFIRMED, tallies.H_AZN, tallies.H_CONFIRMED_AZN]
    counts = _partner_tallies(session, period, filters, facts)
    out = []
    for (fact, label), n in counts.items():
        if fact != tallies.H_RECORDS:
            continue
        pid_text, _sep, kind = label.partition(":")
        out.append(
            (
                int(pid_text),
                kind,
                n,
                counts.get((tallies.H_CONFIRMED, label), 0),
                Decimal(counts.get((tallies.H_AZN, label), 0)) / 100,
                Decimal(counts.get((tallies.H_CONFIRMED_AZN, label), 0)) / 100,
            )
        )
    return out


def outcomes(session, period, filters, tz, locale, memo=None) -> Figure:
    """Requests closed or withdrawn in the period, by outcome."""
    counts: dict[Any, int] = defaultdict(int)
    for (b, o), n in closed_counts(session, period, filters, tz, memo).items():
        if _in_buckets(period, b):
            counts[o] += n
    rows = [[o.label, counts.get(o, 0)] for o in CloseOutcome]
    if counts.get(None):
        rows.append([_("Not recorded"), counts[None]])
    return Figure(
        key="outcomes",
        title=_("Outcomes of requests closed in the period"),
        columns=[Column(_("Outcome")), Column(_("Requests"), "int")],
        rows=rows,
        chart="bars",
        series_cols=[1],
    )


# --- the readmission path (issue 14), counted by services/readmissions.py ---------------------


def _readmission_filters(period: Period, filters: Filters) -> dict[str, Any]:
    out: dict[str, Any] = {"returned_from": period.start, "returned_until": period.end}
    if filters.region:
        out["region_code"] = filters.region
    return out


def _months(period: Period) -> list[date]:
    out, d = [], period.start.replace(day=1)
    while d <= period.end:
        out.append(d)
        d = (d + timedelta(days=32)).replace(day=1)
    return out


READMISSION_NOTE = _l(
    "People returned in the period, by their date of return; the kind of help and partner "
    "filters do not apply."
)


def readmitted_by_state(session, period, filters, tz, locale, memo=None) -> Figure:
    """Readmitted people (cases not withdrawn) per month of return, by requesting state."""
    found = _memo(memo, ("readmissions", period, filters), lambda: readmissions.funnel(
        session, _readmission_filters(period, filters)))  # fmt: skip
    counts: dict[tuple[date, Any], int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    for month, state, n in found.by_month:
        counts[(date.fromisoformat(f"{month}-01"), state)] += n
        totals[state] += n
    states = sorted(totals, key=lambda c: (-totals[c], c))
    rows = []
    for first in _months(period):
        values = [counts.get((first, st), 0) for st in states]
        rows.append([first, *values, sum(values)])
    return Figure(
        key="readmitted_by_state",
        title=_("Readmitted per month, by requesting state"),
        columns=[
            Column(_("Month"), "month"),
            *(Column(country_name(st, locale), "int") for st in states),
            Column(_("Total"), "int"),
        ],
        rows=rows,
        chart="columns",
        series_cols=list(range(1, len(states) + 1)),
        note=str(READMISSION_NOTE),
    )


def readmission_path(session, period, filters, tz, locale, memo=None) -> Figure:
    """Readmitted, invited, claimed, asked for help and helped, with each stage's share of
    the stage before."""
    found = _memo(memo, ("readmissions", period, filters), lambda: readmissions.funnel(
        session, _readmission_filters(period, filters)))  # fmt: skip
    labels = {
        "readmitted": _("Readmitted"),
        "invited": _("Invited"),
        "claimed": _("Claimed the invitation"),
        "asked": _("Asked for help"),
        "helped": _("Helped"),
    }
    rows = [
        [labels[name], count, None if share is None else round(100.0 * share, 1)]
        for name, count, share in found.stages()
    ]
    return Figure(
        key="readmission_path",
        title=_("From readmission to help"),
        columns=[
            Column(_("Stage")),
            Column(_("People"), "int"),
            Column(_("Of the stage before"), "percent"),
        ],
        rows=rows,
        chart="bars",
        series_cols=[1],
        note=str(READMISSION_NOTE),
    )


FIGURES = {
    "requests_by_kind": requests_by_kind,
    "requests_by_status": requests_by_status,
    "open_backlog": open_backlog,
    "time_to_milestones": time_to_milestones,
    "overdue_now": overdue_now,
    "partner_referrals": partner_referrals,
    "decline_reasons": decline_reasons,
    "assistance_by_kind": assistance_by_kind,
    "outcomes": outcomes,
    "returnees_by_country": returnees_by_country,
    "returnees_by_region": returnees_by_region,
    "readmitted_by_state": readmitted_by_state,
    "readmission_path": readmission_path,
}


@dataclass
class Context:
    """What every figure needs besides the period and filters."""

    tz: ZoneInfo
    locale: str
    limits: dict
    now: datetime
    memo: dict = field(default_factory=dict)  # facts shared by several figures of one page


SHARING = {
    "returnees_by_country",
    "returnees_by_region",
    "partner_referrals",
    "decline_reasons",
    "assistance_by_kind",
    "requests_by_kind",
    "requests_by_status",
    "open_backlog",
    "outcomes",
    "readmitted_by_state",
    "readmission_path",
}


def figure(session: Session, key: str, period: Period, filters: Filters, ctx: Context) -> Figure:
    fn = FIGURES[key]
    extra: dict[str, Any] = {"limits": ctx.limits, "now": ctx.now} if key == "overdue_now" else {}
    if key in SHARING:
        extra["memo"] = ctx.memo
    return fn(session, period, filters, ctx.tz, ctx.locale, **extra)


def all_figures(
    session: Session, period: Period, filters: Filters, ctx: Context, keys: Iterable[str] = FIGURES
) -> list[Figure]:
    return [figure(session, key, period, filters, ctx) for key in keys]


def headline(session: Session, period: Period, filters: Filters, ctx: Context) -> dict[str, int]:
    """The few numbers at the top of the report and of the monthly print (mostly from the
    facts the figures already read)."""
    created = created_counts(session, period, filters, ctx.tz, ctx.memo)
    closed = closed_counts(session, period, filters, ctx.tz, ctx.memo)
    submitted = sum(n for (b, _c, _st), n in created.items() if _in_buckets(period, b))
    closed_n = sum(n for (b, _o), n in closed.items() if _in_buckets(period, b))
    _counts, regions = returnee_counts(session, period, filters, ctx.tz, ctx.memo)
    return {
        "registered": sum(regions.values()),
        "submitted": submitted,
        "closed": closed_n,
        "open_now": open_now(session, filters, ctx.memo),
    }


__all__ = [
    "Column",
    "Context",
    "FIGURES",
    "Figure",
    "Filters",
    "MAX_PERIOD_DAYS",
    "Period",
    "PeriodKind",
    "all_figures",
    "figure",
    "headline",
    "period_of",
]
