"""Load 100,000 requests into PostgreSQL and time the triage queue's main views.

    python bench/queue_bench.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench]
                                [--requests 100000] [--runs 15] [--keep] [--json]
                                [--compare postgresql+psycopg://…/portal_bench_1m]

The database (BENCH_DATABASE_URL, or --url) is created when missing and its public schema is
rebuilt by the migrations, then filled with COPY through psycopg: returnees with profiles,
social workers, partners with coverage, requests spread over three years (older ones mostly
closed), referrals, messages and 3-6 events per request. --keep reuses a loaded database.
Each view is then requested through the test client, signed in as a social worker; the script
prints median/min/max milliseconds and the number of SQL queries per view, and the plans
(EXPLAIN ANALYZE) of the queue's page query for the first and the deep page. Each view is
timed fresh (the queue's data version moved on before each run, as any change to the queue
does, so the page is built) and kept (the same page again with nothing changed: the queue
shows the page it kept, services/versions.py). --compare times the same views on a second
loaded database in the same runs, one after the other, and prints the ratios: the machine's
speed drifts, and two runs minutes apart do not compare.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.models.request import CROCKFORD  # noqa: E402
from portal.names import name_key, phone_tail_key, sort_key, stored_name_key  # noqa: E402
from portal.regions import all_regions  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench"
PASSWORD = "bench-password-2026"  # noqa: S105 - a throwaway bench database
WORKER_EMAIL = "worker0@bench.example.az"
NOW = datetime.now(UTC).replace(microsecond=0)
OPEN_STATUSES = ["submitted", "in_review", "needs_info", "referred", "in_progress",
                 "assistance_provided"]  # fmt: skip
FIRST_NAMES = ["Elvin", "Günel", "Rustam", "Orxan", "Sevinc", "Natavan", "Murad", "Aysel",
               "Eldar", "Ramil", "Lalə", "Vüsal", "Zaur", "Könül", "Tofiq", "Aygün"]  # fmt: skip
LAST_NAMES = ["Məmmədov", "Əliyeva", "Hasanov", "Hüseynov", "Quliyeva", "İsmayılova", "Abbasov",
              "Nəsirova", "Kərimov", "Səfərov", "Rzayev", "Bağırov"]  # fmt: skip
FIRST_WORKER = 2
FLAG_EVERY = 50  # one returnee in FLAG_EVERY has a possible duplicate


def conninfo(url: str, database: str | None = None) -> str:
    u = make_url(url)
    if database:
        u = u.set(database=database)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


def fresh_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    from alembic import command

    from portal.cli import alembic_config

    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": url})
    with app.app_context():
        cfg = alembic_config()
        cfg.attributes["skip_logging"] = True
        command.upgrade(cfg, "head")
    app.extensions["db"].engine.dispose()


def _copy(conn, table: str, columns: list[str], rows) -> int:
    n = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def _reference(rid: int) -> str:
    """A unique, non-sequential code per id (an odd multiplier permutes 40-bit numbers)."""
    n = (rid * 0x9E3779B97F) % (1 << 40)
    chars = "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def _returnee_name(uid: int, seed: int) -> str:
    """The name of returnee `uid`, the same on every call: a request's row carries its
    owner's sort key without a table of every returnee's name in memory."""
    h = ((uid + seed) * 0x9E3779B1) >> 7  # a multiplicative hash: cheap, well spread
    return f"{FIRST_NAMES[h % len(FIRST_NAMES)]} {LAST_NAMES[(h >> 8) % len(LAST_NAMES)]}"


def _worker_name(uid: int) -> str:
    return f"Worker {uid - FIRST_WORKER}"


_SORT_KEYS: dict[str, str] = {}  # a few hundred names: each folded once
_SEARCH_KEYS: dict[str, str | None] = {}


def _search_key(name: str) -> str | None:
    if name not in _SEARCH_KEYS:
        _SEARCH_KEYS[name] = stored_name_key(name)
    return _SEARCH_KEYS[name]


def _sort_key(name: str | None) -> str:
    if name is None:
        return ""
    if name not in _SORT_KEYS:
        _SORT_KEYS[name] = sort_key(name)
    return _SORT_KEYS[name]


def _plan(rid, n_requests, n_returnees, first_returnee, workers, regions, weights, seed):
    """Everything about request `rid`, the same on every call (its own random stream)."""
    rng = random.Random(seed * 1_000_003 + rid)  # noqa: S311 - made-up data
    span = timedelta(days=3 * 365)
    created = NOW - span * (1 - rid / n_requests) ** 1.3 - timedelta(seconds=rng.randint(0, 3600))
    fresh = (NOW - created).days
    p_open = 0.9 if fresh < 30 else 0.35 if fresh < 180 else 0.05
    status = (
        rng.choice(OPEN_STATUSES)
        if rng.random() < p_open
        else rng.choice(["closed"] * 9 + ["withdrawn"])
    )
    owner = first_returnee + rng.randrange(n_returnees)
    category = rng.choice(["housing", "employment", "documentation"])
    prio = rng.choices(["low", "normal", "high", "urgent"], [1, 12, 3, 1])[0]
    rank = {"low": 0, "normal": 1, "high": 2, "urgent": 3}[prio]
    assignee = None if status == "submitted" else rng.choice(workers)
    changed = created + timedelta(hours=rng.randint(1, 72))
    if status == "submitted":
        changed = created
    declined = 1 if status == "in_review" and rng.random() < 0.1 else 0
    closed_at = changed if status in ("closed", "withdrawn") else None
    outcome = (
        rng.choice(["help_given", "duplicate", "not_eligible"])
        if status == "closed"
        else ("withdrawn" if status == "withdrawn" else None)
    )
    # the last thing needing the worker: an answer or a decline after submission
    activity = changed if status in ("in_review", "assistance_provided") else created
    fresh_news = status in OPEN_STATUSES and assignee is not None and rng.random() < 0.05
    request = (rid, _reference(rid), owner, category, None,
               json.dumps({"document": "passport", "what_happened": "lost"}),
               None, "this_week", prio, rank, rng.choices(regions, weights)[0],
               status, assignee, outcome, None, declined, created, changed,
               changed, closed_at, 1, activity, fresh_news,
               _sort_key(_returnee_name(owner, seed)),
               _sort_key(_worker_name(assignee) if assignee else None),
               _search_key(_returnee_name(owner, seed)))  # fmt: skip
    ev = [("submitted", owner, None, "submitted", True, {}, created)]
    if assignee:
        ev.append(("assigned", assignee, None, None, False, {"to": assignee}, created))
        ev.append(("review_started", assignee, "submitted", "in_review", True, {}, created))
    message = None
    if rng.random() < 0.3:
        message = (rid, assignee or workers[0], "Zəng etdim, cavab vermədi.", "internal", False,
                   created)  # fmt: skip
        ev.append(("note_added", assignee or workers[0], None, None, False, {}, created))
    referral = None
    if status in ("referred", "in_progress", "assistance_provided") or declined:
        pid = rng.randint(1, 19)
        ref_status = {
            "referred": "pending",
            "in_progress": "accepted",
            "assistance_provided": "completed",
        }.get(status, "declined")
        referral = (rid, pid, ref_status, assignee, None, created, changed)
        ev.append(("referred", assignee, "in_review", "referred", True, {"partner_id": pid},
                   changed))  # fmt: skip
    if status in ("closed", "withdrawn"):
        ev.append((status, assignee or owner, "in_review", status, True, {}, changed))
    return {"request": request, "referral": referral, "message": message, "events": ev}


def load(url: str, n_requests: int, seed: int = 4) -> None:
    from portal.passwords import hash_password

    rng = random.Random(seed)  # noqa: S311 - made-up data
    regions = list(all_regions())
    weights = [30 if r == "baku" else 6 if r in ("ganja", "sumgait") else 1 for r in regions]
    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": url})
    with app.app_context():
        pw = hash_password(PASSWORD)
    app.extensions["db"].engine.dispose()
    t0 = time.perf_counter()
    n_returnees = n_requests * 2 // 5
    with psycopg.connect(conninfo(url)) as conn:
        # staff and partners
        users = [(1, "admin", None, "admin@bench.example.az", "Bench Admin", pw, "az", True,
                  None, False, NOW, None)]  # fmt: skip
        workers = list(range(FIRST_WORKER, FIRST_WORKER + 20))
        for i, uid in enumerate(workers):
            users.append((uid, "social_worker", None, f"worker{i}@bench.example.az",
                          _worker_name(uid), pw, "az", True, None, False, NOW, None))  # fmt: skip
        partners, coverage = [], []
        kinds = ["ngo", "state_agency", "international"]
        for pid in range(1, 21):
            partners.append((pid, f"Tərəfdaş {pid}", f"Партнёр {pid}", f"Partner {pid}",
                             kinds[pid % 3], None, None, None, rng.randint(5, 60), pid != 20,
                             NOW, NOW))  # fmt: skip
            for cat in rng.sample(["housing", "employment", "documentation"], rng.randint(1, 3)):
                for region in ["*"] if rng.random() < 0.3 else rng.sample(regions, 4):
                    coverage.append((len(coverage) + 1, pid, cat, region))
        _copy(conn, "partner_organisations",
              ["id", "name_az", "name_ru", "name_en", "kind", "contact_person", "phone", "email",
               "capacity", "is_active", "created_at", "updated_at"], partners)  # fmt: skip
        _copy(conn, "partner_coverage", ["id", "partner_id", "category", "region_code"], coverage)
        first_returnee = 100

        def user_rows():
            for row in users:
                yield (*row, name_key(row[4]), phone_tail_key(row[2]))
            for k in range(n_returnees):
                uid = first_returnee + k
                name = _returnee_name(uid, seed)
                locale = rng.choice(["az", "az", "ru", "en"])
                phone = f"+99450{1000000 + k:07d}"
                yield (uid, "returnee", phone, None, name, pw, locale, True, None, False, NOW,
                       None, name_key(name), phone_tail_key(phone))  # fmt: skip

        user_cols = ["id", "role", "phone", "email", "full_name", "password_hash",
                     "preferred_locale", "is_active", "partner_id", "is_partner_lead",
                     "created_at", "last_login_at", "name_key", "phone_tail"]  # fmt: skip
        _copy(conn, "users", user_cols, user_rows())
        _copy(conn, "returnee_profiles",
              ["id", "user_id", "region_code", "household_size", "vulnerabilities",
               "contact_preference", "consent_version", "consent_at", "created_at", "updated_at",
               "has_duplicate_flags"],
              ((k + 1, first_returnee + k, rng.choices(regions, weights)[0], rng.randint(1, 7),
                json.dumps([]), "phone_call", "2026-12", NOW, NOW, NOW, k % FLAG_EVERY < 2)
               for k in range(n_returnees)))  # fmt: skip
        # Possible duplicates: every FLAG_EVERY-th returnee and the next, three in five still
        # open (the queue's "Possible duplicate" tag looks them up per row).
        flag_statuses = ["open", "open", "open", "dismissed", "linked"]
        _copy(conn, "duplicate_flags",
              ["id", "first_user_id", "second_user_id", "reason", "score", "status",
               "created_at", "version"],
              ((i + 1, first_returnee + k, first_returnee + k + 1, "same_phone", 100,
                flag_statuses[i % 5], NOW, 1)
               for i, k in enumerate(range(0, n_returnees - 1, FLAG_EVERY))))  # fmt: skip

        # requests, referrals, events, messages: each table streamed from the same plan of
        # each request (a generator per table), so memory stays flat at a million requests.
        counts = dict.fromkeys(("requests", "referrals", "events", "messages"), 0)

        def plans():
            for rid in range(1, n_requests + 1):
                yield _plan(rid, n_requests, n_returnees, first_returnee, workers, regions,
                            weights, seed)  # fmt: skip

        def request_rows():
            for p in plans():
                counts["requests"] += 1
                yield p["request"]

        def referral_rows():
            for p in plans():
                if p["referral"]:
                    counts["referrals"] += 1
                    yield (counts["referrals"], *p["referral"])

        def message_rows():
            for p in plans():
                if p["message"]:
                    counts["messages"] += 1
                    yield (counts["messages"], *p["message"])

        def event_rows():
            for p in plans():
                rid = p["request"][0]
                for kind, actor, frm, to, public, data, at in p["events"]:
                    counts["events"] += 1
                    yield (counts["events"], kind, actor, "request", rid, rid, frm, to, public,
                           json.dumps(data), at)  # fmt: skip

        _copy(conn, "assistance_requests",
              ["id", "reference", "owner_id", "category", "subtype", "answers", "description",
               "urgency", "priority", "priority_rank", "region_code", "status", "assignee_id",
               "close_outcome", "submission_key", "times_declined", "created_at", "updated_at",
               "status_changed_at", "closed_at", "version", "activity_at", "new_activity",
               "owner_sort_key", "assignee_sort_key", "owner_name_key"],
              request_rows())  # fmt: skip
        _copy(conn, "referrals",
              ["id", "request_id", "partner_id", "status", "sent_by_id", "note", "created_at",
               "updated_at"], referral_rows())  # fmt: skip
        _copy(conn, "messages",
              ["id", "request_id", "author_id", "body", "visibility", "for_partner",
               "created_at"], message_rows())  # fmt: skip
        event_cols = ["id", "kind", "actor_id", "subject_type", "subject_id", "request_id",
                      "from_status", "to_status", "public", "data", "created_at"]  # fmt: skip
        _copy(conn, "events", event_cols, event_rows())
        for table in ("users", "returnee_profiles", "partner_organisations", "partner_coverage",
                      "assistance_requests", "referrals", "messages", "events",
                      "duplicate_flags"):  # fmt: skip
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
    # The running counts (requests per status, partner load) the ORM keeps from now on.
    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": url})
    with app.app_context():
        from portal.db import db
        from portal.services.counts import recount

        recount(db)
        db.commit()
    app.extensions["db"].engine.dispose()
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"loaded {counts['requests']:,} requests, {n_returnees + 21:,} users, "
        f"{counts['events']:,} events, {counts['referrals']:,} referrals, "
        f"{counts['messages']:,} messages in {time.perf_counter() - t0:.1f} s "
        f"(peak memory {peak} MB)",
        file=sys.stderr,
    )


def _deep_cursor(url: str, where: str, order: str, fraction: float, sort: str) -> str:
    """The keyset token of a row `fraction` of the way into a listing (setup only). A name
    sort's token carries no name: the page reads it from the row (portal.triage.queue)."""
    with psycopg.connect(conninfo(url)) as conn:
        count = f"SELECT count(*) FROM assistance_requests WHERE {where}"  # noqa: S608
        total = conn.execute(count).fetchone()[0]
        rank, created, rid = conn.execute(
            f"SELECT priority_rank, created_at, id FROM assistance_requests WHERE {where} "  # noqa: S608
            f"ORDER BY {order} OFFSET %s LIMIT 1",
            (int(total * fraction),),
        ).fetchone()
    micros = (created - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    if sort == "priority":
        return f"priority.{rank}.{micros}.{rid}"
    if sort in ("returnee", "assignee"):
        return f"{sort}._.{micros}.{rid}"
    return f"{sort}.{micros}.{rid}"


REQUEST_PAGE = "request page"
BY_RETURNEE = "queue, sorted by returnee (column header)"
DEEP_BY_RETURNEE = "queue, deep keyset page (90%, by returnee)"
BY_ASSIGNEE = "queue, sorted by assignee, Z to A (column header)"


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


SEARCHED_NAME = "Hasanov"  # one returnee in twelve has this surname, at any size


@dataclass
class Target:
    """One loaded database and a signed-in client of an app on it."""

    url: str
    app: Any
    client: Any
    n_open: int
    views: dict[str, str]  # label -> path
    bumper: Any  # a connection of its own, to move the queue's data version on
    captured: list = field(default_factory=list)  # the SQL of the request being timed


def _target(url: str) -> Target:
    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": url, "PAGE_SIZE": 25})
    client = app.test_client()
    page = client.get("/en/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/en/sign-in", data={"csrf_token": token, "login": WORKER_EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 302, response.status_code
    open_list = "status IN ('" + "','".join(OPEN_STATUSES) + "')"
    deep_oldest = _deep_cursor(url, open_list, "created_at, id", 0.9, "oldest")
    deep_priority = _deep_cursor(
        url, open_list, "priority_rank DESC, created_at, id", 0.9, "priority"
    )
    deep_returnee = _deep_cursor(url, open_list, "owner_sort_key, created_at, id", 0.9, "returnee")
    with psycopg.connect(conninfo(url)) as conn:
        ref, rid = conn.execute(
            "SELECT r.reference, r.id FROM assistance_requests r WHERE r.status = 'in_review' "
            "ORDER BY r.id DESC LIMIT 1"
        ).fetchone()
        count = f"SELECT count(*) FROM assistance_requests WHERE {open_list}"  # noqa: S608
        n_open = conn.execute(count).fetchone()[0]
    views = {
        "queue, first page (all open, oldest first)": "/en/triage/",
        "queue, first page sorted by priority": "/en/triage/?sort=priority",
        "queue, filtered (housing, Ganja, unassigned)":
            "/en/triage/?kind=housing&region=ganja&assigned=unassigned",
        "queue, filtered (submitted, urgent)": "/en/triage/?status=submitted&priority=urgent",
        "queue, overdue only": "/en/triage/?overdue=1",
        "queue, all statuses, newest first": "/en/triage/?status=all&sort=newest",
        "queue, search by reference": f"/en/triage/?q={ref}",
        "queue, search by name": f"/en/triage/?q={SEARCHED_NAME}",
        "queue, search by phone": "/en/triage/?q=050+100+12+34",
        "queue, deep keyset page (90% into open, oldest)": f"/en/triage/?after={deep_oldest}",
        "queue, deep keyset page (90%, by priority)":
            f"/en/triage/?sort=priority&after={deep_priority}",
        "queue, sorted by Waiting (column header)": "/en/triage/?sort=waiting",
        "queue, sorted by region (column header)": "/en/triage/?sort=region",
        BY_RETURNEE: "/en/triage/?sort=returnee",
        DEEP_BY_RETURNEE: f"/en/triage/?sort=returnee&after={deep_returnee}",
        BY_ASSIGNEE: "/en/triage/?sort=-assignee",
        "queue, new activity only": "/en/triage/?new=1",
        REQUEST_PAGE: f"/en/triage/requests/{rid}",
        "public page (privacy notice)": "/en/privacy",
    }  # fmt: skip
    target = Target(
        url, app, client, n_open, views, psycopg.connect(conninfo(url), autocommit=True)
    )

    def _capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        target.captured.append((statement, parameters))

    event.listen(app.extensions["db"].engine, "before_cursor_execute", _capture)
    return target


def _time(target: Target, path: str, fresh: bool) -> tuple[float, float, int]:
    """One request: wall and CPU milliseconds, SQL statements."""
    if fresh:  # what a change to the queue does (services/versions.py), not timed
        target.bumper.execute("UPDATE data_versions SET n = n + 1 WHERE name = 'queue'")
    target.captured.clear()
    t, c = time.perf_counter(), time.process_time()
    response = target.client.get(path)
    wall, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
    assert response.status_code == 200, path
    return wall, cpu, len(target.captured)


def _explain(target: Target, plans: dict[str, list], out) -> None:
    engine = target.app.extensions["db"].engine
    labels = list(target.views)
    explained = (labels[0], labels[1], labels[9], labels[2], labels[6], labels[7])
    for label in (*explained, BY_RETURNEE, DEEP_BY_RETURNEE, BY_ASSIGNEE, REQUEST_PAGE):
        statement, params = max(plans[label], key=lambda sp: len(sp[0]))
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + statement, params)
                lines = [r[0] for r in cur.fetchall()]
        used = sorted(set(re.findall(r"using (\w+)", " ".join(lines))))
        scans = sorted(set(re.findall(r"(Seq Scan on \w+)", " ".join(lines))))
        total = " ".join(ln.strip() for ln in lines if "Time" in ln)
        print(f"EXPLAIN {label}: indexes {', '.join(used)}; {', '.join(scans) or 'no seq scan'};"
              f" {total.strip()}", file=out)  # fmt: skip


def bench(urls: list[str], runs: int, as_json: bool = False) -> None:
    """Time every view on each database. With two databases (--compare), each run times a
    view on the one and then on the other, so that both see the machine at the same speed
    (it drifts by a quarter within minutes) and their ratio holds."""
    out = sys.stderr if as_json else sys.stdout
    targets = [_target(url) for url in urls]
    labels = list(targets[0].views)
    for target in targets:
        for path in target.views.values():
            for _ in range(2):
                assert target.client.get(path).status_code == 200, path
    samples = [{label: {"fresh": [], "cpu": [], "kept": []} for label in labels} for _ in targets]
    statements = [{} for _ in targets]
    plans = [{} for _ in targets]
    for _ in range(runs):
        for label in labels:
            for i, target in enumerate(targets):
                path = target.views[label]
                wall, cpu, n = _time(target, path, fresh=True)
                plans[i][label] = list(target.captured)
                kept, _cpu, n_kept = _time(target, path, fresh=False)
                sample = samples[i][label]
                sample["fresh"].append(wall)
                sample["cpu"].append(cpu)
                sample["kept"].append(kept)
                statements[i][label] = (n, n_kept)
    print("fresh: the queue's data version moved on before each run (a change, so no kept page"
          " is shown);\nkept: the same page again, nothing changed (the queue shows its kept"
          " page; other views are the same)", file=out)  # fmt: skip
    databases = []
    for i, target in enumerate(targets):
        results = {}
        for label in labels:
            sample = samples[i][label]
            times = sample["fresh"]
            results[label] = {
                "path": target.views[label],
                "median_ms": round(statistics.median(times), 2),
                "p95_ms": round(_p95(times), 2),
                "statements": statements[i][label][0],
                # this process's CPU time (Python, not the database's): on a shared machine
                # it moves less with the other users' load than the wall clock does
                "cpu_median_ms": round(statistics.median(sample["cpu"]), 2),
                "kept_median_ms": round(statistics.median(sample["kept"]), 2),
                "kept_statements": statements[i][label][1],
            }
        databases.append({"open_requests": target.n_open, "views": results})
        name = make_url(target.url).database
        print(f"\n{name}: {target.n_open:,} open requests; {runs} runs per view (after 2"
              " warm-up runs)", file=out)  # fmt: skip
        print(f"{'view':<52} {'median':>8} {'p95':>8} {'min':>8} {'max':>8} {'queries':>8}"
              f" {'cpu':>6} {'kept':>6} {'k.q':>4}", file=out)  # fmt: skip
        for label in labels:
            times, r = samples[i][label]["fresh"], results[label]
            print(
                f"{label:<52} {r['median_ms']:8.1f} {r['p95_ms']:8.1f} {min(times):8.1f}"
                f" {max(times):8.1f} {r['statements']:8d} {r['cpu_median_ms']:6.1f}"
                f" {r['kept_median_ms']:6.1f} {r['kept_statements']:4d}",
                file=out,
            )
        print(file=out)
        _explain(target, plans[i], out)
    ratios = {}
    if len(targets) == 2:
        first, second = (d["views"] for d in databases)
        print(f"\n{'view':<52} {'ratio (second / first, same runs)':>34}", file=out)
        for label in labels:
            ratios[label] = round(second[label]["median_ms"] / first[label]["median_ms"], 2)
            print(f"{label:<52} {ratios[label]:34.2f}", file=out)
    for target in targets:
        target.bumper.close()
        target.app.extensions["db"].engine.dispose()
    if as_json:
        load = [round(x, 2) for x in os.getloadavg()]
        report = {"runs": runs, "load_average": load, **databases[0]}
        if len(databases) == 2:
            report = {"runs": runs, "load_average": load, "databases": databases,
                      "ratios": ratios}  # fmt: skip
        print(json.dumps(report, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="reuse an already loaded database")
    parser.add_argument(
        "--compare",
        metavar="URL",
        help="another loaded database (say the 1M one): each view is timed on both in turn",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (median and p95 ms, SQL statements per view) on stdout",
    )
    args = parser.parse_args()
    if not args.url.startswith("postgresql"):
        parser.error("the bench needs PostgreSQL (postgresql+psycopg://…)")
    if not args.keep:
        fresh_database(args.url)
        load(args.url, args.requests)
    if args.compare and not args.compare.startswith("postgresql"):
        parser.error("--compare needs PostgreSQL too")
    bench([args.url, *([args.compare] if args.compare else [])], args.runs, as_json=args.json)


if __name__ == "__main__":
    main()
