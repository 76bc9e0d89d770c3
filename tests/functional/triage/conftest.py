"""Helpers of the triage and partner organisation tests."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.conftest import csrf_token

VERSION_RE = re.compile(r'name="version" type="hidden" value="(\d+)"')


@contextmanager
def count_queries(app):
    """Collect the SQL statements the app's engine runs inside the block."""
    statements: list[str] = []
    engine = app.extensions["db"].engine

    def _before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _before)


def page_version(client, request_id: int, lang: str = "en") -> int:
    """The version the request page hands to its forms (what a worker's browser would send)."""
    body = client.get(f"/{lang}/triage/requests/{request_id}").get_data(as_text=True)
    match = VERSION_RE.search(body)
    assert match, body[:2000]
    return int(match.group(1))


@pytest.fixture
def act(client):
    """act(request, action, **fields): post one action form as the request page would."""

    def _act(req, action: str, *, version: int | None = None, request_id=None, **fields):
        url = f"/en/triage/requests/{req.id}"
        data = {
            "csrf_token": csrf_token(client, url),
            "request_id": req.id if request_id is None else request_id,
            "version": page_version(client, req.id) if version is None else version,
        }
        data.update(fields)
        return client.post(f"{url}/{action}", data=data)

    return _act
