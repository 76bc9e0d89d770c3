"""Time the administrators' audit page with millions of events on PostgreSQL, at two sizes.

    .venv/bin/python bench/audit_bench.py                    # 1 million, then 3 million events
    .venv/bin/python bench/audit_bench.py --sizes 200000 1000000 --runs 10

Uses (and empties) BENCH_DATABASE_URL, by default the local database portal_hardening_bench
(created if missing). Loads staff, returnees and requests, then events with SQL
(generate_series), and times for each filter of the page: the first page and a page deep in
the keyset paging (services.audit.audit_page, the query and the loading of the page's rows),
the whole page through the app for two filters, and a returnee's "who saw my data" (seen_by).
Prints medians and the plan of the returnee filter.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_hardening_bench"
STAFF = 60
RETURNEES = 20_000
REQUESTS = 30_000
KINDS = [
    "viewed_request",
    "viewed_referral",
    "viewed_api_referral",
    "assigned",
    "review_started",
    "referred",
    "message_added",
    "note_added",
]


def ensure_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def fresh_schema(url: str):
    from alembic import command

    from portal import create_app
    from portal.cli import alembic_config

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": url})
    with app.app_context():
        cfg = alembic_config()
        cfg.attributes["skip_logging"] = True
        command.upgrade(cfg, "head")
    return app


def load_people(conn) -> None:
    conn.execute(
        text(
            """
            INSERT INTO users (role, email, full_name, password_hash, preferred_locale,
                               is_active, is_partner_lead, created_at)
            SELECT CASE WHEN g % 10 = 0 THEN 'admin' ELSE 'social_worker' END,
                   'staff' || g || '@bench.az', 'Staff ' || g, 'x', 'az', true, false, now()
            FROM generate_series(1, :n) g
            """
        ),
        {"n": STAFF},
    )
    conn.execute(
        text(
            """
            INSERT INTO users (role, phone, full_name, password_hash, preferred_locale,
                               is_active, is_partner_lead, created_at)
            SELECT 'returnee', '+99450' || lpad(g::text, 7, '0'), 'Returnee ' || g, 'x', 'az',
                   true, false, now()
            FROM generate_series(1, :n) g
            """
        ),
        {"n": RETURNEES},
    )
    conn.execute(
        text(
            """
            INSERT INTO assistance_requests (reference, owner_id, category, answers, urgency,
                priority, priority_rank, region_code, status, times_declined, created_at,
                updated_at, status_changed_at, activity_at, version)
            SELECT 'B' || lpad(to_hex(g), 3, '0') || '-' || lpad(to_hex(g * 7 % 65536), 4, '0'),
                   (SELECT min(id) FROM users WHERE role = 'returnee') + (g % :r),
                   'housing', '{}', 'this_week', 'normal', 1, 'baku', 'in_review', 0,
                   now(), now(), now(), now(), 1
            FROM generate_series(1, :n) g
            """
        ),
        {"n": REQUESTS, "r": RETURNEES},
    )


def load_events(conn, count: int, offset: int) -> None:
    """`count` events over two years; each on one request, acted by one of the staff."""
    conn.execute(
        text(
            """
            WITH bounds AS (
                SELECT (SELECT min(id) FROM users WHERE role <> 'returnee') AS staff0,
                       (SELECT min(id) FROM assistance_requests) AS req0
            ), series AS (
                SELECT g, (g * 7919) % :requests AS r
                FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) g
            )
            INSERT INTO events (kind, actor_id, subject_type, subject_id, request_id,
                                returnee_id, public, data, created_at)
            SELECT (CAST(:kinds AS text[]))[1 + (g % :nkinds)],
                   b.staff0 + (g % :staff),
                   'request', b.req0 + s.r, b.req0 + s.r,
                   ar.owner_id, false, '{"role": "social_worker"}',
                   now() - make_interval(secs => (g * 61) % (730 * 86400))
            FROM series s CROSS JOIN bounds b
            JOIN assistance_requests ar ON ar.id = b.req0 + s.r
            """
        ),
        {
            "start": offset + 1,
            "stop": offset + count,
            "requests": REQUESTS,
            "kinds": KINDS,
            "nkinds": len(KINDS),
            "staff": STAFF,
        },
    )
    conn.execute(text("ANALYZE events"))


def median_ms(fn, runs: int) -> float:
    fn()  # warm the cache
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def cases(conn):
    from portal.services.audit import AuditFilters

    actor = conn.scalar(text("SELECT min(id) FROM users WHERE role = 'social_worker'"))
    returnee = conn.scalar(text("SELECT owner_id FROM assistance_requests ORDER BY id LIMIT 1"))
    request = conn.scalar(text("SELECT min(id) FROM assistance_requests"))
    since = conn.scalar(text("SELECT now() - interval '30 days'"))
    until = conn.scalar(text("SELECT now() - interval '20 days'"))
    return [
        ("no filter", AuditFilters()),
        ("by actor", AuditFilters(actor_id=actor)),
        ("by returnee", AuditFilters(returnee_id=returnee)),
        ("by request", AuditFilters(request_id=request)),
        ("views only", AuditFilters(kind="views")),
        ("one kind", AuditFilters(kind="viewed_referral")),
        ("10 days", AuditFilters(since=since, until=until)),
        ("actor + 10 days", AuditFilters(actor_id=actor, since=since, until=until)),
    ]


def time_queries(engine, runs: int) -> None:
    from portal.services.audit import audit_page, seen_by

    with Session(engine) as session:
        for name, filters in cases(session.connection()):

            def first(filters=filters):
                return audit_page(session, filters, None, 50)

            page = first()
            cursor = page.next_cursor
            for _ in range(9):  # ten pages in
                if cursor is None:
                    break
                cursor = audit_page(session, filters, cursor, 50).next_cursor

            def deep(filters=filters, cursor=cursor):
                return audit_page(session, filters, cursor, 50)

            first_ms = median_ms(first, runs)
            deep_ms = median_ms(deep, runs) if cursor is not None else float("nan")
            print(
                f"  {name:<16} first page {first_ms:7.2f} ms   11th page {deep_ms:7.2f} ms"
                f"   ({len(page.events)} rows)"
            )
        # What a returnee's page shows: who saw their data, counted in SQL.
        returnee = session.scalar(
            text("SELECT owner_id FROM assistance_requests ORDER BY id LIMIT 1")
        )
        views = session.scalar(
            text("SELECT count(*) FROM events WHERE returnee_id = :r AND kind LIKE 'viewed%'"),
            {"r": returnee},
        )
        seen_ms = median_ms(lambda: seen_by(session, returnee), runs)
        print(f"  {'seen by':<16} {seen_ms:7.2f} ms   (a returnee's {views} views, grouped)")
        # A returnee whose request sits in inboxes for months: 100,000 views of their own
        # (partner staff, their systems, social workers), added for this and rolled back.
        heavy = session.scalar(text("SELECT max(owner_id) FROM assistance_requests"))
        session.execute(
            text(
                """
                INSERT INTO events (kind, actor_id, subject_type, subject_id, returnee_id,
                                    public, data, created_at)
                SELECT (ARRAY['viewed_referral', 'viewed_api_referral', 'viewed_request'])
                           [1 + g % 3],
                       NULL, 'user', :r, :r, false,
                       CASE WHEN g % 3 = 2 THEN '{"role": "social_worker"}'
                            ELSE json_build_object('role', 'partner', 'partner_id', 1 + g % 4)::text
                       END::json,
                       now() - make_interval(secs => g)
                FROM generate_series(1, 100000) g
                """
            ),
            {"r": heavy},
        )
        heavy_ms = median_ms(lambda: seen_by(session, heavy), runs)
        groups = len(seen_by(session, heavy))
        print(f"  {'seen by, heavy':<16} {heavy_ms:7.2f} ms   (100,000+ views, {groups} groups)")
        session.rollback()


def time_pages(app, runs: int) -> None:
    from portal.db import db
    from portal.models import Role
    from portal.services.accounts import create_user

    with app.app_context():
        create_user(
            db,
            role=Role.ADMIN,
            full_name="Bench Admin",
            password="bench-password-1",  # noqa: S106 - a throwaway bench database
            email="b@x.az",
        )
        db.commit()
        returnee = db.execute(
            text("SELECT phone FROM users WHERE role='returnee' LIMIT 1")
        ).scalar()
    client = app.test_client()
    token_page = client.get("/en/sign-in").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token_page).group(1)
    client.post(
        "/en/sign-in", data={"csrf_token": token, "login": "b@x.az", "password": "bench-password-1"}
    )
    for name, query in (("page, no filter", {}), ("page, by returnee", {"returnee": returnee})):

        def get(query=query):
            response = client.get("/en/admin/audit", query_string=query)
            assert response.status_code == 200

        print(f"  {name:<20} {median_ms(get, runs):7.2f} ms (whole request through the app)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 3_000_000])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    app = fresh_schema(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        load_people(conn)
    loaded = 0
    for size in sorted(args.sizes):
        start = time.perf_counter()
        with engine.begin() as conn:
            load_events(conn, size - loaded, loaded)
        loaded = size
        with engine.connect() as conn:
            total = conn.scalar(text("SELECT count(*) FROM events"))
            pretty = conn.scalar(text("SELECT pg_size_pretty(pg_total_relation_size('events'))"))
        print(
            f"\n{total:,} events ({pretty} with indexes; loaded in "
            f"{time.perf_counter() - start:.0f} s), median of {args.runs} runs:"
        )
        time_queries(engine, args.runs)
        if size == max(args.sizes):
            time_pages(app, args.runs)
    with engine.connect() as conn, Session(bind=conn) as session:
        from portal.services.audit import AuditFilters, audit_query

        returnee = conn.scalar(text("SELECT owner_id FROM assistance_requests ORDER BY id LIMIT 1"))
        query = audit_query(AuditFilters(returnee_id=returnee)).limit(51)
        compiled = query.compile(session.bind, compile_kwargs={"literal_binds": True})
        plan = conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}")).scalars().all()
        print("\nplan of the returnee filter:\n  " + "\n  ".join(plan))
    engine.dispose()


if __name__ == "__main__":
    main()
