"""The readmission path in the reports area: counts from known cases, within the period."""

from __future__ import annotations

import csv
import io

from portal.models import CloseOutcome, ReadmissionCase, RequestStatus, Role
from portal.services import readmissions as rsvc
from portal.services import requests as req_svc
from tests.functional.readmission.test_staff import claimed_by, make_case


def _csv(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


PERIOD = "period=custom&start=2026-01-01&end=2026-03-31"


def _known_cases(app, db, factory):
    """In the period: DE 2026-01 x3, NO 2026-02 x2 (one in Ganja); outside: DE 2025-12 x1;
    one withdrawn. 3 claimed, 2 asked for help, 1 helped."""
    made = [
        make_case(app, db, requesting_state=state, returned_on=day, **extra)
        for state, day, extra in (
            ("DE", "2026-01-10", {"region_code": "baku"}),
            ("DE", "2026-01-11", {"region_code": "baku"}),
            ("DE", "2026-01-12", {"region_code": "baku", "phone": None}),  # not invited by SMS
            ("NO", "2026-02-10", {"region_code": "ganja"}),
            ("NO", "2026-02-11", {"region_code": "baku"}),
            ("DE", "2025-12-30", {"region_code": "baku"}),  # before the period
        )
    ]
    withdrawn = make_case(app, db, requesting_state="NO", returned_on="2026-02-20")
    with app.app_context():
        rsvc.withdraw_case(db, db.get(ReadmissionCase, withdrawn.id), factory.user(Role.ADMIN))
        db.commit()
    users = [claimed_by(app, db, factory, c) for c in (made[0], made[3], made[4], made[5])]
    factory.request(owner=users[0], status=RequestStatus.IN_REVIEW)
    helped = factory.request(owner=users[1], status=RequestStatus.IN_REVIEW)
    with app.app_context():
        req_svc.close_request(db, helped, factory.user(Role.SOCIAL_WORKER), CloseOutcome.HELP_GIVEN)
        db.commit()
    factory.request(owner=users[3], status=RequestStatus.ASSISTANCE_PROVIDED)  # outside


def test_readmitted_per_month_by_requesting_state(app, db, client, factory, login_as):
    _known_cases(app, db, factory)
    login_as(Role.SOCIAL_WORKER)
    rows = _csv(client, f"/en/reports/figures/readmitted_by_state.csv?{PERIOD}")
    assert rows[0] == ["Month", "Germany", "Norway", "Total"]
    assert rows[1:] == [["2026-01", "3", "0", "3"], ["2026-02", "0", "2", "2"],
                        ["2026-03", "0", "0", "0"]]  # fmt: skip
    ganja = _csv(client, f"/en/reports/figures/readmitted_by_state.csv?{PERIOD}&region=ganja")
    assert ganja[0] == ["Month", "Norway", "Total"]
    assert [r[-1] for r in ganja[1:]] == ["0", "1", "0"]


def test_the_path_from_readmission_to_help(app, db, client, factory, login_as):
    _known_cases(app, db, factory)
    login_as(Role.ADMIN)
    rows = _csv(client, f"/en/reports/figures/readmission_path.csv?{PERIOD}")
    assert rows[0] == ["Stage", "People", "Of the stage before"]
    assert rows[1:] == [
        ["Readmitted", "5", ""],
        ["Invited", "4", "80.0"],
        ["Claimed the invitation", "3", "75.0"],
        ["Asked for help", "2", "66.7"],
        ["Helped", "1", "50.0"],
    ]
    page = client.get(f"/ru/reports/?{PERIOD}").get_data(as_text=True)
    assert 'id="fig-readmission_path"' in page and 'id="fig-readmitted_by_state"' in page
