"""Time the readmission CSV import job (check, then save) at two sizes, against a baseline.

    python bench/readmission_csv_bench.py [--rows 5000 50000] [--baseline-rows 1000] [--url URL]

Without --url a fresh SQLite file in a temporary folder is used (with --url, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/portal_rcsv_bench, the public schema is rebuilt).
For each size a file is written (two thirds with a phone, so two thirds get an SMS invitation;
1 % bad rows), then run through the job the upload page starts: `create_import`, the check
(`run_job` → previewed) and the save (`run_job` → done, one transaction), then the same file
again (every row a known case: updates, idempotent). Each size starts from an empty database.
The baseline, measured in the same run, is the row-by-row path the API takes (`upsert_case` per
row, one flush each), on the first --baseline-rows rows of the file. Prints seconds, rows per
second and the peak memory (RSS) of each step.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command  # noqa: E402

from portal import create_app  # noqa: E402
from portal.cli import alembic_config  # noqa: E402
from portal.db import Base  # noqa: E402
from portal.models import Notification, ReadmissionCase, ReadmissionImport, Role  # noqa: E402
from portal.regions import all_regions  # noqa: E402
from portal.services import readmission_imports as jobs  # noqa: E402
from portal.services import readmissions as svc  # noqa: E402
from portal.services.accounts import create_user  # noqa: E402


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(14)
    regions = sorted(all_regions())
    states = ["DE", "FR", "NO", "CH", "ME", "NL", "BE", "AT", "SE", "PL"]
    vulns = ["minor", "family_with_children", "disability", "medical_need", "elderly"]
    today = date.today()
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(svc.FIELDS)
        for i in range(rows):
            bad = i % 100 == 99
            writer.writerow(
                [
                    f"BENCH-{i:07d}",
                    rng.choice(states),
                    f"Əli Məmmədov {i}",
                    f"Али Мамедов {i}",
                    "1990-02-31"
                    if bad
                    else f"{rng.randint(1950, 2005)}-0{rng.randint(1, 9)}-1{i % 9}",
                    rng.choice(["male", "female", ""]),
                    f"+99455{1000000 + i}" if i % 3 else "",
                    (today - timedelta(days=rng.randint(0, 700))).isoformat(),
                    "Heydər Əliyev Beynəlxalq Aeroportu",
                    rng.choice(regions),
                    rng.choice(["az", "ru", "en"]),
                    ";".join(rng.sample(vulns, rng.randint(0, 2))),
                ]
            )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def empty(db) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in ("users", "alembic_version"):
            db.execute(table.delete())
    db.commit()


def run_job(db, job_id: int) -> float:
    t0 = time.perf_counter()
    status = jobs.run_job(db, job_id)
    assert status is not None and status.value in ("previewed", "done"), status
    return time.perf_counter() - t0


def bench_size(db, admin, work: Path, rows: int) -> None:
    empty(db)
    path = work / f"cases-{rows}.csv"
    write_csv(path, rows)
    content = path.read_bytes()
    print(f"\n{rows:,} rows, {len(content) / 1e6:.1f} MB")
    for label in ("new cases", "same file again (updates)"):
        job = jobs.create_import(db, content, path.name, admin)
        db.commit()
        check = run_job(db, job.id)
        job = db.get(ReadmissionImport, job.id, populate_existing=True)
        print(
            f"  {label}: check {check:.1f} s ({rows / check:,.0f} rows/s; new {job.new_count}, "
            f"known {job.known_count}, problems {job.problem_count}); peak RSS {peak_mb():.0f} MB"
        )
        jobs.request_save(db, job, admin)
        db.commit()
        save = run_job(db, job.id)
        job = db.get(ReadmissionImport, job.id, populate_existing=True)
        cases = db.scalar(select(func.count(ReadmissionCase.id)))
        sms = db.scalar(select(func.count(Notification.id)))
        print(
            f"  {label}: save (one transaction) {save:.1f} s ({job.good_count / save:,.0f} "
            f"rows/s; created {job.created_count}, updated {job.updated_count}); {cases} cases, "
            f"{sms} invitations queued; peak RSS {peak_mb():.0f} MB"
        )


def baseline(db, admin, work: Path, rows: int) -> None:
    """The row-by-row path (the API's upsert_case, one flush per row) on `rows` rows."""
    empty(db)
    path = work / "baseline.csv"
    write_csv(path, rows)
    today = date.today()
    with path.open(encoding="utf-8", newline="") as f:
        data = [{k: (v or None) for k, v in r.items()} for r in csv.DictReader(f)]
    t0 = time.perf_counter()
    saved = 0
    for row in data:
        try:
            clean = svc.validate_case(row, today, from_text=True)
        except svc.InvalidCase:
            continue
        svc.upsert_case(db, row, admin, source="csv", clean=clean)
        saved += 1
    db.commit()
    took = time.perf_counter() - t0
    print(
        f"baseline, row by row (upsert_case per row, {rows:,} rows): {took:.1f} s "
        f"({rows / took:,.0f} rows/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--baseline-rows", type=int, default=1_000)
    parser.add_argument("--url")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="readmission_bench_"))
    url = args.url or f"sqlite:///{work / 'bench.db'}"
    if url.startswith("postgresql"):
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
        db = app.extensions["db"].session
        admin = create_user(
            db,
            role=Role.ADMIN,
            full_name="Bench",
            password="bench-pass-2026",  # noqa: S106
            email="bench@example.az",
        )
        db.commit()
        print(f"database: {url.split('@')[-1]}")
        if args.baseline_rows:
            baseline(db, admin, work, args.baseline_rows)
        for rows in args.rows:
            bench_size(db, admin, work, rows)
    print(f"\npeak RSS of the whole run: {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
