"""Time the reports page, the case-level CSV export and the caseload table on PostgreSQL.

    python bench/reports_bench.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/portal_reports_bench]
                                  [--requests 100000] [--runs 9] [--keep] [--explain]
                                  [--replicate N] [--rebuild] [--load-only]
                                  [--plans FILE] [--spread]

The data is the queue benchmark's (bench/queue_bench.py: its fresh_database and load), then
enriched with what the reports read and the queue loader leaves out: milestone times (derived
from its events, as the migration does), partner answers with their times and decline reasons,
assistance records with amounts, and returnees' registration dates and countries; milestone
times are then spread to the minute (SPREAD: the loader's are whole hours). --keep reuses
a loaded database (loading 1M requests takes a long while on a small machine). After loading or
replicating (and with --rebuild) the schema is upgraded and the reports' summary table is
recounted, as `flask --app portal reports rebuild` does.

Printed: median/min/max milliseconds per page (through the test client, signed in), the SQL
statements of the reports page with their time, the export's rows per second and the bench
process's resident memory while the CSV streams (sampled; the peak is reset before the export),
and with --explain the plans of the slowest statements.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from queue_bench import NOW, PASSWORD, conninfo, fresh_database, load  # noqa: E402

from portal import create_app  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_reports_bench"
ADMIN_EMAIL = "admin@bench.example.az"
WORKER_EMAIL = "worker0@bench.example.az"

# Minutes added to the loader's milestone times (whole hours after submission, the first review
# even at submission): spread to the minute, repeatably and in order (review, then referral,
# acceptance and help), as people's work is. Without it the summary's minute counts would hold
# a few dozen values per day and kind, far fewer rows than real durations give.
J_REVIEW = "((r.id::bigint * 7919) % 1440) * interval '1 minute'"
J_LATER = "(1440 + (r.id::bigint * 104729) % 1440) * interval '1 minute'"

ENRICH = [
    # partner answers: hours and minutes after the referral, pseudo-random but repeatable
    """UPDATE referrals SET
         responded_at = created_at + ((id::bigint * 7919) % 240 + 1) * interval '1 hour'
           + ((id::bigint * 31) % 60) * interval '1 minute'
       WHERE status IN ('accepted', 'completed', 'declined')""",
    """UPDATE referrals SET decline_reason = (ARRAY['no_capacity','outside_area','not_our_kind',
         'other'])[(id % 4) + 1] WHERE status = 'declined'""",
    """UPDATE referrals SET completed_at = responded_at + ((id::bigint * 104729) % 400 + 1)
         * interval '1 hour' WHERE status = 'completed'""",
    # milestones, from the loader's events (as the migration's backfill) and the partner's
    # answers, in one pass over the requests (each pass rewrites a million rows and their
    # twenty indexes)
    f"""UPDATE assistance_requests r SET
         first_reviewed_at = e.reviewed + {J_REVIEW},
         referred_at = e.referred + {J_LATER},
         accepted_at = f.responded_at + {J_LATER},
         helped_at = f.completed_at + {J_LATER}
       FROM (SELECT request_id,
               min(created_at) FILTER (WHERE from_status = 'submitted'
                                         AND to_status <> 'withdrawn') AS reviewed,
               min(created_at) FILTER (WHERE to_status = 'referred') AS referred
             FROM events WHERE from_status = 'submitted' OR to_status = 'referred'
             GROUP BY request_id) e
       LEFT JOIN referrals f ON f.request_id = e.request_id
                            AND f.status IN ('accepted', 'completed')
       WHERE e.request_id = r.id""",
    """INSERT INTO assistance_records (referral_id, request_id, kind, given_on, description,
         amount_azn, units, recorded_by_id, created_at)
       SELECT f.id, f.request_id,
              CASE r.category WHEN 'housing' THEN 'rent_support'
                              WHEN 'employment' THEN 'vocational_training'
                              ELSE 'document_fees' END,
              (f.completed_at AT TIME ZONE 'Asia/Baku')::date, 'Bench', (f.id % 50) * 10 + 20,
              NULL, NULL, f.completed_at
       FROM referrals f JOIN assistance_requests r ON r.id = f.request_id
       WHERE f.status = 'completed'""",
    # returnees registered over three years, from ten countries
    """UPDATE returnee_profiles SET
         created_at = now() - ((id::bigint * 7919) % 1095) * interval '1 day',
         country_returned_from = (ARRAY['DE','FR','BE','NL','AT','SE','NO','CH','ME','PL'])
           [(id % 10) + 1]""",
]

ENRICHED = ("assistance_requests", "referrals", "assistance_records", "returnee_profiles")

# For a database loaded before the spread was part of ENRICH (--spread, once).
SPREAD = [
    """UPDATE assistance_requests SET
         first_reviewed_at = first_reviewed_at + ((id::bigint * 7919) % 1440) * interval '1 minute',
         referred_at = referred_at + (1440 + (id::bigint * 104729) % 1440) * interval '1 minute',
         accepted_at = accepted_at + (1440 + (id::bigint * 104729) % 1440) * interval '1 minute',
         helped_at = helped_at + (1440 + (id::bigint * 104729) % 1440) * interval '1 minute'
       WHERE first_reviewed_at IS NOT NULL""",
    """UPDATE referrals SET
         responded_at = responded_at + ((id::bigint * 31) % 60) * interval '1 minute'
       WHERE responded_at IS NOT NULL""",
]


def spread(url: str) -> None:
    t0 = time.perf_counter()
    with psycopg.connect(conninfo(url)) as conn:
        for sql in SPREAD:
            conn.execute(sql)
        conn.commit()
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE assistance_requests")
        conn.execute("VACUUM ANALYZE referrals")
    print(f"milestone times spread to the minute in {time.perf_counter() - t0:.1f} s")


def replicate(url: str, times: int) -> None:
    """Grow a loaded and enriched database `times`-fold inside PostgreSQL: copies of every
    request (same dates, kinds, regions, statuses, workers; references starting with U, a
    letter Crockford codes never use), of their referrals and assistance records. Events and
    messages are not copied: the reports, the export and the caseload do not read them.
    Loading a million requests through the Python loader takes too long on a busy 2-core box."""
    t0 = time.perf_counter()
    with psycopg.connect(conninfo(url)) as conn:
        n_req = conn.execute("SELECT max(id) FROM assistance_requests").fetchone()[0]
        n_ref = conn.execute("SELECT coalesce(max(id), 0) FROM referrals").fetchone()[0]
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'assistance_requests' ORDER BY ordinal_position")]  # fmt: skip
        for k in range(1, times):
            rest = [c for c in cols if c not in ("id", "reference")]
            conn.execute(
                f"INSERT INTO assistance_requests (id, reference, {', '.join(rest)}) "  # noqa: S608
                f"SELECT id + {k * n_req}, 'U' || lpad(((id + {k * n_req}) / 10000)::text, 3, '0')"
                f" || '-' || lpad(((id + {k * n_req}) % 10000)::text, 4, '0'), {', '.join(rest)}"
                f" FROM assistance_requests WHERE id <= {n_req}"
            )
            conn.execute(
                "INSERT INTO referrals (id, request_id, partner_id, status, sent_by_id, note,"  # noqa: S608
                " decline_reason, decline_note, outcome, created_at, updated_at, responded_at,"
                f" completed_at) SELECT id + {k * n_ref}, request_id + {k * n_req}, partner_id,"
                " status, sent_by_id, note, decline_reason, decline_note, outcome, created_at,"
                f" updated_at, responded_at, completed_at FROM referrals WHERE id <= {n_ref}"
            )
            conn.execute(
                "INSERT INTO assistance_records (referral_id, request_id, kind, given_on,"  # noqa: S608
                " description, amount_azn, units, recorded_by_id, created_at)"
                f" SELECT referral_id + {k * n_ref}, request_id + {k * n_req}, kind, given_on,"
                " description, amount_azn, units, recorded_by_id, created_at"
                f" FROM assistance_records WHERE referral_id <= {n_ref}"
            )
            conn.commit()
        for table in ("assistance_requests", "referrals", "assistance_records"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"replicated {times}-fold in {time.perf_counter() - t0:.1f} s")


def enrich(url: str) -> None:
    t0 = time.perf_counter()
    with psycopg.connect(conninfo(url)) as conn:
        for sql in ENRICH:
            conn.execute(sql)
        conn.commit()
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        for table in ENRICHED:
            conn.execute(f"VACUUM ANALYZE {table}")
    print(f"enriched for the reports in {time.perf_counter() - t0:.1f} s")


def rebuild_summary(url: str) -> None:
    """Bring the schema to head and recount the reports' summary table (the loader and the
    replication write with COPY and SQL, past the services that keep it): what
    `flask --app portal reports rebuild` does."""
    from alembic import command

    from portal.cli import alembic_config
    from portal.db import db
    from portal.services.report_tallies import rebuild

    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": url})
    with app.app_context():
        cfg = alembic_config()
        cfg.attributes["skip_logging"] = True
        command.upgrade(cfg, "head")
        t0 = time.perf_counter()
        rows = rebuild(db)
        db.commit()
        db.remove()
    app.extensions["db"].engine.dispose()
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE report_tallies")
    print(f"summary table rebuilt: {rows:,} rows in {time.perf_counter() - t0:.1f} s")


def sign_in(app, email: str):
    client = app.test_client()
    page = client.get("/en/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/en/sign-in", data={"csrf_token": token, "login": email, "password": PASSWORD}
    )
    assert response.status_code == 302, response.status_code
    return client


def rss_kib() -> tuple[int, int]:
    """(current, peak) resident memory of this process in KiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def time_views(client, views, runs: int, engine, statements: dict) -> None:
    captured: list[tuple[str, object, float]] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        conn.info["t0"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        captured.append((statement, parameters, (time.perf_counter() - conn.info["t0"]) * 1000))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    print(f"\n{'view':<50} {'median':>8} {'min':>8} {'max':>8} {'queries':>8}")
    for label, path in views:
        for _ in range(2):
            assert client.get(path).status_code == 200, path
        times = []
        for _ in range(runs):
            captured.clear()
            t = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, path
        statements[label] = list(captured)
        print(
            f"{label:<50} {statistics.median(times):8.1f} {min(times):8.1f} {max(times):8.1f}"
            f" {len(captured):8d}"
        )
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)


