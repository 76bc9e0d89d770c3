"""Time the readmission CSV upload's preview and save on a file of 50,000 rows.

    python bench/readmission_csv_bench.py [--rows 50000] [--url DATABASE_URL]

Without --url a fresh SQLite file in a temporary folder is used (with --url, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/portal_readmission_bench, the public schema is
rebuilt). The file is written once (two thirds with a phone, so two thirds get an SMS
invitation; 1 % bad rows), then previewed and saved through the services the upload page
calls, in one transaction. Prints seconds, rows per second, file size and peak memory (RSS).
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
from portal.models import Notification, ReadmissionCase, Role  # noqa: E402
from portal.regions import all_regions  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
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
    csv_path = work / "cases.csv"
    t0 = time.perf_counter()
    write_csv(csv_path, args.rows)
    print(
        f"file: {args.rows} rows, {csv_path.stat().st_size / 1e6:.1f} MB "
        f"(written in {time.perf_counter() - t0:.1f} s)"
    )
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
        t0 = time.perf_counter()
        report = svc.preview_csv(db, csv_path)
        preview = time.perf_counter() - t0
        print(
            f"preview: {preview:.1f} s ({args.rows / preview:,.0f} rows/s); "
            f"new {report.new}, known {report.known}, problems {report.problems}"
        )
        t0 = time.perf_counter()
        report = svc.import_csv(db, csv_path, admin, result_path=work / "result.csv")
        db.commit()
        save = time.perf_counter() - t0
        cases = db.scalar(select(func.count(ReadmissionCase.id)))
        sms = db.scalar(select(func.count(Notification.id)))
        print(
            f"save (one transaction): {save:.1f} s ({args.rows / save:,.0f} rows/s); "
            f"{cases} cases, {sms} invitations queued"
        )
        t0 = time.perf_counter()
        report = svc.import_csv(db, csv_path, admin)
        db.commit()
        again = time.perf_counter() - t0
        print(
            f"same file again (all updates, idempotent): {again:.1f} s; known {report.known}, "
            f"cases still {db.scalar(select(func.count(ReadmissionCase.id)))}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB; database: {url.split('@')[-1]}")


if __name__ == "__main__":
    main()
