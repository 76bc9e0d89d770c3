"""Browser tests: a real portal process (gunicorn) on a free loopback port with a fresh SQLite
database and the demo data, driven by Debian's Chromium through Playwright.

Skipped, with a clear message, when Chromium is not installed (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
SKIP_REASON = "Chromium is not installed (apt-get install chromium): browser tests skipped"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "e2e-demo-password"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
MAX_PAGE_BYTES = 40 * 1024
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "rules": {"target-size": {"enabled": True}},
    "resultTypes": ["violations"],
}
LANGS = ["az", "ru", "en"]
# Bytes transferred per returnee page label, collected over the session (see check_weight).
WEIGHTS: dict[str, int] = {}
# Set by live_server: the demo's printed output and the database's URL.
LIVE: dict[str, str] = {}


def pytest_collection_modifyitems(config, items):
    if HAVE_CHROMIUM:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if not HAVE_CHROMIUM:
        terminalreporter.write_line(f"NOTE: {SKIP_REASON}", yellow=True, bold=True)
        return
    if WEIGHTS:
        label, size = max(WEIGHTS.items(), key=lambda item: item[1])
        terminalreporter.write_line(
            f"Heaviest returnee page: {label} = {size} bytes ({size / 1024:.1f} KB of "
            f"{MAX_PAGE_BYTES // 1024} KB), over {len(WEIGHTS)} returnee pages weighed",
            bold=True,
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of a gunicorn-served portal with the demo data loaded."""
    tmp = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}",
        "PORTAL_CONFIG": "development",
        "SECRET_KEY": "e2e-" + "k" * 40,
        "LOGIN_RATE_LIMIT": "1000 per minute",
    }
    env.pop("TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "portal"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    demo = subprocess.run(
        [*flask, "demo", "load", "--reset", "--password", PASSWORD],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    # What the demo printed (its unclaimed invitation code) and where its data is.
    LIVE.update(demo_output=demo.stdout.decode(), database_url=env["DATABASE_URL"])
    port = _free_port()
    pidfile = tmp / "gunicorn.pid"
    log = (tmp / "gunicorn.log").open("w")
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "--threads",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--pid",
            str(pidfile),
            "portal:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:  # noqa: S310
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.1)
    else:
        proc.terminate()
        raise RuntimeError((tmp / "gunicorn.log").read_text())
    yield base
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def weights() -> dict[str, int]:
    """The session's collected returnee page weights (label -> bytes)."""
    return WEIGHTS


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def phone(browser, playwright_instance):
    """new_phone(lang, javascript=True) -> a fresh Pixel 5 context."""
    contexts = []

    def _new(lang: str = "az", javascript: bool = True):
        ctx = browser.new_context(
            **playwright_instance.devices["Pixel 5"],
            locale={"az": "az-AZ", "ru": "ru-RU", "en": "en-GB"}[lang],
            java_script_enabled=javascript,
        )
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx

    yield _new
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def desktop(browser):
    contexts = []

    def _new(lang: str = "az"):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx

    yield _new
    for ctx in contexts:
        ctx.close()


# --- checks ----------------------------------------------------------------------------------


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def check_accessible(page, label: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe on {label} ({page.url}): {violations}"


def check_fits_320(page, label: str) -> None:
    """No horizontal scrolling at 320 CSS px."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    width = page.evaluate("document.documentElement.scrollWidth")
    if size:
        page.set_viewport_size(size)
    assert width <= 320, f"{label} ({page.url}) is {width}px wide at 320px"


def page_weight(context, url: str, host: str) -> tuple[int, list[str]]:
    """Bytes transferred to load `url` with an empty cache, and any request to another host."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, int] = {}
    foreign: list[str] = []
    pending: set[str] = set()

    def on_loading_finished(params):
        sizes[params["requestId"]] = int(params["encodedDataLength"])
        pending.discard(params["requestId"])

    def on_loading_failed(params):
        pending.discard(params["requestId"])

    def on_request(params):
        pending.add(params["requestId"])
        request_host = urlsplit(params["request"]["url"]).netloc
        if (
            request_host
            and request_host != host
            and not params["request"]["url"].startswith("data:")
        ):
            foreign.append(params["request"]["url"])

    cdp.on("Network.loadingFinished", on_loading_finished)
    cdp.on("Network.requestWillBeSent", on_request)
    cdp.on("Network.loadingFailed", on_loading_failed)
    page.goto(url, wait_until="load")
    # A short grace for requests started after "load", then until every request has finished.
    page.wait_for_timeout(50)
    for _ in range(40):
        if not pending:
            break
        page.wait_for_timeout(25)
    page.close()
    return sum(sizes.values()), foreign


def check_weight(context, page, label: str, weights: dict | None = None) -> int:
    host = urlsplit(page.url).netloc
    total, foreign = page_weight(context, page.url, host)
    assert foreign == [], f"{label} requests other hosts: {foreign}"
    WEIGHTS[label] = total
    if weights is not None:
        weights[label] = total
    assert total <= MAX_PAGE_BYTES, f"{label} ({page.url}) transfers {total} bytes"
    return total


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # CSS pixels: what the person sees at the page's width, smaller and quicker than device pixels.
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, scale="css")


def check_returnee_page(context, page, label: str, weights: dict | None = None) -> None:
    """Everything a returnee page must pass: axe, 320 px fit, weight and host, a screenshot.

    Needs a context with JavaScript on (axe and the width check run in the page); the
    no-JavaScript runs drive the same flows without these checks.
    """
    check_accessible(page, label)
    check_fits_320(page, label)
    check_weight(context, page, label, weights)
    screenshot(page, label)


def check_staff_page(page, label: str) -> None:
    check_accessible(page, label)
    screenshot(page, label)