def export(client, start: str, end: str) -> None:
    page = client.get(f"/en/reports/cases?period=custom&start={start}&end={end}")
    html = page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    data = {"csrf_token": token.group(1), "period": "custom", "start": start, "end": end,
            "personal": "0"}  # fmt: skip
    reset_peak()
    rss0, _ = rss_kib()
    t = time.perf_counter()
    response = client.post("/en/reports/cases", data=data, buffered=False)
    assert response.status_code == 200, response.status_code
    rows = -1  # the header
    size = 0
    samples = []
    for chunk in response.response:
        data_bytes = chunk if isinstance(chunk, bytes) else chunk.encode()
        size += len(data_bytes)
        before = rows
        rows += data_bytes.count(b"\n")  # LF ends every row (CRLF too)
        if rows // 100_000 != before // 100_000:
            samples.append((rows, rss_kib()[0]))
    response.close()
    elapsed = time.perf_counter() - t
    rss1, peak = rss_kib()
    print(
        f"\ncase export ({start} to {end}): {rows:,} rows, {size / 1e6:.1f} MB in {elapsed:.1f} s"
        f" = {rows / elapsed:,.0f} rows/s"
    )
    print(
        f"bench process memory: {rss0 / 1024:.0f} MiB before, peak {peak / 1024:.0f} MiB while"
        f" streaming, {rss1 / 1024:.0f} MiB after"
    )
    if samples:
        print(
            "resident memory every 100,000 rows (MiB): "
            + ", ".join(f"{r // 1000}k:{m / 1024:.0f}" for r, m in samples)
        )


