"""Time staff views of two checkouts of the portal in alternating rounds, on one loaded bench
database: the way to see a change of a few per cent on a machine whose speed drifts by a
quarter within minutes.

    git worktree add /tmp/before HEAD~1        # the code to compare against
    python bench/ab_views.py /tmp/before . --url postgresql+psycopg://…/portal_bench_1m \\
        /en/triage/ "/en/triage/?q=Hasanov" /en/triage/requests/123 [--fresh] [--rounds 8] [--n 15]

Each checkout runs in a process of its own (imported from its folder, with this environment's
packages), signed in as the bench's social worker (bench/queue_bench.py). For each path the two
processes take turns, the order swapped every round, each timing `--n` requests; the script
prints both medians of the round medians and the range of the per-round ratios. --fresh moves
the queue's data version on before every request (no kept page is shown).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

WORKER_EMAIL = "worker0@bench.example.az"
PASSWORD = "bench-password-2026"  # noqa: S105 - the bench database's throwaway password


def child(root: str, url: str, path: str, fresh: bool) -> None:
    """Serve timing requests for one checkout: read a count on stdin, print a median."""
    sys.path.insert(0, str(Path(root).resolve()))
    import psycopg
    from sqlalchemy.engine import make_url

    import portal
    from portal import create_app

    if not portal.__file__.startswith(str(Path(root).resolve())):
        raise SystemExit(f"imported {portal.__file__}, not the checkout in {root}")
    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": url, "PAGE_SIZE": 25})
    client = app.test_client()
    page = client.get("/en/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/en/sign-in", data={"csrf_token": token, "login": WORKER_EMAIL, "password": PASSWORD}
    )
    u = make_url(url)
    bumper = psycopg.connect(
        host=u.host, port=u.port or 5432, user=u.username, dbname=u.database, autocommit=True
    )
    for _ in range(10):
        client.get(path)
    print("ready", flush=True)
    for line in sys.stdin:
        times = []
        for _ in range(int(line)):
            if fresh:
                bumper.execute("UPDATE data_versions SET n = n + 1 WHERE name = 'queue'")
            start = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
        print(statistics.median(times) * 1000, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--url", required=True)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--n", type=int, default=15, help="requests per process and round")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.before, args.url, args.paths[0], args.fresh)
        return
    for path in args.paths:
        processes = [
            subprocess.Popen(  # noqa: S603 - this script, with the caller's arguments
                [sys.executable, __file__, root, root, path, "--child", "--url", args.url]
                + (["--fresh"] if args.fresh else []),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for root in (args.before, args.after)
        ]
        for process in processes:
            if process.stdout.readline().strip() != "ready":
                raise SystemExit(f"a checkout did not start for {path}")
        medians: list[list[float]] = [[], []]
        for round_ in range(args.rounds):
            order = (0, 1) if round_ % 2 == 0 else (1, 0)
            for i in order:
                processes[i].stdin.write(f"{args.n}\n")
                processes[i].stdin.flush()
                medians[i].append(float(processes[i].stdout.readline()))
        for process in processes:
            process.stdin.close()
            process.wait()
        before, after = (statistics.median(m) for m in medians)
        ratios = sorted(b / a for a, b in zip(*medians, strict=True))
        print(
            f"{path:<45} before {before:6.2f} ms  after {after:6.2f} ms  after/before "
            f"{after / before:5.2f} (rounds {ratios[0]:.2f}-{ratios[-1]:.2f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
