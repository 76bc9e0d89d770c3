"""The reports' summary table (models.ReportTally): counts kept in step with every request.

`on_submitted` (called by requests.submit_request) and `on_transition` (called by
workflow.apply_transition, the only place a request's status changes) add and move counts in
the same transaction as the change, with one INSERT … ON CONFLICT DO UPDATE each. `rebuild`
recounts everything from the requests (`flask --app portal reports rebuild`), for data loaded in
bulk without the services (the benchmarks) and as a repair.

What is counted (see ReportTally): per local day of submission, kind of help, region and status
now ("created"); per local day of closing and outcome ("closed"); per local day of submission
the minutes from submission to each milestone ("review", "referral", "accept", "help"), to the
nearest minute, from which the reports take exact percentiles of those minutes. Every count is
written under its region and under "" (all regions). The duration facts (those minutes and the
partners' minutes to accept) are also summed per local month, by minute and by whole hour
(ReportMonthTally), in the same statement batch, so a long period's percentiles read a few
thousand rows (`percentiles`).

The local day uses the portal zone's current UTC offset, like the reports' own date buckets
(Azerbaijan has kept one offset all year since 2016).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
)
from sqlalchemy import (
    inspect as sa_inspect,
)
from sqlalchemy.orm import Session

from portal.models import AssistanceRequest, CloseOutcome, ReportTally, RequestStatus
from portal.models.report import ReportMonthTally

AR = AssistanceRequest
T = ReportTally
ALL_REGIONS = ""
CREATED = "created"
CLOSED = "closed"
# Request column of the milestone -> its fact name.
MILESTONE_FACTS = {
    "first_reviewed_at": "review",
    "referred_at": "referral",
    "accepted_at": "accept",
    "helped_at": "help",
}
# Returnees registered (a profile made): per local day of the profile's creation, region of
# residence (NO_REGION when not given) and country returned from (`label`, "" when not given),
# summed per month too (ReportMonthTally, step 0), kept by the flush hook like the partners'.
# The same per region alone, for the figure by region: fact "reg_r", region "" and the region
# (or NO_REGION) in `label`, so a period's days are one range of the read index.
REGISTERED = "reg"
REGISTERED_BY_REGION = "reg_r"
NO_REGION = "-"
COUNT_FACTS = frozenset([REGISTERED, REGISTERED_BY_REGION])
KEY = ("fact", "region_code", "day", "category", "label", "minutes")
MONTH_KEY = ("fact", "region_code", "step", "minutes", "month", "category", "label")
INSERT_BATCH = 5000


def zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or "Asia/Baku")


def offset_of(tz: ZoneInfo) -> timedelta:
    return datetime.now(tz).utcoffset() or timedelta(0)


def local_day(moment: datetime, offset: timedelta) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment.astimezone(UTC) + offset).date()


def whole_minutes(seconds: float) -> int:
    """Seconds to the nearest minute (durations are never negative)."""
    return int(seconds / 60 + 0.5)


def _value(x: Any) -> str:
    return getattr(x, "value", x) or ""


def _rows(fact, region, day, category, label="", minutes=0, n=1) -> list[dict[str, Any]]:
    base = {"fact": fact, "day": day, "category": _value(category), "label": _value(label),
            "minutes": minutes, "n": n}  # fmt: skip
    return [{**base, "region_code": region}, {**base, "region_code": ALL_REGIONS}]


def month_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The monthly summary's rows (ReportMonthTally) of the duration facts among `rows`
    (ReportTally rows): each minute counted under its month as a minute (step 1) and as its
    whole hour (step 60), rows with the same key merged."""
    merged: dict[tuple, int] = defaultdict(int)
    for row in rows:
        if not row["n"]:
            continue
        month = _day_of(row["day"], timedelta(0)).replace(day=1)
        if row["fact"] in COUNT_FACTS:  # a count, not a duration: step 0, minutes 0
            key = (row["fact"], row["region_code"], 0, 0, month, row["category"], row["label"])
            merged[key] += row["n"]
            continue
        if row["fact"] not in DURATION_FACTS:
            continue
        for step in (1, BUCKET):
            key = (row["fact"], row["region_code"], step, row["minutes"] // step * step, month,
                   row["category"], row["label"])  # fmt: skip
            merged[key] += row["n"]
    return [dict(zip(MONTH_KEY, k, strict=True), n=n) for k, n in merged.items() if n]