def explain(engine, statements: dict, label: str, top: int, out=None, full=False) -> None:
    """The SQL of one timed view, slowest first, and EXPLAIN ANALYZE of the `top` slowest (to
    stdout, and the plans with their whole statements to `out` when given)."""
    if label not in statements:
        return
    slowest = sorted(statements[label], key=lambda s: -s[2])[:top]
    print(f"\nSQL of '{label}' (one run), slowest first:")
    for statement, _params, ms in sorted(statements[label], key=lambda s: -s[2]):
        print(f"  {ms:7.1f} ms  {' '.join(statement.split())[:110]}")
    if out is not None:
        out.write(f"\n\n===== {label} =====\n")
    for statement, params, ms in slowest:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, COSTS OFF, BUFFERS OFF) " + statement, params)
                lines = [r[0] for r in cur.fetchall()]
        print(f"\n--- {ms:.1f} ms: {' '.join(statement.split())[:200]}")
        for line in lines:
            print("   " + line)
        if out is not None:
            out.write(f"\n--- {ms:.1f} ms in the timed run\n")
            out.write(" ".join(statement.split()) + "\n")
            if params:
                out.write(f"parameters: {params!r}\n")
            out.write("\n".join(lines) + "\n")


def explain_export(app, start: str, end: str, out=None) -> None:
    """EXPLAIN ANALYZE of the case export's query (the route runs it inside COPY … TO STDOUT,
    which the statement hooks do not see)."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from flask import g

    from portal.db import db
    from portal.services import exports
    from portal.services import reports as svc

    engine = app.extensions["db"].engine
    with app.test_request_context("/en/reports/cases"):
        g.lang_code = "en"
        tz = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
        period = svc.Period(
            svc.PeriodKind.CUSTOM, date.fromisoformat(start), date.fromisoformat(end)
        )
        stmt = exports.case_statement(engine, db, period, svc.Filters(), tz, "en", False)
        compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
        db.remove()
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur:
            work_mem = app.config["REPORTS_WORK_MEM"]
            cur.execute("SELECT set_config('work_mem', %s, true)", (work_mem,))
            cur.execute("EXPLAIN (ANALYZE, COSTS OFF, BUFFERS OFF) " + compiled.string,
                        compiled.params)  # fmt: skip
            lines = [r[0] for r in cur.fetchall()]
    print(f"\n--- the case export's query ({start} to {end}), run inside COPY … TO STDOUT:")
    for line in lines:
        print("   " + line)
    if out is not None:
        out.write(f"\n\n===== case export ({start} to {end}) =====\n")
        out.write("(the route runs it as COPY (this query) TO STDOUT WITH (FORMAT csv))\n")
        out.write(" ".join(compiled.string.split()) + "\n")
        out.write("\n".join(lines) + "\n")


def calibrate(url: str) -> None:
    """How busy the shared machine is: the same fixed work in Python and in PostgreSQL."""
    t = time.perf_counter()
    sum(i * i for i in range(2_000_000))
    py = (time.perf_counter() - t) * 1000
    with psycopg.connect(conninfo(url)) as conn:
        t = time.perf_counter()
        conn.execute("SELECT count(*) FROM generate_series(1, 2000000)").fetchone()
        pg = (time.perf_counter() - t) * 1000
    load1 = os.getloadavg()[0]
    print(
        f"machine: load average {load1:.1f} on {os.cpu_count()} cores; fixed Python work"
        f" {py:.0f} ms, fixed PostgreSQL work {pg:.0f} ms (compare runs by these)"
    )


def bench(
    url: str, runs: int, show_plans: bool, skip_export: bool = False, plans_file: str | None = None
) -> None:
    calibrate(url)
    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": url})
    engine = app.extensions["db"].engine
    with psycopg.connect(conninfo(url)) as conn:
        n = conn.execute("SELECT count(*) FROM assistance_requests").fetchone()[0]
        n_open = conn.execute(
            "SELECT count(*) FROM assistance_requests WHERE status NOT IN ('closed','withdrawn')"
        ).fetchone()[0]
    today = NOW.date()
    three_years = (today - timedelta(days=3 * 366)).isoformat()
    print(f"\n{n:,} requests, {n_open:,} open; {runs} runs per view (after 2 warm-up runs)")
    admin = sign_in(app, ADMIN_EMAIL)
    worker = sign_in(app, WORKER_EMAIL)
    statements: dict = {}
    views = [
        ("reports, this month", "/en/reports/?period=this_month"),
        ("reports, last month", "/en/reports/?period=last_month"),
        ("reports, 15 days (this month in mid-month)",
         f"/en/reports/?period=custom&start={(today - timedelta(days=14)).isoformat()}"
         f"&end={today.isoformat()}"),
        ("reports, this year", "/en/reports/?period=year"),
        ("reports, this year, housing in Baku",
         "/en/reports/?period=year&kind=housing&region=baku"),
        ("reports, three years (custom)",
         f"/en/reports/?period=custom&start={three_years}&end={today.isoformat()}"),
        ("one figure as CSV (requests by kind, year)",
         "/en/reports/figures/requests_by_kind.csv?period=year"),
        ("printable monthly report (last month)", "/en/reports/monthly"),
        ("caseload table (admin)", "/en/reports/caseload/"),
    ]  # fmt: skip
    time_views(admin, views, runs, engine, statements)
    time_views(worker, [("my requests (a social worker)", "/en/reports/caseload/mine")], runs,
               engine, statements)  # fmt: skip
    if not skip_export:
        export(admin, three_years, today.isoformat())
    calibrate(url)
    if show_plans:
        out = open(plans_file, "w", encoding="utf-8") if plans_file else None  # noqa: SIM115
        if out is not None:
            out.write(f"EXPLAIN ANALYZE of the reports' statements: {n:,} requests, {n_open:,} open"
                      f" (bench/reports_bench.py --explain --plans {plans_file}); load average"
                      f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")  # fmt: skip
        explain(engine, statements, "reports, this month", 3, out)
        explain(engine, statements, "reports, last month", 6, out)
        explain(engine, statements, "reports, this year", 6, out)
        explain(engine, statements, "reports, three years (custom)", 4, out)
        explain(engine, statements, "one figure as CSV (requests by kind, year)", 1, out)
        explain(engine, statements, "caseload table (admin)", 1, out)
        explain(engine, statements, "my requests (a social worker)", 2, out)
        if not skip_export:
            explain_export(app, three_years, today.isoformat(), out)
        if out is not None:
            out.close()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="reuse an already loaded database")
    parser.add_argument("--explain", action="store_true", help="print the plans")
    parser.add_argument("--plans", help="with --explain, also write the plans to this file")
    parser.add_argument(
        "--rebuild", action="store_true", help="recount the summary table (with --keep)"
    )
    parser.add_argument("--skip-export", action="store_true", help="time the pages only")
    parser.add_argument(
        "--spread",
        action="store_true",
        help="with --keep: spread a database loaded before SPREAD existed (once), then rebuild",
    )
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="load (or replicate, rebuild) and stop: run it under nice, then time with --keep",
    )
    parser.add_argument(
        "--replicate", type=int, default=0, help="grow a loaded database N-fold in SQL first"
    )
    args = parser.parse_args()
    if not args.url.startswith("postgresql"):
        parser.error("the bench needs PostgreSQL (postgresql+psycopg://…)")
    if not args.keep:
        fresh_database(args.url)
        load(args.url, args.requests)
        enrich(args.url)
    elif args.spread:
        spread(args.url)
    if args.replicate > 1:
        replicate(args.url, args.replicate)
    if not args.keep or args.replicate > 1 or args.rebuild or args.spread:
        rebuild_summary(args.url)
    if args.load_only:
        return
    bench(args.url, args.runs, args.explain, args.skip_export, args.plans)


if __name__ == "__main__":
    main()
