"""Partner workspace fixtures."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in
from tests.functional.partner.helpers import Scenario


@pytest.fixture
def scenario(app, db, factory):
    return Scenario(app, db, factory)


@pytest.fixture
def as_staff(client, scenario):
    """The client signed in as the (lead) member of the first organisation."""
    response = sign_in(client, scenario.staff.login)
    assert response.status_code == 302
    return scenario.staff
