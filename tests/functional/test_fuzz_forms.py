"""Issue 10, item 9: every form of the portal, as every role, posted with hostile input.

The forms are not listed here: each role's client crawls the portal from its home page (links
and redirects, same site only), and every <form method="post"> the pages render is collected
with its fields. A form filled the plain way (what the page holds, a first option chosen, a
plausible value typed) is also sent, so that flows such as the request steps open their next
page. Then each field of each form is posted, one at a time, empty, over-long, with NUL and
other control characters, with bytes that are not UTF-8, with markup and with out-of-range
numbers, the other fields keeping their plain values. No post may give a server error, and no
markup may come back unescaped. Every POST route of the app must have been found in some form.

Run on PostgreSQL too (TEST_DATABASE_URL): NUL is where it used to fail.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest

from portal.models import (
    ContactPreference,
    FollowUp,
    MessageVisibility,
    Notification,
    NotificationChannel,
    NotificationStatus,
    RequestStatus,
    Role,
)
from portal.services import duplicates
from portal.services import requests as svc
from portal.services.api_tokens import create_api_token, create_readmission_token
from portal.services.readmission_imports import create_import, run_job
from portal.services.readmissions import upsert_case
from tests.conftest import PASSWORD, sign_in

MARKUP = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
# (name, value): a str is posted as typed (UTF-8), bytes are percent-encoded as they are.
PAYLOADS: list[tuple[str, str | bytes]] = [
    ("empty", ""),
    ("spaces", "   \u00a0 "),
    ("over-long", "Ə" * 20_000),
    ("NUL", "before\x00after"),
    ("control", "a\x01\x07\x08\x0b\x0c\x1b[31m\x7f\x85\u2028b"),
    ("not UTF-8", b"\xff\xfe\xc0\xaf\xed\xa0\x80"),
    ("markup", MARKUP),
    ("int overflow", "2147483648"),
    ("huge negative", "-99999999999999999999999999"),
    ("odd digits", "\u00b2\u0661\u0662"),
    ("float", "1e309"),
]
TEXT_TYPES = {"text", "search", "email", "tel", "url", "password", "number", "date", "hidden", ""}
# A readmission case with a phone, so that its page offers the invite and withdraw forms.
CASE = {
    "case_number": "RCMS-2026-0042",
    "requesting_state": "DE",
    "full_name": "Rauf Hüseynov",
    "birth_date": "1988-02-03",
    "phone": "+994551112233",
    "returned_on": "2026-11-01",
    "region_code": "baku",
    "locale": "az",
}
MAX_PAGES = 150  # per role: the crawl stops there (the portal has fewer distinct pages)


@dataclass
class FormSpec:
    page: str
    action: str
    fields: dict[str, dict] = field(default_factory=dict)  # name -> {kind, values, options}

    @property
    def key(self) -> str:
        return re.sub(r"/\d+(?=/|$)", "/<id>", urlsplit(self.action).path)


class FormParser(HTMLParser):
    """Forms with method=post and their fields; links (href) of the page."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[FormSpec] = []
        self.links: list[str] = []
        self._form: FormSpec | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def _field(self, name: str, kind: str) -> dict:
        assert self._form is not None
        return self._form.fields.setdefault(name, {"kind": kind, "values": [], "options": []})

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = FormSpec(self.page, a.get("action") or self.page)
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            spec = self._field(a["name"], kind)
            if kind in ("radio", "checkbox"):
                spec["options"].append(a.get("value", "on"))
                if "checked" in a:
                    spec["values"].append(a.get("value", "on"))
            else:
                spec["values"] = [a.get("value", "")]
        elif tag == "textarea":
            self._textarea = a["name"]
            self._field(a["name"], "textarea")["values"] = [""]
        elif tag == "select":
            self._select = a["name"]
            self._field(a["name"], "select")
        elif tag == "option" and self._select:
            spec = self._form.fields[self._select]
            spec["options"].append(a.get("value", ""))
            if "selected" in a:
                spec["values"] = [a.get("value", "")]

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea]["values"] = [data.strip()]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def plausible(name: str, spec: dict) -> list[str]:
    """What a person would send: what the page holds, else a first option or typical text."""
    kind, values, options = spec["kind"], spec["values"], spec["options"]
    if kind in ("radio", "select"):
        if values and values[0]:
            return values[:1]
        choices = [o for o in options if o]
        return choices[:1]
    if kind == "checkbox":
        return values
    if values and values[0]:
        return values
    if name.endswith("-day"):
        return ["12"]
    if name.endswith("-month"):
        return ["3"]
    if name.endswith("-year"):
        return ["2025"]
    lowered = name.lower()
    if "phone" in lowered:
        return ["+994 50 765 43 21"]
    if "email" in lowered or lowered == "login":
        return ["fuzz.person@example.az"]
    if "password" in lowered or lowered == "confirm":
        return ["a-long-new-password-9"]
    if kind == "date" or lowered.endswith("_on"):
        return ["2026-01-05"]
    if kind == "number" or lowered in ("capacity", "household", "units"):
        return ["2"]
    return ["Plain text, typed by a person."]


