"""The core loop end to end, in a real browser, once per language (issue 6, item 2).

A returnee on a phone registers, fills the profile and asks for help with documents; a social
worker on a desktop finds the request, asks for more information, gets the answer and refers it
to the first suggested partner; that partner declines, the worker refers it to another partner,
which accepts and records the assistance; the returnee switches language on the request page and
reads "help given" with the dated timeline in the new language. The same scenario runs once more
with JavaScript off for the returnee.

Selectors never depend on the language (field names, form actions, hrefs, ids); the texts the
returnee must read are computed through the app's own translations.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import PASSWORD, check_returnee_page, check_staff_page

SOCIAL_WORKER = "nigar.hasanova@sms.example.az"
# The language the returnee switches to on the request page at the end.
NEXT_LANG = {"az": "ru", "ru": "en", "en": "az"}
SCENARIOS = [
    pytest.param("az", True, "+994550000001", id="az"),
    pytest.param("ru", True, "+994550000002", id="ru"),
    pytest.param("en", True, "+994550000003", id="en"),
    pytest.param("az", False, "+994550000004", id="az-no-js"),
]
# The public timeline events the loop must produce, in this order.
MILESTONES = [
    "submitted",
    "info_requested",
    "info_given",
    "referred",
    "referral_returned",
    "referred",
    "referral_accepted",
    "assistance_provided",
]


# --- the app's own words -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app():
    from portal import create_app

    return create_app({"DATABASE_URL": "sqlite://"})


def demo_partners() -> list[dict]:
    from portal.demo import PARTNERS

    return PARTNERS


def partner_by_name(name: str, lang: str) -> dict:
    """The demo partner whose name in `lang` is `name` (its names and its staff logins)."""
    for spec in demo_partners():
        if spec[f"name_{lang}"] == name.strip():
            return spec
    raise AssertionError(f"no demo partner is called {name!r} in {lang}")


def translated(app, lang: str, fn):
    from flask_babel import force_locale

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return fn()


def expected_status(app, lang: str, status: str) -> str:
    from portal.models import RequestStatus
    from portal.returnee.status_text import status_text

    return translated(app, lang, lambda: status_text(SimpleNamespace(status=RequestStatus(status))))


def expected_event_text(app, lang: str, kind: str, partner: dict | None) -> str:
    from portal.models import PartnerOrganisation
    from portal.returnee.status_text import event_text

    def text():
        partners = {}
        if partner is not None:
            partners[1] = PartnerOrganisation(
                name_az=partner["name_az"], name_ru=partner["name_ru"], name_en=partner["name_en"]
            )
        event = SimpleNamespace(
            kind=kind, data={"partner_id": 1} if partner else {}, to_status=None
        )
        return event_text(event, partners)

    return translated(app, lang, text)


def expected_today(app, lang: str) -> str:
    """Today as the date a dated timeline line starts with, in `lang` (one format per locale)."""
    from portal.templating import format_day

    today = datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    return translated(app, lang, lambda: format_day(today))


def today_iso(app) -> str:
    return datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date().isoformat()


# --- steps ---------------------------------------------------------------------------------------


class Returnee:
    """The returnee's phone: every page visited is checked when JavaScript is on."""

    def __init__(self, context, base: str, lang: str, weights: dict, javascript: bool):
        self.context = context
        self.page = context.new_page()
        self.base = base
        self.lang = lang
        self.weights = weights
        self.javascript = javascript

    def check(self, step: str, lang: str | None = None) -> None:
        lang = lang or self.lang
        assert self.page.locator("html").get_attribute("lang") == lang
        if self.javascript:
            check_returnee_page(self.context, self.page, f"{lang}-returnee-{step}", self.weights)

    def submit(self, form: str = "main form[method=post]") -> None:
        self.page.locator(f"{form} button[type=submit]").click()
        self.page.wait_for_load_state()

    def register(self, phone: str) -> None:
        page = self.page
        page.goto(f"{self.base}/{self.lang}/register")
        self.check("register")
        page.fill("input[name=phone]", phone)
        page.fill("input[name=full_name]", f"E2E Returnee {self.lang} {phone[-1]}")
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=confirm]", PASSWORD)
        assert page.is_checked(f"input[name=preferred_locale][value={self.lang}]")
        page.check("input[name=consent]")
        self.submit("form[action$='/register']")
        # Without SMS the phone is not proven: the next page asks to sign in with the password.
        page.wait_for_url(f"**/{self.lang}/register/done")
        self.check("register-done")
        assert page.input_value("input[name=login]").endswith(phone[-4:])
        page.fill("input[name=password]", PASSWORD)
        self.submit("form[action$='/sign-in']")
        page.wait_for_url(f"**/{self.lang}/my/profile?next=ask")

    def fill_profile(self) -> None:
        page = self.page
        self.check("profile")
        page.select_option("select[name=region_code]", "baku")
        page.fill("input[name=return_date-day]", "15")
        page.fill("input[name=return_date-month]", "3")
        page.fill("input[name=return_date-year]", "2025")
        page.select_option("select[name=country_returned_from]", "DE")
        page.fill("input[name=household_size]", "2")
        page.check("input[name=contact_preference][value=phone_call]")
        assert page.is_checked(f"input[name=preferred_locale][value={self.lang}]")
        self.submit("form[action$='/my/profile']")
        # The first profile continues to asking for help; the home page is one tap away.
        page.wait_for_url(f"**/{self.lang}/my/ask/kind")
        page.goto(f"{self.base}/{self.lang}/my/")
        self.check("home")

    def ask_for_documents(self) -> str:
        page = self.page
        page.locator("main a[href$='/my/ask/']").first.click()
        page.wait_for_url("**/my/ask/kind")
        self.check("ask-kind")
        page.check("input[name=category][value=documentation]")
        self.submit()
        for slug, name, value in [
            ("document", "document", "passport"),
            ("document-problem", "what_happened", "lost"),
            ("identity", "holds_identity_document", "no"),
        ]:
            page.wait_for_url(f"**/my/ask/{slug}")
            self.check(f"ask-{slug}")
            page.check(f"input[name={name}][value={value}]")
            self.submit()
        page.wait_for_url("**/my/ask/details")
        self.check("ask-details")
        page.fill("textarea[name=description]", "My passport was lost on the way back.")
        page.check("input[name=urgency][value=this_week]")
        self.submit()
        page.wait_for_url("**/my/ask/check")
        self.check("ask-check")
        self.submit("form[action$='/ask/check']")
        page.wait_for_url("**/my/requests/*/sent")
        reference = page.locator("#sent").get_attribute("data-reference")
        assert reference and reference in page.url
        assert page.locator("#sent").inner_text().count(reference) == 1  # shown to the person
        self.check("submitted")
        return reference

    def open_request(self, reference: str, step: str) -> None:
        self.page.goto(f"{self.base}/{self.lang}/my/requests/{reference}")
        self.check(step)

    def give_info(self, reference: str) -> None:
        page = self.page
        self.open_request(reference, "request-needs-info")
        assert page.locator("#status").get_attribute("data-status") == "needs_info"
        form = "form[action$='/give-info']"
        page.fill(f"{form} textarea[name=body]", "I lost it in Germany; I have a copy.")
        self.submit(form)
        page.wait_for_url(f"**/my/requests/{reference}")
        assert page.locator("#status").get_attribute("data-status") == "in_review"
        self.check("request-info-given")


