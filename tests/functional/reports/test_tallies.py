"""The reports' summary table stays equal to a fresh recount after every kind of transition."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy import insert as sa_insert

from portal.models import (
    AssistanceRequest,
    Category,
    CloseOutcome,
    DeclineReason,
    HelpConfirmation,
    ReportTally,
    RequestStatus,
    Role,
)
from portal.models.report import ReportMonthTally
from portal.services import report_tallies
from portal.services import reports as svc
from portal.services import requests as req_svc
from portal.services.confirmations import confirm_help
from tests.functional.reports.conftest import at, utc

S = RequestStatus


def _tallies(db) -> dict[tuple, int]:
    return {
        (t.fact, t.region_code, str(t.day), t.category, t.label, t.minutes): t.n
        for t in db.scalars(select(ReportTally))
        if t.n
    }


def _month_tallies(db) -> dict[tuple, int]:
    return {
        (t.fact, t.region_code, t.step, t.minutes, str(t.month), t.category, t.label): t.n
        for t in db.scalars(select(ReportMonthTally))
        if t.n
    }


def test_summary_equals_a_fresh_recount_after_transitions(app, factory, db):
    worker = factory.user(Role.SOCIAL_WORKER)
    staff = factory.user(Role.PARTNER)
    start = utc(2025, 3, 31, 21, 30)  # 1 April 01:30 in Baku: the local day counts
    with at(start):
        made = [
            factory.request(
                status=status,
                category=category,
                region_code=region,
                worker=worker,
                partner_staff=staff,
            )  # fmt: skip
            for status, category, region in (
                (S.SUBMITTED, Category.HOUSING, "baku"),
                (S.NEEDS_INFO, Category.EMPLOYMENT, "ganja"),
                (S.REFERRED, Category.HOUSING, "baku"),
                (S.REFERRED, Category.DOCUMENTATION, "ganja"),
                (S.IN_PROGRESS, Category.DOCUMENTATION, "baku"),
                (S.ASSISTANCE_PROVIDED, Category.HOUSING, "ganja"),
                (S.CLOSED, Category.EMPLOYMENT, "baku"),
                (S.WITHDRAWN, Category.HOUSING, "baku"),
            )
        ]
    submitted, needs_info, referred, referred2, in_progress, helped = made[:6]
    with app.app_context():
        with at(start + timedelta(hours=5, minutes=7)):
            req_svc.give_info(db, needs_info, needs_info.owner, "Here it is")
            req_svc.decline_referral(db, referred, staff, DeclineReason.NO_CAPACITY)
            req_svc.accept_referral(db, referred2, staff)
            db.commit()
        with at(start + timedelta(days=2, seconds=31)):
            req_svc.record_assistance(db, in_progress, staff, "Fee paid", complete=True)
            confirm_help(db, helped, helped.owner, HelpConfirmation.NO)  # back to review
            req_svc.close_request(db, submitted, worker, CloseOutcome.DUPLICATE)
            req_svc.withdraw_request(db, referred, referred.owner)
            db.commit()
        with at(start + timedelta(days=3)):
            confirm_help(db, in_progress, in_progress.owner, HelpConfirmation.YES)
            db.commit()
        with at(start + timedelta(days=40)):
            req_svc.close_request(db, in_progress, worker, CloseOutcome.HELP_GIVEN)
            db.commit()
        kept = _tallies(db)
        kept_months = _month_tallies(db)
        facts = {key[0] for key in kept}
        assert {"created", "closed", "review", "p_sent", "p_dec", "p_wait", "h_conf"} <= facts
        # The monthly summary holds the duration facts, each by minute and by hour, and the
        # registrations of the people who made the requests (step 0).
        monthly = report_tallies.DURATION_FACTS | report_tallies.COUNT_FACTS
        assert {key[0] for key in kept_months} == facts & monthly
        assert {"reg", "reg_r"} <= facts
        assert {key[2] for key in kept_months} == {0, 1, 60}
        report_tallies.rebuild(db)
        db.commit()
        assert _tallies(db) == kept
        assert _month_tallies(db) == kept_months
    # The figures read the summary: one housing request closed as a duplicate on 2 April.
    with app.test_request_context("/en/reports/"):
        from flask import g

        g.lang_code = "en"
        april = svc.Period(svc.PeriodKind.CUSTOM, date(2025, 4, 1), date(2025, 4, 30))
        counts = svc.closed_counts(db, april, svc.Filters(), report_tallies.zone())
        assert counts[(date(2025, 4, 3), CloseOutcome.DUPLICATE)] == 1
        assert counts[(date(2025, 4, 1), CloseOutcome.NOT_ELIGIBLE)] == 1
        assert svc.open_now(db, svc.Filters(region="ganja")) == 3
        # Unfiltered it reads the queue's counts per status: the same as counting the requests.
        open_requests = db.scalar(
            select(func.count())
            .select_from(AssistanceRequest)
            .where(AssistanceRequest.status.in_(RequestStatus.open_statuses()))
        )
        assert svc.open_now(db, svc.Filters()) == open_requests == 3
        assert svc.open_now(db, svc.Filters(kind=Category.HOUSING)) == 1


def test_percentiles_in_two_passes_equal_percentile_cont_of_the_minutes(app, db):
    """The hour-then-minute search gives exactly percentile_cont of the counted minutes, for
    values on both sides of an hour's edge, repeated values, counts of zero and days outside
    the period."""
    import random

    rng = random.Random(11)
    days = [date(2025, 5, d) for d in range(1, 11)]
    expected: dict[str, list[int]] = {"housing": [], "employment": []}
    seen = set()
    for _ in range(400):
        category = rng.choice(list(expected))
        day = rng.choice(days)
        minutes = rng.choice([59, 60, 61, 119, 120, 7 * 60, rng.randint(0, 5000)])
        n = rng.choice([0, 1, 1, 2, 3])
        key = (day, category, minutes)
        if key in seen:
            continue
        seen.add(key)
        db.add(ReportTally(fact="review", region_code="", day=day, category=category, label="",
                           minutes=minutes, n=n))  # fmt: skip
        if date(2025, 5, 3) <= day <= date(2025, 5, 8):
            expected[category] += [minutes] * n
    db.commit()

    def cont(values, p):
        values = sorted(values)
        pos = p * (len(values) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(values) - 1)
        return 60.0 * (values[lo] + (pos - lo) * (values[hi] - values[lo]))

    ps = (0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0)
    found = report_tallies.percentiles(db, ["review"], "", date(2025, 5, 3), date(2025, 5, 8),
                                       ps=ps)  # fmt: skip
    for category, values in expected.items():
        n, got = found[("review", category)]
        assert n == len(values)
        assert got == pytest.approx([cont(values, p) for p in ps], abs=1e-6), category


def test_percentiles_from_the_monthly_summary_equal_those_of_the_days(app, db):
    """Over whole months the percentiles read the monthly summary (hours, then the wanted
    hours' minutes) and the days of the partly covered months at either end; they equal
    percentile_cont of the minutes and what the daily summary alone gives, by kind of help,
    by partner (label), for one kind and one region, with counts of zero and changes after
    the rebuild (kept in step by the same upserts the services use)."""
    import random

    from portal.models.report import ReportMonthTally as M

    rng = random.Random(1102)
    first, last = date(2024, 12, 20), date(2025, 4, 10)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    categories = ["housing", "employment", "documentation"]
    rows: dict[tuple, int] = {}
    for _ in range(3000):
        fact = rng.choice(["review", "help", "p_wait"])
        region = rng.choice(["baku", "ganja"])
        label = rng.choice(["7", "9"]) if fact == "p_wait" else ""
        minutes = rng.choice([0, 59, 60, 61, 119, 120, rng.randint(0, 1500),
                              rng.randint(0, 40000)])  # fmt: skip
        key = (fact, region, rng.choice(days), rng.choice(categories), label, minutes)
        rows[key] = rows.get(key, 0) + rng.choice([0, 1, 1, 1, 2, 5])
    for fact, region, day, category, label, minutes in list(rows)[:40]:
        # Zero counts left behind by moves (a +1 then a -1) are skipped like any other.
        rows[(fact, region, day, category, label, minutes)] = 0
    stored: dict[tuple, int] = {}
    for (fact, region, day, category, label, minutes), n in rows.items():
        for r in (region, ""):  # each under its region and under all regions
            key = (fact, r, day, category, label, minutes)
            stored[key] = stored.get(key, 0) + n
    for (fact, region, day, category, label, minutes), n in stored.items():
        db.add(ReportTally(fact=fact, region_code=region, day=day, category=category,
                           label=label, minutes=minutes, n=n))  # fmt: skip
    db.flush()
    # Fill the monthly summary from the days, as the migration and rebuild do.
    daily = [
        {"fact": t.fact, "region_code": t.region_code, "day": t.day, "category": t.category,
         "label": t.label, "minutes": t.minutes, "n": t.n}
        for t in db.scalars(select(ReportTally))
    ]  # fmt: skip
    months = report_tallies.month_rows(daily)
    db.execute(sa_insert(M), months)
    db.commit()
    # Later changes go through the services' upsert: both summaries move together.
    with app.app_context():
        moved = [("review", "baku", date(2025, 2, 14), "housing", "", 300, 1),
                 ("review", "baku", date(2025, 2, 14), "housing", "", 300, -1),
                 ("help", "ganja", date(2025, 3, 1), "employment", "", 2881, 3)]  # fmt: skip
        for fact, region, day, category, label, minutes, n in moved:
            report_tallies._bump(db, report_tallies._rows(fact, region, day, category, label,
                                                          minutes, n))  # fmt: skip
            key = (fact, region, day, category, label, minutes)
            rows[key] = rows.get(key, 0) + n
        db.commit()

    def cont(values, p):
        values = sorted(values)
        pos = p * (len(values) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(values) - 1)
        return 60.0 * (values[lo] + (pos - lo) * (values[hi] - values[lo]))

    def expected(fact, region, start, end, kind, group):
        out: dict[str, list[int]] = {}
        for (f, r, day, category, label, minutes), n in rows.items():
            if f != fact or (region and r != region) or not start <= day <= end:
                continue
            if kind and category != kind:
                continue
            out.setdefault(category if group == "category" else label, []).extend([minutes] * n)
        return {g: v for g, v in out.items() if v}

    def daily_only(facts, region, start, end, kind, ps, group):
        # The same search over the daily summary alone: every day read as a partial month.
        found = {}
        for fact in facts:
            values: dict[str, list[int]] = {}
            where = [ReportTally.fact == fact, ReportTally.region_code == region,
                     ReportTally.day >= start, ReportTally.day <= end]  # fmt: skip
            if kind:
                where.append(ReportTally.category == kind)
            for t in db.scalars(select(ReportTally).where(*where)):
                values.setdefault(getattr(t, group), []).extend([t.minutes] * t.n)
            for g, v in values.items():
                if v:
                    found[(fact, g)] = (len(v), [cont(v, p) for p in ps])
        return found

    ps = (0.0, 0.1, 0.5, 0.9, 0.99, 1.0)
    periods = [
        (date(2024, 12, 20), date(2025, 4, 10)),  # partial, three whole months, partial
        (date(2025, 1, 1), date(2025, 3, 31)),  # whole months only
        (date(2025, 1, 15), date(2025, 2, 20)),  # no whole month
        (date(2025, 2, 1), date(2025, 2, 28)),  # one whole month
        (date(2024, 12, 1), date(2025, 4, 30)),  # whole months around the data
    ]
    for start, end in periods:
        for region, kind, group, facts in (
            ("", None, "category", ["review", "help"]),
            ("baku", "housing", "category", ["review", "help"]),
            ("", None, "label", ["p_wait"]),
            ("ganja", "employment", "label", ["p_wait"]),
        ):
            found = report_tallies.percentiles(db, facts, region, start, end, kind, ps=ps,
                                               group=group)  # fmt: skip
            want = {}
            for fact in facts:
                for g, values in expected(fact, region, start, end, kind, group).items():
                    want[(fact, g)] = (len(values), [cont(values, p) for p in ps])
            assert set(found) == set(want), (start, end, region, group)
            days = daily_only(facts, region, start, end, kind, ps, group)
            assert set(days) == set(want)
            for key, (n, values) in want.items():
                assert found[key][0] == days[key][0] == n, (start, end, region, key)
                assert found[key][1] == pytest.approx(values, abs=1e-6), (start, end, key)
                assert days[key][1] == pytest.approx(values, abs=1e-6), (start, end, key)