def _upsert(session: Session, table, key: tuple[str, ...], values, connection=None) -> None:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(table).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key), set_={"n": table.n + stmt.excluded.n}
    )
    # Inside a flush (the partner hook) the statement goes to the connection: no autoflush.
    (connection or session).execute(stmt)


def _bump(session: Session, rows: list[dict[str, Any]], connection=None) -> None:
    """Add each row's n to its tally and the duration facts' to their month's (one statement
    per table; rows with the same key merged first)."""
    merged: dict[tuple, int] = defaultdict(int)
    for row in rows:
        merged[tuple(row[k] for k in KEY)] += row["n"]
    values = [dict(zip(KEY, k, strict=True), n=n) for k, n in merged.items() if n]
    if not values:
        return
    _upsert(session, T, KEY, values, connection)
    months = month_rows(values)
    if months:
        _upsert(session, ReportMonthTally, MONTH_KEY, months, connection)


def on_submitted(session: Session, request: AssistanceRequest) -> None:
    """A new request (status submitted) is counted."""
    day = local_day(request.created_at, offset_of(zone()))
    _bump(session, _rows(CREATED, request.region_code, day, request.category, request.status))


def on_transition(
    session: Session,
    request: AssistanceRequest,
    source: RequestStatus,
    target: RequestStatus,
    milestones: list[str],
    data: dict[str, Any] | None,
) -> None:
    """The request moved from `source` to `target` and reached `milestones` (columns) for the
    first time: move its count to the new status, count its closing and its durations."""
    offset = offset_of(zone())
    region, category = request.region_code, request.category
    day = local_day(request.created_at, offset)
    rows = [
        *_rows(CREATED, region, day, category, source, n=-1),
        *_rows(CREATED, region, day, category, target),
    ]
    if not target.is_open:
        outcome = CloseOutcome.WITHDRAWN if target == RequestStatus.WITHDRAWN else None
        if outcome is None and data and data.get("outcome"):
            outcome = CloseOutcome(data["outcome"])
        closed_day = local_day(request.closed_at or request.status_changed_at, offset)
        rows += _rows(CLOSED, region, closed_day, category, outcome or "")
    for column in milestones:
        seconds = (getattr(request, column) - request.created_at).total_seconds()
        rows += _rows(MILESTONE_FACTS[column], region, day, category,
                      minutes=whole_minutes(seconds))  # fmt: skip
    _bump(session, rows)


# --- recounting everything -------------------------------------------------------------------


def _day_of(value: Any, offset: timedelta) -> date:
    if isinstance(value, datetime):
        return local_day(value, offset)
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _minutes_expr(session: Session, later, earlier):
    from portal.services.reports import seconds_between

    seconds = seconds_between(session, later, earlier)
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(seconds / 60 + 0.5), Integer)
    return cast(seconds / 60.0 + 0.5, Integer)


