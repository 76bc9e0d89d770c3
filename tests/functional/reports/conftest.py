from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from portal.db import set_clock


@contextmanager
def at(moment: datetime):
    """Pretend it is `moment` while the services run."""
    set_clock(moment)
    try:
        yield
    finally:
        set_clock(None)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def in_request(app):
    """A request context in English, for calling the report services directly."""
    with app.test_request_context("/en/reports/"):
        from flask import g

        g.lang_code = "en"
        yield