def encode(data: dict[str, list[str | bytes]]) -> bytes:
    parts = []
    for name, values in data.items():
        for value in values:
            raw = value if isinstance(value, bytes) else value.encode("utf-8")
            parts.append(f"{quote(name)}={quote(raw, safe='')}")
    return "&".join(parts).encode("ascii")


@dataclass
class Tally:
    forms: set[str] = field(default_factory=set)
    fields: set[tuple[str, str]] = field(default_factory=set)
    posts: int = 0
    errors: list[str] = field(default_factory=list)
    endpoints: set[str] = field(default_factory=set)


TALLY: dict[str, Tally] = {}


class _Recorder(logging.Handler):
    """Keeps the traceback the app logs with a server error, to show it in the failure."""

    def __init__(self, into: list[str]):
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record):
        self.into.append(logging.Formatter().format(record)[-2500:])


class Walker:
    def __init__(self, app, client, role: str, tally: Tally, login: str | None):
        self.app, self.client, self.role, self.tally, self.login = app, client, role, tally, login
        self.seen_pages: set[str] = set()
        self.forms: dict[str, FormSpec] = {}
        self.last_exception: list[str] = []
        self.handler = _Recorder(self.last_exception)
        logging.getLogger("portal.errors").addHandler(self.handler)

    def close(self):
        logging.getLogger("portal.errors").removeHandler(self.handler)

    def ensure_signed_in(self, response):
        if self.login and "/sign-in" in response.headers.get("Location", ""):
            sign_in(self.client, self.login)

    def crawl(self, start: list[str]) -> None:
        queue = list(start)
        while queue and len(self.seen_pages) < MAX_PAGES:
            url = queue.pop(0)
            path = urlsplit(url).path
            # The queue's column headers link every sort of every filter: one sorted variant
            # of a page shows the same forms as the others, and would use up MAX_PAGES.
            key = f"{path}?sort" if "sort=" in urlsplit(url).query else url
            if not path.startswith("/en/") or "/sign-out" in path or key in self.seen_pages:
                continue
            self.seen_pages.add(key)
            response = self.client.get(url)
            self.check(response, f"GET {url}")
            if response.status_code in (301, 302, 303):
                queue.insert(0, response.headers["Location"])
                continue
            if response.mimetype != "text/html":
                continue
            parser = FormParser(url)
            parser.feed(response.get_data(as_text=True))
            queue.extend(link.split("#")[0] for link in parser.links if link.startswith("/en/"))
            for form in parser.forms:
                if form.key not in self.forms and "/sign-out" not in form.action:
                    self.forms[form.key] = form
                    # The plain way, so a flow opens its next page for the crawl.
                    after = self.post(form, {}, "plain")
                    if after.status_code in (302, 303):
                        queue.insert(0, after.headers["Location"])

    def baseline(self, form: FormSpec) -> dict[str, list[str | bytes]]:
        return {name: plausible(name, spec) for name, spec in form.fields.items()}

    def post(self, form: FormSpec, changes: dict, label: str):
        data = self.baseline(form)
        data.update(changes)
        data = {k: v for k, v in data.items() if v != [None]}
        response = self.client.post(
            form.action,
            data=encode(data),
            content_type="application/x-www-form-urlencoded",
        )
        self.tally.posts += 1
        self.check(response, f"POST {form.action} [{label}]")
        if response.status_code < 400:
            self.ensure_signed_in(response)
        return response

    def check(self, response, what: str) -> None:
        if response.status_code >= 500:
            detail = self.last_exception[-1] if self.last_exception else ""
            self.tally.errors.append(f"{self.role}: {what} -> {response.status_code}\n{detail}")
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        if "<script>alert(1)" in body or "<img src=x onerror" in body:
            self.tally.errors.append(f"{self.role}: {what} echoed markup unescaped")
        self.last_exception.clear()

    def fuzz(self) -> None:
        for key, form in self.forms.items():
            self.tally.forms.add(key)
            adapter = self.app.url_map.bind("localhost")
            try:
                endpoint, _args = adapter.match(urlsplit(form.action).path, method="POST")
                self.tally.endpoints.add(endpoint)
            except Exception:  # noqa: BLE001 - a form posting to no route is itself a finding
                self.tally.errors.append(f"{self.role}: form posts to no route: {form.action}")
            for name in form.fields:
                if name == "csrf_token":
                    continue
                self.tally.fields.add((key, name))
                for label, value in PAYLOADS:
                    self.post(form, {name: [value]}, f"{name}={label}")
                self.post(form, {name: [None]}, f"{name} missing")
                self.post(form, {name: ["1", "2"]}, f"{name} twice")