def rebuild(session: Session, tz: ZoneInfo | None = None) -> int:
    """Recount every tally from the requests (GROUP BY in SQL); returns the rows written.
    The caller commits."""
    from portal.services.reports import day_expr

    tz = tz or zone()
    offset = offset_of(tz)
    session.execute(delete(T))
    # An older migration (the one that made report_tallies) calls this before the monthly
    # summary exists; its own migration fills it then.
    months_kept = sa_inspect(session.connection()).has_table(ReportMonthTally.__tablename__)
    if months_kept:
        session.execute(delete(ReportMonthTally))
    counts: dict[tuple, int] = defaultdict(int)

    def add(fact, region, value, category, label, minutes, n):
        day = _day_of(value, offset)
        for r in (region, ALL_REGIONS):
            counts[(fact, r, day, _value(category), _value(label), minutes)] += n

    created = day_expr(session, AR.created_at, tz)
    for value, category, region, status, n in session.execute(
        select(created, AR.category, AR.region_code, AR.status, func.count()).group_by(
            created, AR.category, AR.region_code, AR.status
        )
    ):
        add(CREATED, region, value, category, status, 0, n)
    closed = day_expr(session, AR.closed_at, tz)
    final = (RequestStatus.CLOSED, RequestStatus.WITHDRAWN)
    # A withdrawn request counts as withdrawn whatever its outcome column says (as on_transition).
    outcome = case((AR.status == RequestStatus.WITHDRAWN, CloseOutcome.WITHDRAWN.value),
                   else_=AR.close_outcome)  # fmt: skip
    for value, category, region, label, n in session.execute(
        select(closed, AR.category, AR.region_code, outcome, func.count())
        .where(AR.status.in_(final), AR.closed_at.is_not(None))
        .group_by(closed, AR.category, AR.region_code, outcome)
    ):
        add(CLOSED, region, value, category, label, 0, n)
    for column, fact in MILESTONE_FACTS.items():
        minutes = _minutes_expr(session, getattr(AR, column), AR.created_at)
        for value, category, region, m, n in session.execute(
            select(created, AR.category, AR.region_code, minutes, func.count())
            .where(getattr(AR, column).is_not(None))
            .group_by(created, AR.category, AR.region_code, minutes)
        ):
            add(fact, region, value, category, "", int(m), n)
    rebuild_partners(session, offset, counts)
    for row in registration_rows(session, tz):
        counts[tuple(row[k] for k in KEY)] += row["n"]
    rows = [dict(zip(KEY, k, strict=True), n=n) for k, n in counts.items() if n]
    for i in range(0, len(rows), INSERT_BATCH):
        session.execute(insert(T), rows[i : i + INSERT_BATCH])
    months = month_rows(rows) if months_kept else []
    for i in range(0, len(months), INSERT_BATCH):
        session.execute(insert(ReportMonthTally), months[i : i + INSERT_BATCH])
    session.flush()
    return len(rows)


