"""Partner API fixtures: a scenario with a token of the first organisation."""

from __future__ import annotations

import pytest

from portal.services.api_tokens import create_api_token
from tests.functional.partner.helpers import Scenario


@pytest.fixture
def scenario(app, db, factory):
    return Scenario(app, db, factory)


@pytest.fixture
def token(app, db, scenario):
    """A raw API token of the first organisation (made by its lead)."""
    with app.app_context():
        _row, raw = create_api_token(db, scenario.partner, scenario.staff, "Case system")
        db.commit()
    return raw


@pytest.fixture
def other_token(app, db, scenario):
    with app.app_context():
        admin = scenario.factory.user(scenario.staff.role.__class__("admin"))
        _row, raw = create_api_token(db, scenario.other_partner, admin, "Other system")
        db.commit()
    return raw
