"""The reports page and the monthly print at 320 px, in each language: every chart is well-formed
SVG drawn in a 320-unit box that scales with the column (no fixed size), its text inside the
box, no inline style (the Content-Security-Policy would drop it), and every table can scroll
sideways on its own."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from portal.models import Category, RequestStatus, Role
from portal.services import reports as svc
from portal.services.requests import close_request
from tests.functional.reports.conftest import at, utc

SVG = "{http://www.w3.org/2000/svg}"
CHART_RE = re.compile(r'<svg class="chart".*?</svg>', re.S)


def _seed(app, factory, db):
    """Requests of every kind in several statuses, one closed, all in March 2025."""
    worker = factory.user(Role.SOCIAL_WORKER)
    staff = factory.user(Role.PARTNER)
    with at(utc(2025, 3, 10, 9)):
        for i, status in enumerate(
            (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.REFERRED,
             RequestStatus.IN_PROGRESS, RequestStatus.ASSISTANCE_PROVIDED)
        ):  # fmt: skip
            factory.request(
                status=status,
                category=list(Category)[i % 3],
                worker=worker,
                partner_staff=staff,
            )
        done = factory.request(status=RequestStatus.IN_REVIEW, worker=worker)
    with at(utc(2025, 3, 20, 9)), app.app_context():
        close_request(db, done, worker, svc.CloseOutcome.HELP_GIVEN)
        db.commit()


def _check_charts(html: str, url: str) -> int:
    charts = CHART_RE.findall(html)
    for chart in charts:
        root = ET.fromstring(chart)  # noqa: S314 - our own page; raises if not well-formed
        box = [float(v) for v in root.attrib["viewBox"].split()]
        assert box[:3] == [0, 0, 320], url
        assert "width" not in root.attrib and "height" not in root.attrib, url
        assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}title").text, url
        for text in root.iter(f"{SVG}text"):
            assert 0 <= float(text.attrib["x"]) <= 320, (url, text.text)
            assert 0 <= float(text.attrib["y"]) <= box[3], (url, text.text)
            assert text.text and text.text.strip(), url
        for rect in root.iter(f"{SVG}rect"):
            right = float(rect.attrib["x"]) + float(rect.attrib["width"])
            assert right <= 320.01, url
    return len(charts)


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_reports_and_the_monthly_print_fit_a_320_px_phone(app, client, login_as, factory, db, lang):
    _seed(app, factory, db)
    login_as(Role.SOCIAL_WORKER)
    pages = [
        f"/{lang}/reports/?period=custom&start=2025-01-01&end=2025-12-31",
        f"/{lang}/reports/?period=custom&start=2025-03-01&end=2025-03-31",
        f"/{lang}/reports/monthly?month=2025-03",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert f'<html lang="{lang}"' in html
        assert 'name="viewport" content="width=device-width' in html
        assert " style=" not in html, url
        drawn = _check_charts(html, url)
        assert drawn >= 5, (url, drawn)
        tables = html.count("<table")
        assert tables == html.count('<div class="table-wrap">'), url
    csp = client.get(pages[0]).headers["Content-Security-Policy"]
    assert "style-src 'self'" in csp
