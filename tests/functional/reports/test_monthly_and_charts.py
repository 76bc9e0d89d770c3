"""The printable monthly report, and the SVG charts' escaping and shapes."""

from __future__ import annotations

import re

import pytest

from portal import charts
from portal.models import Role
from tests.conftest import ROOT
from tests.functional.reports.conftest import at, utc


def test_monthly_report_prints_one_month_in_each_language(client, login_as, factory):
    with at(utc(2025, 3, 10, 9)):
        factory.request()
    login_as(Role.SOCIAL_WORKER)
    for lang, month_name in (("en", "March 2025"), ("ru", "март 2025"), ("az", "mart 2025")):
        page = client.get(f"/{lang}/reports/monthly?month=2025-03")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert month_name in html.lower() or month_name in html
        assert 'class="headline"' in html and "<svg" in html
    css = (ROOT / "static" / "css" / "reports.css").read_text(encoding="utf-8")
    assert "@media print" in css and "break-inside:avoid" in css


@pytest.mark.parametrize("month", ["2025-13", "banana", "1999-12", "2101-01", "2025-03-01x"])
def test_monthly_report_refuses_a_bad_month(client, login_as, month):
    login_as(Role.SOCIAL_WORKER)
    page = client.get(f"/ru/reports/monthly?month={month}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert 'class="error"' in html and "Enter a month" not in html


def test_charts_escape_text_and_scale_values():
    fmt = str
    svg = charts.bars(
        "<script>x</script>", ["a & b", "<c>"], [charts.Series("n", [3, 6])], fmt, "c1"
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg
    widths = [float(w) for w in re.findall(r'<rect x="0" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[1] == pytest.approx(2 * widths[0])
    cols = charts.columns(
        "t", ["m1", "m2"], [charts.Series("a", [1, 0]), charts.Series("b", [1, 2])], fmt, "c2"
    )
    assert cols.count("<rect") == 3  # zero values draw nothing
    line = charts.line("t", ["d1", "d2", "d3"], [charts.Series("open", [5, None, 7])], fmt, "c3")
    assert line.count("<circle") == 3 and 'viewBox="0 0 320' in line
    assert charts.nice_max(0) == 1 and charts.nice_max(7) == 10 and charts.nice_max(180) == 200