class Staff:
    """A social worker or partner staff member on a desktop."""

    def __init__(self, context, base: str, lang: str, login: str, label: str, checks: bool):
        self.page = context.new_page()
        self.checks = checks
        self.base = base
        self.lang = lang
        self.label = label
        page = self.page
        page.goto(f"{base}/{lang}/sign-in")
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form[action$='/sign-in'] button[type=submit]").click()
        page.wait_for_load_state()
        assert "/sign-in" not in page.url, f"{login} could not sign in"

    def check(self, step: str) -> None:
        if self.checks:
            check_staff_page(self.page, f"{self.lang}-{self.label}-{step}")

    def submit(self, form: str) -> None:
        self.page.locator(f"{form} button[type=submit]").click()
        self.page.wait_for_load_state()


class SocialWorker(Staff):
    def __init__(self, context, base: str, lang: str, checks: bool = True):
        super().__init__(context, base, lang, SOCIAL_WORKER, "triage", checks)

    def find(self, reference: str, step: str) -> None:
        page = self.page
        page.goto(f"{self.base}/{self.lang}/triage/")
        page.fill("input[name=q]", reference)
        self.submit("form[role=search]")
        row = page.locator("table.queue tbody tr", has=page.locator(f"a:text-is('{reference}')"))
        assert row.count() == 1, f"{reference} is not in the queue"
        self.check(f"queue-{step}")
        self.row = row

    def open(self, reference: str, step: str) -> None:
        self.row.locator("a[href*='/triage/requests/']").click()
        self.page.wait_for_url("**/triage/requests/*")
        self.check(f"request-{step}")

    def status(self) -> str:
        return self.page.locator(".facts .st").get_attribute("class").split("st-")[-1]

    def ask(self, question: str) -> None:
        self.page.fill("form[action$='/ask'] textarea[name=question]", question)
        self.submit("form[action$='/ask']")
        assert self.status() == "needs_info"

    def suggestions(self) -> list[tuple[str, str]]:
        """(radio id, partner name) of the suggested partners, in the order shown."""
        radios = self.page.locator("#action-refer table.partners input[name=partner_id]")
        out = []
        for i in range(radios.count()):
            radio_id = radios.nth(i).get_attribute("id")
            out.append((radio_id, self.page.locator(f"label[for='{radio_id}']").inner_text()))
        return out

    def refer(self, avoid: str | None = None) -> dict:
        """Refer to the first suggestion (other than `avoid`); the chosen demo partner."""
        suggestions = [(i, n) for i, n in self.suggestions() if n.strip() != avoid]
        assert suggestions, "no partner is suggested"
        radio_id, name = suggestions[0]
        self.page.check(f"#{radio_id}")
        self.submit("form[action$='/refer']")
        assert self.status() == "referred"
        return partner_by_name(name, self.lang)


