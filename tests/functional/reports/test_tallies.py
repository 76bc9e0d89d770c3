"""The reports' summary table stays equal to a fresh recount after every kind of transition."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

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
        facts = {key[0] for key in kept}
        assert {"created", "closed", "review", "p_sent", "p_dec", "p_wait", "h_conf"} <= facts
        report_tallies.rebuild(db)
        db.commit()
        assert _tallies(db) == kept
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
    where = [ReportTally.region_code == "", ReportTally.day >= date(2025, 5, 3),
             ReportTally.day <= date(2025, 5, 8)]  # fmt: skip
    found = report_tallies.percentiles(db, ["review"], where, ps)
    for category, values in expected.items():
        n, got = found[("review", category)]
        assert n == len(values)
        assert got == pytest.approx([cont(values, p) for p in ps], abs=1e-6), category
