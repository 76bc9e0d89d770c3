"""The figures, checked against numbers computed here from known data (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.models import (
    AssistanceRequest,
    Category,
    DeclineReason,
    HelpConfirmation,
    PartnerOrganisation,
    RequestStatus,
    ReturneeProfile,
    Role,
)
from portal.services import reports as svc
from portal.services import requests as req_svc
from portal.services.confirmations import confirm_help
from portal.services.referrals import complete_referral
from tests.functional.reports.conftest import at, utc

TZ = ZoneInfo("Asia/Baku")
YEAR_2025 = svc.Period(svc.PeriodKind.CUSTOM, date(2025, 1, 1), date(2025, 12, 31))


def _ctx():
    return svc.Context(tz=TZ, locale="en", limits={}, now=utc(2026, 1, 1))


def _csv(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_requests_per_month_by_kind_and_status(client, login_as, factory):
    made = [
        (utc(2025, 1, 10, 9), Category.HOUSING),
        (utc(2025, 1, 20, 9), Category.HOUSING),
        (utc(2025, 1, 31, 21), Category.EMPLOYMENT),  # 1 Feb 01:00 in Baku
        (utc(2025, 3, 5, 9), Category.DOCUMENTATION),
        (utc(2024, 12, 31, 9), Category.HOUSING),  # before the period
    ]
    for moment, category in made:
        with at(moment):
            factory.request(category=category)
    login_as(Role.SOCIAL_WORKER)
    rows = _csv(client, "/en/reports/figures/requests_by_kind.csv?period=custom"
                "&start=2025-01-01&end=2025-12-31")  # fmt: skip
    assert rows[0] == ["Month", "Housing", "Employment", "Documents", "Total"]
    by_month = {r[0]: r[1:] for r in rows[1:]}
    assert len(by_month) == 12
    assert by_month["2025-01"] == ["2", "0", "0", "2"]
    assert by_month["2025-02"] == ["0", "1", "0", "1"]  # local month, not UTC
    assert by_month["2025-03"] == ["0", "0", "1", "1"]
    assert sum(int(r[-1]) for r in rows[1:]) == 4
    status = _csv(client, "/en/reports/figures/requests_by_status.csv?period=custom"
                  "&start=2025-01-01&end=2025-12-31&kind=housing")  # fmt: skip
    assert dict(status[1:])["Submitted"] == "2"
    assert sum(int(n) for _, n in status[1:]) == 2


def test_open_backlog_over_time(app, client, login_as, factory):
    worker = factory.user(Role.SOCIAL_WORKER)
    with at(utc(2024, 12, 1)):
        old = factory.request()  # open before the period
    with at(utc(2025, 1, 5)):
        a = factory.request()
        factory.request()
    with at(utc(2025, 2, 10)), app.app_context():
        req_svc.close_request(factory.db, old, worker, svc.CloseOutcome.DUPLICATE)
        req_svc.close_request(factory.db, a, worker, svc.CloseOutcome.NOT_ELIGIBLE)
        factory.db.commit()
    login_as(Role.SOCIAL_WORKER)
    rows = _csv(client, "/en/reports/figures/open_backlog.csv?period=custom"
                "&start=2025-01-01&end=2025-03-31")  # fmt: skip
    assert rows[0] == ["At the end of", "Submitted", "Closed or withdrawn", "Open"]
    assert [r[1:] for r in rows[1:]] == [["2", "0", "3"], ["0", "2", "1"], ["0", "0", "1"]]
    outcomes = dict(_csv(client, "/en/reports/figures/outcomes.csv?period=custom"
                         "&start=2025-01-01&end=2025-03-31")[1:])  # fmt: skip
    assert outcomes["Duplicate request"] == "1"
    assert outcomes["Not eligible"] == "1"
    assert outcomes["Help given"] == "0"


def _percentile(values, p):
    values = sorted(values)
    pos = p * (len(values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (pos - lo) * (values[hi] - values[lo])


def test_time_to_first_review_median_and_90th_percentile(app, factory, db, in_request):
    worker = factory.user(Role.SOCIAL_WORKER)
    waits = {Category.HOUSING: [1, 2, 3, 4, 10], Category.EMPLOYMENT: [0.5, 6]}
    start = utc(2025, 5, 1, 8)
    for category, days in waits.items():
        for d in days:
            with at(start):
                r = factory.request(category=category)
            with at(start + timedelta(days=d)):
                req_svc.assign_request(db, r, worker, worker)
                db.commit()
    figure = svc.time_to_milestones(db, YEAR_2025, svc.Filters(), TZ, "en")
    rows = {(r[0], r[1]): r[2:] for r in figure.rows}
    for category, days in waits.items():
        n, p50, p90 = rows[("to first review", category.label)]
        assert n == len(days)
        assert p50 == round(_percentile(days, 0.5), 1)
        assert p90 == round(_percentile(days, 0.9), 1)
    assert rows[("to first review", "Documents")] == [0, None, None]
    assert rows[("to referral", "Housing")] == [0, None, None]


def test_partner_figures(app, factory, db, in_request):
    worker = factory.user(Role.SOCIAL_WORKER)
    staff = factory.user(Role.PARTNER)
    partner = db.get(PartnerOrganisation, staff.partner_id)
    start = utc(2025, 6, 2, 8)
    accept_after = [1, 3, 8]
    for i, days in enumerate(accept_after):
        with at(start):
            r = factory.request(status=RequestStatus.REFERRED, worker=worker, partner_staff=staff)
        with at(start + timedelta(days=days)):
            req_svc.accept_referral(db, r, staff)
            if i < 2:
                req_svc.record_assistance(
                    db, r, staff, "Paid", kind="document_fees", amount_azn="12.50",
                    given_on=(start + timedelta(days=days)).date(),
                )  # fmt: skip
                complete_referral(db, r, staff)
            db.commit()
    with at(start):
        r = factory.request(status=RequestStatus.REFERRED, worker=worker, partner_staff=staff)
        req_svc.decline_referral(db, r, staff, DeclineReason.NO_CAPACITY)
        db.commit()
    # One of the two people helped says they received it.
    helped = db.scalars(
        select(AssistanceRequest).where(AssistanceRequest.helped_at.is_not(None))
    ).first()
    with at(start + timedelta(days=9)):
        confirm_help(db, helped, helped.owner, HelpConfirmation.YES)
        db.commit()
    figure = svc.partner_referrals(db, YEAR_2025, svc.Filters(), TZ, "en")
    assert figure.rows == [
        [partner.name_en, 4, 3, 1, 2, 75.0, float(_percentile(accept_after, 0.5)), Decimal("25.00")]
    ]
    reasons = svc.decline_reasons(db, YEAR_2025, svc.Filters(), TZ, "en")
    assert reasons.rows == [[partner.name_en, 1, 0, 0, 0, 1]]
    given = svc.assistance_by_kind(db, YEAR_2025, svc.Filters(), TZ, "en")
    assert given.rows == [
        [partner.name_en, "Document fees paid", 2, 1, Decimal("25.00"), Decimal("12.50")]
    ]
    other = svc.Filters(partner_id=partner.id + 1000)
    assert svc.partner_referrals(db, YEAR_2025, other, TZ, "en").rows == []


def test_overdue_now_by_waiting_time(app, factory, db, in_request):
    now = utc(2025, 7, 1, 12)
    for days in (3, 10, 10, 40):
        with at(now - timedelta(days=days)):
            factory.request()
    with at(now - timedelta(days=1)):
        factory.request()  # not overdue yet
    limits = {
        RequestStatus.SUBMITTED: now - timedelta(days=2),
        RequestStatus.NEEDS_INFO: now - timedelta(days=7),
    }
    figure = svc.overdue_now(db, YEAR_2025, svc.Filters(), TZ, "en", limits=limits, now=now)
    totals = [row[-1] for row in figure.rows]
    assert totals == [1, 2, 0, 1]


def test_returnees_by_country_and_region(app, factory, db, in_request):
    for country, region in (("DE", "baku"), ("DE", "ganja"), ("FR", "baku")):
        with at(utc(2025, 4, 4)):
            user = factory.user(Role.RETURNEE)
        profile = db.query(ReturneeProfile).filter_by(user_id=user.id).one()
        profile.country_returned_from = country
        profile.region_code = region
        profile.created_at = utc(2025, 4, 4)
        db.commit()
    figure = svc.returnees_by_country(db, YEAR_2025, svc.Filters(), TZ, "en")
    assert [c.title for c in figure.columns[1:3]] == ["Germany", "France"]
    april = next(r for r in figure.rows if r[0] == date(2025, 4, 1))
    assert april[1:] == [2, 1, 3]
    regions = svc.returnees_by_region(db, YEAR_2025, svc.Filters(), TZ, "en")
    assert regions.rows[0][1] == 2
    assert sum(r[1] for r in regions.rows) == 3
    only_ganja = svc.returnees_by_region(db, YEAR_2025, svc.Filters(region="ganja"), TZ, "en")
    assert [r[1] for r in only_ganja.rows] == [1]


def test_registrations_fall_in_their_local_month_and_the_headline_counts_them(
    app, factory, db, in_request
):
    """By month, a registration at local midnight of the 1st (20:00 UTC the day before) is
    the new month's, a second earlier the old month's (PostgreSQL finds the month among the
    period's month starts); the headline counts the same registrations."""
    moments = (utc(2025, 4, 30, 19, 59, 59), utc(2025, 4, 30, 20, 0), utc(2025, 5, 31, 20, 0))
    for moment in moments:
        with at(moment):
            user = factory.user(Role.RETURNEE)
        profile = db.query(ReturneeProfile).filter_by(user_id=user.id).one()
        profile.country_returned_from = "DE"
        profile.created_at = moment
        db.commit()
    figure = svc.returnees_by_country(db, YEAR_2025, svc.Filters(), TZ, "en")
    by_month = {r[0]: r[-1] for r in figure.rows}
    assert (by_month[date(2025, 4, 1)], by_month[date(2025, 5, 1)]) == (1, 1)
    assert by_month[date(2025, 6, 1)] == 1
    assert sum(by_month.values()) == 3
    ctx = svc.Context(tz=TZ, locale="en", limits={}, now=utc(2025, 12, 31))
    may = svc.Period(svc.PeriodKind.CUSTOM, date(2025, 5, 1), date(2025, 5, 31))
    assert svc.headline(db, may, svc.Filters(), ctx)["registered"] == 1
    assert svc.headline(db, YEAR_2025, svc.Filters(), ctx)["registered"] == 3


def test_page_draws_every_figure_in_three_languages(client, login_as, factory):
    factory.request(status=RequestStatus.ASSISTANCE_PROVIDED)
    login_as(Role.SOCIAL_WORKER)
    for lang in ("az", "ru", "en"):
        page = client.get(f"/{lang}/reports/?period=year").get_data(as_text=True)
        assert page.count('<figure class="report-figure"') == len(svc.FIGURES)
        assert page.count('<svg class="chart"') >= 3
        assert page.count('<details class="figure-table"') == len(svc.FIGURES)
    assert "Отчёты" in client.get("/ru/reports/?period=year").get_data(as_text=True)


def test_milestones_are_set_once_by_the_workflow(factory, db):
    req = factory.request(status=RequestStatus.ASSISTANCE_PROVIDED)
    db.refresh(req)
    assert req.first_reviewed_at and req.referred_at and req.accepted_at and req.helped_at
    assert req.created_at <= req.first_reviewed_at <= req.referred_at <= req.helped_at
    withdrawn = factory.request(status=RequestStatus.WITHDRAWN)
    assert db.get(AssistanceRequest, withdrawn.id).first_reviewed_at is None


def test_tables_format_amounts_percentages_and_months_in_the_page_language(
    app, client, login_as, factory, db
):
    """The same figures, three languages: AZN, percentages and month names by each locale
    (what a reader of that language expects: 2.469,00 ₼ / 2 469,00 AZN / AZN2,469.00)."""
    from babel.dates import format_date
    from babel.numbers import format_currency, format_percent
    from markupsafe import escape

    worker = factory.user(Role.SOCIAL_WORKER)
    staff = factory.user(Role.PARTNER)
    start = utc(2025, 3, 3, 8)
    for _ in range(2):
        with at(start):
            r = factory.request(status=RequestStatus.REFERRED, worker=worker, partner_staff=staff)
        with at(start + timedelta(days=1)), app.app_context():
            req_svc.accept_referral(db, r, staff)
            req_svc.record_assistance(
                db, r, staff, "Paid", kind="document_fees", amount_azn="1234.50",
                given_on=date(2025, 3, 4),
            )  # fmt: skip
            db.commit()
    with at(start):
        r = factory.request(status=RequestStatus.REFERRED, worker=worker, partner_staff=staff)
    with at(start), app.app_context():
        req_svc.decline_referral(db, r, staff, DeclineReason.NO_CAPACITY)
        db.commit()
    login_as(Role.SOCIAL_WORKER)
    shown = {}
    for lang in ("az", "ru", "en"):
        html = client.get(f"/{lang}/reports/?period=custom&start=2025-01-01&end=2025-12-31")
        assert html.status_code == 200
        page = html.get_data(as_text=True)
        amount = format_currency(Decimal("2469.00"), "AZN", locale=lang)
        rate = format_percent(2 / 3, format="#,##0.0%", locale=lang)
        month = format_date(date(2025, 3, 1), "LLLL y", locale=lang)
        partners = page[page.index('id="fig-partner_referrals"') :]
        partners = partners[: partners.index("</figure>")]
        assert f'<td class="num">{escape(amount)}</td>' in partners, lang
        assert f'<td class="num">{escape(rate)}</td>' in partners, lang
        by_kind = page[page.index('id="fig-requests_by_kind"') :]
        assert f'<th scope="row">{escape(month)}</th>' in by_kind[: by_kind.index("</figure>")]
        shown[lang] = (amount, rate, month)
    assert len({v[0] for v in shown.values()}) == 3  # three ways to write the same amount
    assert len({v[2] for v in shown.values()}) == 3