class PartnerStaff(Staff):
    def __init__(self, context, base: str, lang: str, partner: dict, checks: bool = True):
        _name, login = partner["staff"][0]
        super().__init__(context, base, lang, login, "partner", checks)
        self.partner = partner

    def open(self, reference: str, step: str) -> None:
        page = self.page
        page.goto(f"{self.base}/{self.lang}/partner/")
        link = page.locator("a[href*='/partner/referrals/']", has_text=reference)
        assert link.count() == 1, f"{reference} is not in the inbox of {self.partner['name_en']}"
        self.check(f"inbox-{step}")
        link.click()
        page.wait_for_url("**/partner/referrals/*")
        self.check(f"referral-{step}")

    def decline(self) -> None:
        page = self.page
        page.locator("#decline summary").click()
        page.check("input[name=reason][value=no_capacity]")
        page.fill("textarea[name=decline_note]", "No capacity this month.")
        self.submit("form[action*='/decline']")
        assert page.locator(".state .badge-declined").count() == 1

    def accept_and_record(self, given_on: str) -> None:
        page = self.page
        self.submit("form[action$='/accept']")
        assert page.locator(".state .badge-accepted").count() == 1
        self.check("referral-accepted")
        form = "form[action*='/assistance']"
        page.check(f"{form} input[name=kind][value=legal_advice]")
        page.fill(f"{form} input[name=given_on]", given_on)
        page.fill(f"{form} textarea[name=description]", "Advised on a new passport; fee waived.")
        self.submit(form)
        assert page.locator(".state .badge-accepted").count() == 1  # more can be recorded
        self.check("referral-recorded")
        self.submit("form[action*='/complete']")
        assert page.locator(".state .badge-completed").count() == 1
        self.check("referral-completed")


# --- the scenario --------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "javascript", "phone_number"), SCENARIOS)
def test_core_loop(live_server, phone, desktop, weights, app, lang, javascript, phone_number):
    returnee = Returnee(phone(lang, javascript=javascript), live_server, lang, weights, javascript)
    returnee.register(phone_number)
    returnee.fill_profile()
    reference = returnee.ask_for_documents()
    returnee.open_request(reference, "request-submitted")

    # Staff pages do not change with the returnee's JavaScript: the JS runs check them.
    worker = SocialWorker(desktop(lang), live_server, lang, checks=javascript)
    worker.find(reference, "new")
    worker.open(reference, "new")
    worker.ask("Which country issued your last passport?")

    returnee.give_info(reference)

    worker.page.reload()
    assert worker.status() == "in_review"
    first = worker.refer()

    declining = PartnerStaff(desktop(lang), live_server, lang, first, javascript)
    declining.open(reference, "pending")
    declining.decline()

    worker.find(reference, "returned")
    assert worker.row.locator(".tag-returned").count() == 1, "the queue does not mark it returned"
    worker.open(reference, "returned")
    assert worker.status() == "in_review"
    second = worker.refer(avoid=first[f"name_{lang}"])
    assert second is not first

    helping = PartnerStaff(desktop(lang), live_server, lang, second, javascript)
    helping.open(reference, "second")
    helping.accept_and_record(today_iso(app))

    # The returnee reads the outcome, then switches language on the request page.
    returnee.open_request(reference, "request-help-given")
    page = returnee.page
    new = NEXT_LANG[lang]
    page.locator(f"nav.langs a[hreflang={new}]").click()
    page.wait_for_url(f"**/{new}/my/requests/{reference}")
    returnee.check("request-help-given-switched", lang=new)

    status = page.locator("#status")
    assert status.get_attribute("data-status") == "assistance_provided"
    assert status.locator(".status-words").inner_text().strip() == expected_status(
        app, new, "assistance_provided"
    )

    items = page.locator("main ol.timeline li")
    kinds = [
        items.nth(i).locator("[data-event]").get_attribute("data-event")
        for i in range(items.count())
    ]
    it = iter(kinds)
    assert all(k in it for k in MILESTONES), f"timeline {kinds} lacks {MILESTONES}"
    today = expected_today(app, new)
    referrals = iter([first, second])
    partner = None
    for i, kind in enumerate(kinds):
        if kind == "referred":
            partner = next(referrals)
        date_text, _, text = items.nth(i).inner_text().strip().partition("\n")
        assert today in date_text, f"timeline line {i} is not dated today ({today}): {date_text}"
        assert text.strip() == expected_event_text(app, new, kind, partner), (
            f"timeline line {i} ({kind}) in {new}"
        )
