"""Pooled PostgreSQL connections (portal/db.py, _ping_when_idle): checked before use only after
they sat idle; one the server ended meanwhile is replaced without the page seeing an error."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal.db import make_engine


@pytest.fixture
def postgres_url(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to end a connection: no check is made there")
    return database_url


def _pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_the_server_ended_while_idle_is_replaced(postgres_url):
    engine = make_engine(postgres_url, ping_after=0.2)
    try:
        pings = []
        real_ping = engine.dialect.do_ping
        engine.dialect.do_ping = lambda conn: pings.append(1) or real_ping(conn)
        first = _pid(engine)
        assert _pid(engine) == first and pings == []  # used again at once: not checked
        url = make_url(postgres_url)
        with psycopg.connect(
            host=url.host, port=url.port or 5432, user=url.username, dbname=url.database,
            autocommit=True,
        ) as admin:  # fmt: skip
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        time.sleep(0.3)
        second = _pid(engine)  # checked (idle too long), found dead, replaced
        assert pings == [1] and second != first
    finally:
        engine.dispose()
