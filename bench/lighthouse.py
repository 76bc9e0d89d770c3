"""Run Lighthouse on three returnee pages of a freshly started portal and print the scores.

Called by bench/lighthouse.sh. Accessibility must be 100 (exit 1 otherwise); performance (goal 95)
and best practices are printed, since timing scores vary on a shared machine.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
PASSWORD = "lighthouse-demo-pass"
RETURNEE = "+994501110001"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path) -> tuple[subprocess.Popen, str, dict]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'lh.db'}",
        "PORTAL_CONFIG": "development",
        "SECRET_KEY": "lighthouse-" + "k" * 40,
    }
    flask = [sys.executable, "-m", "flask", "--app", "portal"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(
        [*flask, "demo", "load", "--reset", "--password", PASSWORD],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "portal:create_app()",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310
            break
        except OSError:
            time.sleep(0.1)
    return proc, base, env


def sign_in(base: str) -> tuple[str, str]:
    """The session cookie of the demo returnee, and the path of one of their requests."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/az/sign-in").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"csrf_token": token, "login": RETURNEE, "password": PASSWORD}
    ).encode()
    home = opener.open(f"{base}/az/sign-in", data=data).read().decode()
    request_path = re.search(r'href="(/az/my/requests/[0-9A-Z-]+)"', home).group(1)
    cookie = next(c for c in jar if c.name == "portal_session")
    return f"{cookie.name}={cookie.value}", request_path


def lighthouse(url: str, cookie: str | None, out: Path) -> dict:
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        "--only-categories=performance,accessibility,best-practices",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    subprocess.run(command, check=True, timeout=240)  # noqa: S603
    report = json.loads(out.read_text())
    return {k: round(v["score"] * 100) for k, v in report["categories"].items()}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        proc, base, _ = start_server(tmp)
        try:
            cookie, request_path = sign_in(base)
            pages = [
                ("home", f"{base}/az/", None),
                ("request form, first step", f"{base}/az/my/ask/", cookie),
                ("request page", f"{base}{request_path}", cookie),
            ]
            failed = False
            print(f"{'page':<26} {'perf':>5} {'a11y':>5} {'best':>5}")
            for i, (name, url, page_cookie) in enumerate(pages):
                scores = lighthouse(url, page_cookie, tmp / f"lh{i}.json")
                print(
                    f"{name:<26} {scores['performance']:>5} {scores['accessibility']:>5} "
                    f"{scores['best-practices']:>5}"
                )
                failed |= scores["accessibility"] < 100
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    if failed:
        print("Lighthouse accessibility is below 100 on a page above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
