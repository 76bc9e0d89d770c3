"""How the duplicate check scales: 100,000 and then 1,000,000 returnees on PostgreSQL.

    python bench/duplicates_bench.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/portal_dupes_bench]
                                     [--sizes 100000,1000000] [--checks 300] [--json]

The database is rebuilt by the migrations and filled with COPY: returnees with profiles, names
drawn from Azerbaijani, Russian and passport spellings, half of them with a date of birth (as a
claimed readmission case gives), every phone distinct. At each size the script times
`services.duplicates.check_returnee` for a sample of returnees (each in a transaction that is
rolled back, so every check sees the same data), and in the same run a baseline: fetching one
returnee with their profile by primary key, the cheapest indexed read there is. It prints the
median and p95 in milliseconds, the SQL statements per check, the candidates per check, and the
plan (EXPLAIN ANALYZE) of the candidate query. Then the next size is loaded on top.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import event, select
from sqlalchemy.orm import contains_eager

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queue_bench import conninfo, fresh_database  # noqa: E402 - the same database set-up

from portal import create_app  # noqa: E402
from portal.names import name_key, phone_tail_key  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_dupes_bench"
NOW = datetime.now(UTC).replace(microsecond=0)
FIRST = ["Elvin", "Эльвин", "Günel", "Гюнель", "Rüstəm", "Rustam", "Orxan", "Orkhan", "Sevinc",
         "Натаван", "Murad", "Aysel", "Айсель", "Eldar", "Ramil", "Lalə", "Vüsal", "Zaur",
         "Könül", "Tofiq", "Aygün", "Fuad", "Фуад", "Fərid", "Kamran", "Kənan", "Nigar", "Leyla",
         "Samir", "Rəşid", "Rashid", "Yusif", "Ceyhun", "Jeyhun", "Tural", "Anar", "İlham",
         "Xədicə", "Khadija", "Şəhla"]  # fmt: skip
LAST = ["Məmmədov", "Mammadov", "Мамедов", "Əliyev", "Aliyev", "Алиев", "Hüseynov", "Huseynov",
        "Гусейнов", "Quliyev", "Guliyev", "Kərimov", "Karimov", "Керимов", "Səfərov", "Rzayev",
        "Bağırov", "Həsənov", "Hasanov", "Abbasov", "Nəsirov", "Cəfərov", "Jafarov", "Ağayev",
        "Qasımov", "Gasimov", "Şahbazov", "Əhmədov", "Ахмедов", "İsmayılov"]  # fmt: skip


def load(url: str, start: int, stop: int, seed: int = 12) -> float:
    """Returnees with ids start..stop-1, with profiles; returns the seconds it took."""
    rng = random.Random(seed * 1_000_003 + start)  # noqa: S311 - made-up data
    born_from = date(1950, 1, 1)
    t0 = time.perf_counter()

    def users():
        for uid in range(start, stop):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            if name.endswith("ov") and rng.random() < 0.5:
                name += "a"
            phone = f"+99450{uid:07d}" if uid < 10_000_000 else f"+99455{uid % 10_000_000:07d}"
            yield (uid, "returnee", phone, name, "x", "az", True, False, False, NOW,
                   name_key(name), phone_tail_key(phone))  # fmt: skip

    def profiles():
        prng = random.Random(seed + start)  # noqa: S311
        for uid in range(start, stop):
            born = born_from + timedelta(days=prng.randrange(56 * 365))
            yield (uid, uid, "baku", born if prng.random() < 0.5 else None, "[]", NOW, NOW,
                   NOW, False)  # fmt: skip

    with psycopg.connect(conninfo(url)) as conn:
        with conn.cursor() as cur:
            cols = ("id, role, phone, full_name, password_hash, preferred_locale, is_active, "
                    "is_partner_lead, is_team_lead, created_at, name_key, phone_tail")  # fmt: skip
            with cur.copy(f"COPY users ({cols}) FROM STDIN") as cp:
                for row in users():
                    cp.write_row(row)
            cols = ("id, user_id, region_code, birth_date, vulnerabilities, created_at, "
                    "updated_at, duplicates_checked_at, has_duplicate_flags")  # fmt: skip
            with cur.copy(f"COPY returnee_profiles ({cols}) FROM STDIN") as cp:
                for row in profiles():
                    cp.write_row(row)
        conn.commit()
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("ANALYZE users")
        conn.execute("ANALYZE returnee_profiles")
    return time.perf_counter() - t0


def _ms(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 3),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
    }


def measure(url: str, size: int, checks: int, seed: int = 7) -> dict:
    from portal.db import db
    from portal.models import ReturneeProfile, User
    from portal.services import duplicates

    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": url})
    engine = app.extensions["db"].engine
    rng = random.Random(seed + size)  # noqa: S311
    # Half the sample born on a known day (they have a birth date), half not: as in the data.
    sample = [rng.randrange(1, size + 1) for _ in range(checks)]
    statements: list[tuple[str, object]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append((statement, parameters))

    base, check, per_check, candidates, flagged = [], [], [], [], 0
    plan = ""
    with app.app_context():
        for i, uid in enumerate(sample):
            t0 = time.perf_counter()
            row = db.execute(
                select(User, ReturneeProfile)
                .join(ReturneeProfile, ReturneeProfile.user_id == User.id)
                .where(User.id == uid)
                .options(contains_eager(User.profile))
            ).one()
            base.append((time.perf_counter() - t0) * 1000)
            user = row[0]
            statements.clear()
            t0 = time.perf_counter()
            found = duplicates.check_returnee(db, user)
            check.append((time.perf_counter() - t0) * 1000)
            per_check.append(len(statements))
            flagged += bool(found)
            candidate_sql = [s for s in statements if s[0].lstrip().startswith("SELECT")]
            if candidate_sql:
                sql, params = candidate_sql[0]
                n = db.connection().exec_driver_sql(f"SELECT count(*) FROM ({sql}) AS c", params)
                candidates.append(n.scalar())
                if not plan and row[1].birth_date is not None and i > 5:
                    lines = db.connection().exec_driver_sql(f"EXPLAIN ANALYZE {sql}", params)
                    plan = "\n".join(r[0] for r in lines)
            db.rollback()
    engine.dispose()
    return {
        "size": size,
        "checks": checks,
        "baseline_ms": _ms(base),
        "check_ms": _ms(check),
        "ratio_to_baseline": round(statistics.median(check) / statistics.median(base), 2),
        "statements_per_check": {"min": min(per_check), "max": max(per_check)},
        "candidates_per_check": {
            "median": statistics.median(candidates) if candidates else 0,
            "max": max(candidates) if candidates else 0,
        },
        "checks_that_found_a_pair": flagged,
        "plan": plan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    fresh_database(args.url)
    loaded, results = 0, []
    for size in sizes:
        seconds = load(args.url, loaded + 1, size + 1)
        loaded = size
        result = measure(args.url, size, args.checks)
        result["load_s"] = round(seconds, 1)
        results.append(result)
        if not args.json:
            print(f"\n== {size:,} returnees (loaded in {seconds:.0f} s)")
            for key in ("baseline_ms", "check_ms", "ratio_to_baseline", "statements_per_check",
                        "candidates_per_check", "checks_that_found_a_pair"):  # fmt: skip
                print(f"{key:>26}: {result[key]}")
            print(result["plan"])
    if len(results) > 1:
        growth = results[-1]["check_ms"]["median"] / results[0]["check_ms"]["median"]
        base_growth = results[-1]["baseline_ms"]["median"] / results[0]["baseline_ms"]["median"]
        summary = {
            "check_growth": round(growth, 2),
            "baseline_growth": round(base_growth, 2),
        }
        if args.json:
            print(json.dumps({"results": results, **summary}, indent=1))
        else:
            print(
                f"\ncheck median {results[0]['check_ms']['median']} ms at {sizes[0]:,} -> "
                f"{results[-1]['check_ms']['median']} ms at {sizes[-1]:,} ({growth:.2f}x); "
                f"baseline {base_growth:.2f}x in the same run"
            )
    elif args.json:
        print(json.dumps({"results": results}, indent=1))


if __name__ == "__main__":
    main()