@pytest.fixture
def world(app, db, factory):
    """One of each role, and requests and referrals in the states that show every form."""
    worker = factory.user(Role.SOCIAL_WORKER)
    admin = factory.user(Role.ADMIN)
    staff = factory.user(Role.PARTNER, is_partner_lead=True)
    returnee = factory.user(Role.RETURNEE, email="owner@example.az")
    profile = returnee.profile
    profile.region_code, profile.household_size = "baku", 2
    profile.contact_preference = ContactPreference.PHONE_CALL
    newcomer = factory.user(Role.RETURNEE, consent=False)  # is asked for consent first
    # A second account of the returnee (the same name and birth date): the request pages show
    # the possible duplicate with its link and dismiss forms.
    twin = factory.user(Role.RETURNEE, full_name=returnee.full_name)
    profile.birth_date = twin.profile.birth_date = date(1988, 2, 3)
    db.commit()
    with app.app_context():
        assert duplicates.check_returnee(db, twin)
    with app.app_context():
        create_api_token(db, staff.partner, staff, "Case system")  # the revoke form shows
    db.commit()
    requests = {
        status: factory.request(returnee, status, worker=worker, partner_staff=staff)
        for status in (
            RequestStatus.SUBMITTED,
            RequestStatus.NEEDS_INFO,
            RequestStatus.REFERRED,
            RequestStatus.IN_PROGRESS,
            RequestStatus.ASSISTANCE_PROVIDED,
        )
    }
    closed = factory.request(returnee, RequestStatus.CLOSED, worker=worker)
    with app.app_context():
        svc.add_message(
            db, requests[RequestStatus.SUBMITTED], worker, "Hello", MessageVisibility.SHARED
        )
        # Help recorded, not yet complete: the partner's "mark complete" form shows.
        svc.record_assistance(
            db, requests[RequestStatus.IN_PROGRESS], staff, "Paid", kind="document_fees",
            amount_azn="12.50",
        )  # fmt: skip
        db.add(FollowUp(request_id=closed.id, owner_id=returnee.id, months=3))
        upsert_case(db, CASE, admin, source="csv")  # the case page's invite and withdraw forms
        # A case without a phone: its page offers the form for the number the person gave.
        upsert_case(db, {**CASE, "case_number": "RCMS-2026-0044", "phone": None}, admin)
        create_readmission_token(db, "RCMS", admin)  # the revoke form shows
        # A checked CSV upload: its page offers the "save the good rows" form.
        header = ",".join(CASE)
        upload = create_import(
            db,
            f"{header}\n{','.join(CASE.values()).replace('0042', '0043')}\n".encode(),
            "cases.csv",
            admin,
        )
        db.commit()
        run_job(db, upload.id)
        db.add(  # a failed notice: the admin's retry forms show
            Notification(
                user_id=returnee.id, channel=NotificationChannel.SMS, template="request_received",
                locale="az", to_address=returnee.phone, body="x",
                status=NotificationStatus.FAILED, last_error="gateway answered 500",
            )
        )  # fmt: skip
        db.commit()
    return {
        "anonymous": None,
        "returnee": returnee,
        "newcomer": newcomer,
        "social_worker": worker,
        "admin": admin,
        "partner": staff,
    }


ROLES = ["anonymous", "newcomer", "returnee", "social_worker", "admin", "partner"]


@pytest.mark.parametrize("role", ROLES)
def test_every_form_survives_hostile_input(app, client, world, role):
    user = world[role]
    if user is not None:
        sign_in(client, user.login, PASSWORD)
    tally = TALLY.setdefault(role, Tally())
    walker = Walker(app, client, role, tally, user.login if user else None)
    try:
        start = (
            ["/en/", "/en/sign-in", "/en/register", "/en/invitation"]
            if user is None
            else ["/en/", "/en/account"]
        )
        walker.crawl(start)
        walker.fuzz()
    finally:
        walker.close()
    assert tally.forms, f"no form found as {role}"
    assert not tally.errors, "\n\n".join(tally.errors[:5])


def test_every_post_route_was_found_in_a_form(app):
    """Runs after the walks above: the crawl found a form for every POST route of the pages."""
    if set(TALLY) != set(ROLES):
        pytest.skip("run with the walks of every role")  # -k selected a part of this module
    found = set().union(*(t.endpoints for t in TALLY.values()))
    routes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith("/api/")
    }
    # Signing out is posted by the walk's end only. The others open only after an SMS code or an
    # emailed link, which the walk cannot have: their own tests post bad input to them
    # (tests/functional/accounts/).
    behind_a_code = {
        "auth.logout",
        "auth.verify_phone",
        "auth.reset_code",
        "auth.reset_new_password",
        "auth.reset_link",
    }
    missing = routes - found - behind_a_code
    forms = len(set().union(*(t.forms for t in TALLY.values())))
    fields = len(set().union(*(t.fields for t in TALLY.values())))
    posts = sum(t.posts for t in TALLY.values())
    errors = sum(len(t.errors) for t in TALLY.values())
    per_role = ", ".join(f"{r} {len(t.forms)}" for r, t in TALLY.items())
    print(
        f"\nform fuzzing: {forms} forms ({per_role}), {fields} fields, {posts} posts, "
        f"{errors} server errors or unescaped markup"
    )
    assert not missing, f"POST routes no page offered a form for: {sorted(missing)}"
