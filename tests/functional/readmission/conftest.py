"""Readmission fixtures: a readmission token and valid case data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.services.api_tokens import create_readmission_token

_counter = {"n": 0}


def case_data(**kw) -> dict:
    """A valid case as the case management system sends it (strings, like JSON)."""
    _counter["n"] += 1
    n = _counter["n"]
    data = {
        "case_number": f"RA/2026/{n:05d}",
        "requesting_state": "DE",
        "full_name": f"Elvin Mammadov {n}",
        "full_name_cyrillic": "Эльвин Мамедов",
        "birth_date": "1990-04-12",
        "sex": "male",
        "phone": f"+99450{2000000 + n}",
        "returned_on": (date.today() - timedelta(days=3)).isoformat(),
        "border_point": "Heydar Aliyev International Airport",
        "region_code": "ganja",
        "locale": "ru",
        "vulnerabilities": ["family_with_children"],
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not ...}


@pytest.fixture
def readmission_token(app, db):
    with app.app_context():
        _row, raw = create_readmission_token(db, "RCMS")
        db.commit()
    return raw
