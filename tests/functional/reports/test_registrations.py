"""The returnee figures read the summary's registrations ("reg"), which stay equal to counting
the profiles after registrations, profile changes and erasure."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from portal.models import ReportTally, ReturneeProfile, Role, User
from portal.models.report import ReportMonthTally
from portal.services import report_tallies
from portal.services import reports as svc
from portal.services.data_rights import delete_account
from portal.services.returnees import update_profile
from tests.conftest import csrf_token
from tests.functional.readmission.test_invitation import arrive, claim
from tests.functional.reports.conftest import at, utc


def _counted(db, period, region=None):
    """What the figures showed before the summary: the profiles counted one by one."""
    tz = report_tallies.zone()
    offset = report_tallies.offset_of(tz)
    by_country: dict = defaultdict(int)
    by_region: dict = defaultdict(int)
    for p in db.scalars(select(ReturneeProfile)):
        day = report_tallies.local_day(p.created_at, offset)
        if not period.start <= day <= period.end:
            continue
        if region and p.region_code != region:
            continue
        bucket = day if period.granularity == "day" else day.replace(day=1)
        by_country[(bucket, p.country_returned_from)] += 1
        by_region[p.region_code] += 1
    return dict(by_country), dict(by_region)


def _summary(db, period, region=None):
    counts, regions = svc.returnee_counts(
        db, period, svc.Filters(region=region), report_tallies.zone()
    )
    return (
        {k: n for k, n in counts.items() if n},
        {k: n for k, n in regions.items() if n},
    )


def _kept(db):
    tallies = {
        (t.fact, t.region_code, str(t.day), t.label): t.n
        for t in db.scalars(select(ReportTally).where(ReportTally.fact.in_(("reg", "reg_r"))))
        if t.n
    }
    months = {
        (t.fact, t.region_code, t.step, str(t.month), t.label): t.n
        for t in db.scalars(
            select(ReportMonthTally).where(ReportMonthTally.fact.in_(("reg", "reg_r")))
        )
        if t.n
    }
    return tallies, months


PERIODS = [
    (date(2025, 1, 31), date(2025, 2, 2)),  # by day, across a month
    (date(2025, 1, 15), date(2025, 4, 20)),  # by month, partly covered months at both ends
    (date(2024, 12, 1), date(2025, 5, 31)),  # whole months only
    (date(2023, 6, 10), date(2026, 6, 9)),  # three years
]


def _check(db):
    for start, end in PERIODS:
        period = svc.Period(svc.PeriodKind.CUSTOM, start, end)
        for region in (None, "baku", "ganja"):
            assert _summary(db, period, region) == _counted(db, period, region), (start, region)


def test_registrations_summary_equals_counting_the_profiles(app, factory, db, client):
    people = []
    # Local days at the month edges: 31 January 23:30 UTC is 1 February 03:30 in Baku.
    moments = [utc(2025, 1, 31, 21, 0), utc(2025, 1, 31, 19, 30), utc(2025, 1, 20, 8),
               utc(2025, 2, 28, 20, 30), utc(2025, 3, 14, 9), utc(2025, 4, 19, 21)]  # fmt: skip
    for moment in moments:
        with at(moment):
            people.append(factory.user(Role.RETURNEE))
    with app.app_context():
        for user, (region, country) in zip(
            people,
            [("baku", "RU"), ("ganja", "TR"), ("baku", "DE"), ("ganja", "RU"), ("baku", None)],
            strict=False,
        ):
            with at(user.profile.created_at + timedelta(days=3)):
                update_profile(db, user, region_code=region, return_date=date(2024, 12, 1),
                               country_returned_from=country, household_size=2,
                               vulnerabilities=[], contact_preference="sms",
                               preferred_locale="en")  # fmt: skip
        db.commit()
    # A public registration through the page (no region or country yet).
    with at(utc(2025, 2, 1, 6)):
        response = client.post(
            "/en/register",
            data={
                "csrf_token": csrf_token(client, "/en/register"),
                "full_name": "New Person",
                "phone": "+994501234567",
                "password": "a-long-enough-password",
                "confirm": "a-long-enough-password",
                "preferred_locale": "en",
                "consent": "y",
            },
        )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.expire_all()
    assert db.scalar(select(User).where(User.phone == "+994501234567")).profile is not None
    # A readmitted person claims their invitation: a profile with the case's region and state.
    with at(utc(2025, 3, 31, 20, 30)):  # 1 April 00:30 in Baku
        case, code = arrive(
            app, db, region_code="ganja", requesting_state="NO", returned_on="2025-03-28"
        )
        assert claim(app.test_client(), code, case.phone).status_code == 302
    db.expire_all()
    claimed = db.scalar(select(User).where(User.phone == case.phone)).profile
    assert (claimed.region_code, claimed.country_returned_from) == ("ganja", "NO")
    with app.test_request_context("/en/reports/"):
        _check(db)
        # A person moves region and names another country: counted under the new ones.
        moved = people[0]
        with at(utc(2025, 6, 1)):
            update_profile(db, moved, region_code="ganja", return_date=date(2024, 12, 1),
                           country_returned_from="TR", household_size=2, vulnerabilities=[],
                           contact_preference="sms", preferred_locale="en")  # fmt: skip
            db.commit()
        _check(db)
        # Erasure deletes the profile: it is no longer counted.
        with at(utc(2025, 6, 2)):
            delete_account(db, people[1])
            db.commit()
        db.expire_all()
        assert (
            db.scalar(select(ReturneeProfile).where(ReturneeProfile.user_id == people[1].id))
            is None
        )
        _check(db)
        three_years = svc.Period(svc.PeriodKind.CUSTOM, *PERIODS[-1])
        assert sum(_summary(db, three_years)[1].values()) == len(moments) + 1  # 6 + 2 - 1
        # The summary kept in step equals a fresh recount of the profiles.
        kept = _kept(db)
        assert kept[0] and kept[1]
        report_tallies.rebuild(db)
        db.commit()
        assert _kept(db) == kept


def test_the_demo_registrations_are_counted_as_a_recount_finds_them(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--password", "demo-pass-123"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    kept = _kept(db)
    profiles = len(db.scalars(select(ReturneeProfile)).all())
    assert profiles and sum(n for key, n in kept[0].items() if key[0] == "reg_r") == profiles
    with app.app_context():
        report_tallies.rebuild(db)
        db.commit()
    assert _kept(db) == kept
