"""Profile one staff view on a loaded bench database (see queue_bench.py) with pyinstrument.

    pip install pyinstrument   # into your own venv: a profiling aid, not a dependency
    python bench/profile_view.py --url postgresql+psycopg://…/portal_bench /en/triage/ [--runs 50]
                                 [--fresh]

Signs in as the bench's social worker, warms up, then prints where the time of --runs
requests of the path went (wall clock, SQL included).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.queue_bench import DEFAULT_URL, PASSWORD, WORKER_EMAIL  # noqa: E402
from portal import create_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="move the queue's data version on before each run (no kept page)",
    )
    args = parser.parse_args()
    from pyinstrument import Profiler

    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": args.url, "PAGE_SIZE": 25})
    client = app.test_client()
    page = client.get("/en/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/en/sign-in", data={"csrf_token": token, "login": WORKER_EMAIL,
                                     "password": PASSWORD})  # fmt: skip
    for _ in range(5):
        assert client.get(args.path).status_code == 200
    import psycopg

    from bench.queue_bench import conninfo

    bumper = psycopg.connect(conninfo(args.url), autocommit=True) if args.fresh else None
    profiler = Profiler(interval=0.0005)
    for _ in range(args.runs):
        if bumper is not None:  # not profiled: what a change to the queue does
            bumper.execute("UPDATE data_versions SET n = n + 1 WHERE name = 'queue'")
        profiler.start()
        client.get(args.path)
        profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