def registration_rows(session: Session, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The registration facts of every returnee profile (grouped by local day, region and
    country in SQL), for rebuild and the migration that made them."""
    from portal.models import ReturneeProfile as RP
    from portal.services.reports import day_expr

    offset = offset_of(tz)
    day = day_expr(session, RP.created_at, tz)
    found = session.execute(
        select(day, RP.region_code, RP.country_returned_from, func.count()).group_by(
            day, RP.region_code, RP.country_returned_from
        )
    )
    rows: list[dict[str, Any]] = []
    for value, region, country, n in found:
        rows += profile_facts(_day_of(value, offset), region, country, offset, n)
    return rows


def profile_facts(created, region, country, offset: timedelta, sign: int = 1):
    """The counts one returnee profile (created at a moment or on a local day) adds (sign=1)
    or takes away (sign=-1): by region and country, and by region alone."""
    day = _day_of(created, offset)
    region = region or NO_REGION
    rows = _rows(REGISTERED, region, day, "", country or "", n=sign)
    rows.append({"fact": REGISTERED_BY_REGION, "region_code": ALL_REGIONS, "day": day,
                 "category": "", "label": region, "minutes": 0, "n": sign})  # fmt: skip
    return rows


def on_profiles_deleted(session: Session, where: list) -> None:
    """Returnee profiles about to be deleted in bulk (not through the ORM, so not seen by the
    flush hook) stop being counted."""
    from portal.models import ReturneeProfile as RP

    offset = offset_of(zone())
    rows: list[dict[str, Any]] = []
    found = session.execute(
        select(RP.created_at, RP.region_code, RP.country_returned_from).where(*where)
    )
    for created_at, region, country in found:
        rows += profile_facts(created_at, region, country, offset, sign=-1)
    _bump(session, rows)


# --- reading -----------------------------------------------------------------------------------


BUCKET = 60  # minutes: the coarse pass of percentiles() counts whole hours


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first days of the first and last months that lie wholly in [start, end], if any."""
    first = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    after_end = end + timedelta(days=1)
    last = after_end.replace(day=1) - timedelta(days=1)  # the last month-end within the period
    if last < first:
        return None
    return first, last.replace(day=1)


def edge_days(start: date, end: date, months: tuple[date, date]) -> list[tuple[date, date]]:
    """The day ranges of [start, end] outside its whole months `months` (_whole_months)."""
    last_day = (months[1] + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return [(a, b) for a, b in ((start, months[0] - timedelta(days=1)),
                                (last_day + timedelta(days=1), end)) if a <= b]  # fmt: skip


def percentiles(
    session: Session,
    facts: list[str],
    region: str,
    start: date,
    end: date,
    kind: str | None = None,
    ps: tuple[float, ...] = (0.5, 0.9),
    group: str = "category",
) -> dict[tuple[str, str], tuple[int, list[float | None]]]:
    """{(fact, group value): (count, [percentile_cont(p) of the minutes])} of the duration
    facts of the requests (or referrals) of the local days [start, end], in `region` ("" for
    all) and of one kind of help if given, grouped by `group` ("category" or "label").

    Exactly percentile_cont over the durations in whole minutes, in two passes, both hash
    aggregates (no sort of every duration): the counts per whole hour of duration find the
    hour that holds each value a percentile needs (its position and the next, which
    percentile_cont interpolates between); then only those hours are counted minute by minute.
    The months that lie wholly in the period are read from the monthly summary (ReportMonthTally:
    its hour rows, then its minute rows of the wanted hours, found by the primary key); only
    the days of a partly covered month at either end are read from ReportTally, a row per
    day and minute (about one per request)."""
    M = ReportMonthTally
    months = _whole_months(start, end)
    edges = [(start, end)] if months is None else edge_days(start, end, months)
    t_group, m_group = getattr(T, group), getattr(M, group)
    t_where = [T.fact.in_(facts), T.region_code == region]
    if edges:
        t_where.append(or_(*(and_(T.day >= a, T.day <= b) for a, b in edges)))
    m_where = [M.region_code == region]
    if months is not None:
        m_where += [M.month >= months[0], M.month <= months[1]]
    if kind:
        t_where.append(T.category == kind)
        m_where.append(M.category == kind)
    hour = T.minutes.op("/")(literal_column(str(BUCKET)))  # whole division, written inline

    by_hour: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    if edges:
        coarse = select(T.fact, t_group, hour, func.sum(T.n)).where(*t_where)
        for fact, g, h, n in session.execute(coarse.group_by(T.fact, t_group, hour)):
            by_hour[(fact, g)][int(h)] += int(n or 0)
    if months is not None:
        coarse = select(M.fact, m_group, M.minutes, func.sum(M.n)).where(
            M.fact.in_(facts), M.step == BUCKET, *m_where
        )
        for fact, g, m, n in session.execute(coarse.group_by(M.fact, m_group, M.minutes)):
            by_hour[(fact, g)][int(m) // BUCKET] += int(n or 0)
    # (fact, group) -> total and, per fraction, ((position, hour, rows before the hour) of the
    # value and of the next one, fraction between them)
    plans: dict[tuple[str, str], tuple[int, list]] = {}
    wanted: set[tuple[str, str, int]] = set()
    for key, counted in by_hour.items():
        found = sorted((h, n) for h, n in counted.items() if n)
        total = sum(n for _h, n in found)
        if total <= 0:
            continue
        starts = []
        running = 0
        for _h, n in found:
            starts.append(running)
            running += n
        steps = []
        for p in ps:
            pos = Decimal(str(p)) * (total - 1)
            k = int(pos)
            ends = []
            for kk in (k, min(k + 1, total - 1)):
                i = bisect_right(starts, kk) - 1
                ends.append((kk, found[i][0], starts[i]))
                wanted.add((key[0], key[1], found[i][0]))
            steps.append((ends[0], ends[1], float(pos - k)))
        plans[key] = (total, steps)
    by_minute: dict[tuple[str, str, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    if wanted:
        if edges:
            # One hashed IN of the hours wanted (cheaper per row than a condition per group);
            # the other groups' rows of those hours are dropped here.
            fine = select(T.fact, t_group, T.minutes, func.sum(T.n)).where(
                *t_where, hour.in_(sorted({h for _f, _g, h in wanted}))
            )
            for fact, g, m, n in session.execute(fine.group_by(T.fact, t_group, T.minutes)):
                key = (fact, g, int(m) // BUCKET)
                if key in wanted:
                    by_minute[key][int(m)] += int(n or 0)
        if months is not None:
            # Each wanted hour of a fact is a range of the primary key.
            ranges = sorted({(f, h) for f, _g, h in wanted})
            fine = select(M.fact, m_group, M.minutes, func.sum(M.n)).where(
                M.step == 1,
                *m_where,
                or_(*(and_(M.fact == f, M.minutes >= h * BUCKET, M.minutes < (h + 1) * BUCKET)
                      for f, h in ranges)),
            )  # fmt: skip
            for fact, g, m, n in session.execute(fine.group_by(M.fact, m_group, M.minutes)):
                key = (fact, g, int(m) // BUCKET)
                if key in wanted:
                    by_minute[key][int(m)] += int(n or 0)
    minutes = {k: sorted((m, n) for m, n in found.items() if n) for k, found in by_minute.items()}

    def value_at(key: tuple[str, str], position: int, h: int, before: int) -> int | None:
        offset = position - before
        last = None
        for m, n in minutes.get((key[0], key[1], h), ()):
            last = m
            if offset < n:
                return m
            offset -= n
        return last  # a change committed between the two passes: the hour's last value

    out: dict[tuple[str, str], tuple[int, list[float | None]]] = {}
    for key, (total, steps) in plans.items():
        values: list[float | None] = []
        for (k, h, before), (k2, h2, before2), frac in steps:
            lo_v = value_at(key, k, h, before)
            hi_v = value_at(key, k2, h2, before2)
            if lo_v is None:
                values.append(None)
                continue
            hi_v = lo_v if hi_v is None else hi_v
            values.append(60.0 * (float(lo_v) + frac * (float(hi_v) - float(lo_v))))
        out[key] = (total, values)
    return out


# --- partners: referrals and the assistance recorded on them --------------------------------
#
# A referral's and an assistance record's facts change outside the request's transitions (a
# referral is completed or cancelled after the request moved, help is confirmed without a
# transition), so they are kept by a flush hook: whatever code changes a referral, records
# assistance or records the person's confirmation, the counts move in the same flush.

P_SENT, P_ACCEPTED, P_DECLINED, P_COMPLETED, P_WAIT, P_AZN = (
    "p_sent", "p_acc", "p_dec", "p_done", "p_wait", "p_azn"
)  # fmt: skip
H_RECORDS, H_CONFIRMED, H_AZN, H_CONFIRMED_AZN = "h_n", "h_conf", "h_azn", "h_cazn"
# The facts whose `minutes` are durations, also summed per month (ReportMonthTally).
DURATION_FACTS = frozenset([*MILESTONE_FACTS.values(), P_WAIT])


def _qepik(amount: Any) -> int:
    return int((Decimal(amount) * 100).to_integral_value()) if amount is not None else 0


def referral_facts(created_at, partner_id, status, responded_at, decline_reason, category,
                   region, offset: timedelta, sign: int = 1) -> list[dict[str, Any]]:  # fmt: skip
    """The counts one referral adds (sign=1) or takes away (sign=-1)."""
    from portal.models import ReferralStatus

    day = local_day(created_at, offset)
    pid = str(partner_id)
    status = _value(status)
    rows = _rows(P_SENT, region, day, category, pid, n=sign)
    if responded_at is not None and status != ReferralStatus.DECLINED.value:
        rows += _rows(P_ACCEPTED, region, day, category, pid, n=sign)
        seconds = (responded_at - created_at).total_seconds()
        rows += _rows(P_WAIT, region, day, category, pid, whole_minutes(seconds), n=sign)
    if status == ReferralStatus.DECLINED.value:
        rows += _rows(P_DECLINED, region, day, category, f"{pid}:{_value(decline_reason)}",
                      n=sign)  # fmt: skip
    if status == ReferralStatus.COMPLETED.value:
        rows += _rows(P_COMPLETED, region, day, category, pid, n=sign)
    return rows


def record_facts(referral_created_at, partner_id, kind, given_on, amount, confirmed, category,
                 region, offset: timedelta, sign: int = 1) -> list[dict[str, Any]]:  # fmt: skip
    """The counts one assistance record adds: its amount under its referral's day (the partner
    table), itself under the day it was given, by kind (the assistance figure)."""
    pid = str(partner_id)
    label = f"{pid}:{kind}"
    cents = _qepik(amount)
    rows = _rows(H_RECORDS, region, given_on, category, label, n=sign)
    if cents:
        day = local_day(referral_created_at, offset)
        rows += _rows(P_AZN, region, day, category, pid, n=sign * cents)
        rows += _rows(H_AZN, region, given_on, category, label, n=sign * cents)
    if confirmed:
        rows += _rows(H_CONFIRMED, region, given_on, category, label, n=sign)
        if cents:
            rows += _rows(H_CONFIRMED_AZN, region, given_on, category, label, n=sign * cents)
    return rows


def _before(obj, attr: str):
    """The value of an attribute before this flush's change."""
    from sqlalchemy import inspect

    history = inspect(obj).attrs[attr].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    if history.added and obj.id is not None:
        # Set while expired: the old value is still in the database (the flush has not run).
        from sqlalchemy.orm import object_session

        cls = type(obj)
        stmt = select(getattr(cls, attr)).where(cls.id == obj.id)
        return object_session(obj).connection().execute(stmt).scalar()
    return getattr(obj, attr)


def _changed(obj, *attrs: str) -> bool:
    from sqlalchemy import inspect

    state = inspect(obj)
    return any(state.attrs[a].history.has_changes() for a in attrs)


def partner_changes(session: Session) -> list[dict[str, Any]]:
    """The partner facts moved by what this flush writes."""
    from portal.models import AssistanceRecord, HelpConfirmation, Referral, ReturneeProfile

    offset = offset_of(zone())
    rows: list[dict[str, Any]] = []
    yes = HelpConfirmation.YES
    counted = ("created_at", "region_code", "country_returned_from")

    def request_of(request_id):
        return session.get(AssistanceRequest, request_id)

    def referral_of(referral_id):
        return session.get(Referral, referral_id)

    with session.no_autoflush:
        for obj in list(session.new):
            if isinstance(obj, ReturneeProfile):
                if obj.created_at is None:  # the column default, set now so both agree
                    from portal.db import utcnow

                    obj.created_at = utcnow()
                rows += profile_facts(obj.created_at, obj.region_code,
                                      obj.country_returned_from, offset)  # fmt: skip
            elif isinstance(obj, Referral):
                if obj.created_at is None:  # the column default, set now so both agree
                    from portal.db import utcnow

                    obj.created_at = utcnow()
                req = obj.request if obj.request is not None else request_of(obj.request_id)
                rows += referral_facts(obj.created_at, obj.partner_id, obj.status,
                                       obj.responded_at, obj.decline_reason, req.category,
                                       req.region_code, offset)  # fmt: skip
            elif isinstance(obj, AssistanceRecord):
                ref, req = referral_of(obj.referral_id), request_of(obj.request_id)
                rows += record_facts(ref.created_at, ref.partner_id, obj.kind, obj.given_on,
                                     obj.amount_azn, req.help_confirmation == yes,
                                     req.category, req.region_code, offset)  # fmt: skip
        for obj in list(session.deleted):
            if isinstance(obj, ReturneeProfile):
                rows += profile_facts(*(_before(obj, a) for a in counted), offset, sign=-1)
        for obj in list(session.dirty):
            if isinstance(obj, ReturneeProfile) and _changed(obj, *counted):
                rows += profile_facts(*(_before(obj, a) for a in counted), offset, sign=-1)
                rows += profile_facts(obj.created_at, obj.region_code,
                                      obj.country_returned_from, offset)  # fmt: skip
            elif isinstance(obj, Referral) and _changed(
                obj, "status", "responded_at", "decline_reason"
            ):
                req = obj.request if obj.request is not None else request_of(obj.request_id)
                rows += referral_facts(obj.created_at, obj.partner_id, _before(obj, "status"),
                                       _before(obj, "responded_at"),
                                       _before(obj, "decline_reason"), req.category,
                                       req.region_code, offset, sign=-1)  # fmt: skip
                rows += referral_facts(obj.created_at, obj.partner_id, obj.status,
                                       obj.responded_at, obj.decline_reason, req.category,
                                       req.region_code, offset)  # fmt: skip
            elif isinstance(obj, AssistanceRequest) and _changed(obj, "help_confirmation"):
                was, now = _before(obj, "help_confirmation") == yes, obj.help_confirmation == yes
                if was == now or obj.id is None:
                    continue
                found = session.execute(
                    select(AssistanceRecord.kind, AssistanceRecord.given_on,
                           AssistanceRecord.amount_azn, Referral.partner_id)
                    .join(Referral, Referral.id == AssistanceRecord.referral_id)
                    .where(AssistanceRecord.request_id == obj.id)
                )  # fmt: skip
                sign = 1 if now else -1
                for kind, given_on, amount, pid in found:
                    label, cents = f"{pid}:{kind}", _qepik(amount)
                    rows += _rows(H_CONFIRMED, obj.region_code, given_on, obj.category, label,
                                  n=sign)  # fmt: skip
                    if cents:
                        rows += _rows(H_CONFIRMED_AZN, obj.region_code, given_on, obj.category,
                                      label, n=sign * cents)  # fmt: skip
    return rows


def _before_flush(session: Session, _context, _instances) -> None:
    if not (session.new or session.dirty or session.deleted):
        return
    rows = partner_changes(session)
    if rows:
        _bump(session, rows, connection=session.connection())


def install() -> None:
    """Keep the partner facts on every ORM session's flush (called once by create_app)."""
    from sqlalchemy import event

    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


def rebuild_partners(session: Session, offset: timedelta, counts: dict[tuple, int]) -> None:
    """The partner facts of every referral and assistance record, added to `counts`."""
    from portal.models import AssistanceRecord, HelpConfirmation, Referral

    def add(rows):
        for row in rows:
            counts[tuple(row[k] for k in KEY)] += row["n"]

    stmt = select(Referral.created_at, Referral.partner_id, Referral.status,
                  Referral.responded_at, Referral.decline_reason, AR.category,
                  AR.region_code).join(AR, AR.id == Referral.request_id)  # fmt: skip
    for row in session.execute(stmt.execution_options(yield_per=INSERT_BATCH)):
        add(referral_facts(*row, offset))
    stmt = (
        select(Referral.created_at, Referral.partner_id, AssistanceRecord.kind,
               AssistanceRecord.given_on, AssistanceRecord.amount_azn,
               AR.help_confirmation == HelpConfirmation.YES, AR.category, AR.region_code)
        .join(Referral, Referral.id == AssistanceRecord.referral_id)
        .join(AR, AR.id == AssistanceRecord.request_id)
    )  # fmt: skip
    for row in session.execute(stmt.execution_options(yield_per=INSERT_BATCH)):
        add(record_facts(*row[:5], bool(row[5]), *row[6:], offset))
