"""Requests per second of the portal under gunicorn, against a bare Flask "hello" app on the
same gunicorn settings, in the same run, with the same wrk client settings.

    apt-get install -y wrk      # the load tool (Debian package)
    python bench/throughput.py [--url postgresql+psycopg://…/portal_bench] [--duration 5]
                               [--rounds 3] [--connections 8] [--workers 2] [--json]

The database is one loaded by bench/queue_bench.py (its social worker signs in). The script
starts gunicorn (sync workers) for the portal in its production configuration and for
bench/hello_app.py, signs in over HTTP (the session cookie is Secure in production, so the
script sends the Cookie header itself, as a browser behind TLS would), runs `wrk -t1` against
hello, the triage queue (signed in) and a public page (the home page) one after the other,
--rounds times, and prints requests per second and the ratios to hello (each round's to its
own hello; the median round): the goals are queue >= 15% and public
page >= 50%. Every response is checked first (200, the queue really shown); wrk's non-2xx
count is reported. The servers are stopped by their pid files at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.queue_bench import DEFAULT_URL, PASSWORD, WORKER_EMAIL  # noqa: E402

GOALS = {"queue": 0.15, "public": 0.50}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(app: str, port: int, workers: int, env: dict, pidfile: Path, log: Path):
    gunicorn = Path(sys.executable).parent / "gunicorn"
    cmd = [str(gunicorn), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
           "--pid", str(pidfile), "--log-level", "warning", app]  # fmt: skip
    with log.open("w") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def _wait_up(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not answer within {timeout} s")


def _get(port: int, path: str, cookie: str = "") -> tuple[int, dict, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read().decode()


def _cookie_of(headers: dict, name: str) -> str | None:
    match = re.search(rf"{name}=([^;]+)", headers.get("Set-Cookie", ""))
    return match.group(1) if match else None


def sign_in(port: int) -> str:
    """The Cookie header of a signed-in social worker (session cookie set by the portal)."""
    status, headers, body = _get(port, "/en/sign-in")
    session = _cookie_of(headers, "portal_session")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    form = urlencode({"csrf_token": token, "login": WORKER_EMAIL, "password": PASSWORD})
    conn.request("POST", "/en/sign-in", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"portal_session={session}"})  # fmt: skip
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"sign-in failed: {response.status}")
    cookies = re.findall(r"(?:^|, )([A-Za-z_]+)=([^;,]+)", response.getheader("Set-Cookie") or "")
    jar = {"portal_session": session, **dict(cookies)}
    # Follow the redirect as a browser does, and keep the cookie it sets: the first page of
    # a session adds the forms' CSRF secret to it.
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items() if k != "Expires")
    _status, headers, _body = _get(port, response.getheader("Location") or "/en/triage/", cookie)
    renewed = _cookie_of(headers, "portal_session")
    if renewed:
        jar["portal_session"] = renewed
    return "; ".join(f"{k}={v}" for k, v in jar.items() if k != "Expires")


def wrk(url: str, duration: int, connections: int, cookie: str = "") -> dict:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True)  # noqa: S603
    text = out.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", text)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {
        "requests_per_s": rps,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "p50_ms": round(float(p50.group(1)) * scale[p50.group(2)], 2) if p50 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="hello, queue and public page in turn, this many times: each round's ratios are"
        " taken against that round's hello, and the median round is reported",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="throughput-"))
    env = {**os.environ, "PORTAL_CONFIG": "production", "DATABASE_URL": args.url,
           "SECRET_KEY": secrets.token_urlsafe(48)}  # fmt: skip
    portal_port, hello_port = _free_port(), _free_port()
    servers = [
        (_start("portal:create_app()", portal_port, args.workers, env, tmp / "portal.pid",
                tmp / "portal.log"), tmp / "portal.pid"),
        (_start("bench.hello_app:app", hello_port, args.workers, env, tmp / "hello.pid",
                tmp / "hello.log"), tmp / "hello.pid"),
    ]  # fmt: skip
    rounds: dict[str, list[dict]] = {}
    try:
        _wait_up(portal_port, "/healthz")
        _wait_up(hello_port, "/")
        cookie = sign_in(portal_port)
        targets = {
            "hello": (f"http://127.0.0.1:{hello_port}/", ""),
            "queue": (f"http://127.0.0.1:{portal_port}/en/triage/", cookie),
            "public": (f"http://127.0.0.1:{portal_port}/en/", ""),
        }
        for name, (url, with_cookie) in targets.items():
            path = "/" + url.split("/", 3)[3]
            status, _headers, body = _get(int(url.split(":")[2].split("/")[0]), path, with_cookie)
            if status != 200 or (name == "queue" and 'class="dense queue"' not in body):
                raise SystemExit(f"{name}: {url} answered {status}, not the page")
            wrk(url, 2, args.connections, with_cookie)  # warm-up
        for _ in range(args.rounds):
            for name, (url, with_cookie) in targets.items():
                rounds.setdefault(name, []).append(
                    wrk(url, args.duration, args.connections, with_cookie)
                )
    finally:
        for process, pidfile in servers:
            try:
                pid = int(pidfile.read_text().strip())
                os.kill(pid, signal.SIGTERM)
            except (OSError, ValueError):
                process.terminate()
            process.wait(timeout=30)
    # The machine's speed drifts within minutes: each round's ratio is to the hello measured
    # just before it, and the median of the rounds is the figure.
    per_round = {
        name: [
            round(r["requests_per_s"] / h["requests_per_s"], 3)
            for r, h in zip(rounds[name], rounds["hello"], strict=True)
        ]
        for name in GOALS
    }
    ratios = {name: statistics.median(values) for name, values in per_round.items()}
    results = {
        name: {
            "requests_per_s": round(statistics.median(r["requests_per_s"] for r in runs), 1),
            "non_2xx": sum(r["non_2xx"] for r in runs),
            "p50_ms": statistics.median(r["p50_ms"] for r in runs if r["p50_ms"] is not None),
        }
        for name, runs in rounds.items()
    }
    load = os.getloadavg()
    report = {
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "load_average": [round(x, 2) for x in load],
        "results": results,
        "rounds": args.rounds,
        "ratio_to_hello": ratios,
        "ratio_each_round": per_round,
        "goals": GOALS,
    }
    out = sys.stderr if args.json else sys.stdout
    print(f"gunicorn -w {args.workers} (sync), wrk -t1 -c{args.connections} "
          f"-d{args.duration}s, {args.rounds} rounds (medians); load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=out)  # fmt: skip
    for name, r in results.items():
        line = f"{name:<8} {r['requests_per_s']:9.1f} req/s  p50 {r['p50_ms']} ms"
        if name in ratios:
            each = ", ".join(f"{x:.1%}" for x in per_round[name])
            line += f"  {ratios[name]:.1%} of hello (goal {GOALS[name]:.0%}; rounds {each})"
        if r["non_2xx"]:
            line += f"  NON-2XX: {r['non_2xx']}"
        print(line, file=out)
    if args.json:
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
