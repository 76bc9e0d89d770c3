"""No English leaks: every page each role can reach, in az and ru, shows no English message.

The GET routes come from app.url_map, their ids from a seeded data set (a returnee with requests
in every status, a partner organisation with a lead, a social worker, an administrator). Every
HTML answer (error pages too) is parsed; a visible text node (or a label read aloud: title, alt,
placeholder, aria-label, a button's value) that equals an English msgid whose az or ru
translation differs is a leak. Text marked with another lang="…" (the language switcher, a
returnee's own words) is not the page's language and is skipped.

A new route with an argument this test cannot fill fails `test_every_get_route_can_be_filled`:
add a value for it to `_argument_values`.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from portal.models import (
    Category,
    DeclineReason,
    DuplicateFlag,
    DuplicateStatus,
    FollowUp,
    MessageVisibility,
    Notification,
    NotificationChannel,
    Referral,
    RequestStatus,
    Role,
    TranslationSuggestion,
)
from portal.returnee import steps
from portal.services import drafts, duplicates
from portal.services import requests as svc
from portal.services.api_tokens import create_api_token
from portal.services.readmission_imports import create_import, request_save, run_job
from portal.services.readmissions import upsert_case
from portal.services.referrals import decline_referral
from portal.services.triage import add_note
from portal.triage.queue import SORTS
from tests.conftest import CSRF_RE, ROOT, sign_in
from tests.functional.returnee.conftest import ANSWERS, DETAILS, complete_profile

LANGS = ("az", "ru")
ROLES = (None, Role.RETURNEE, Role.SOCIAL_WORKER, Role.PARTNER, Role.ADMIN)
# Not pages: files, JSON, redirects only, downloads.
NOT_PAGES = {"static", "public.root", "public.healthz", "public.favicon"}
NOT_PAGE_PREFIXES = ("api.",)
NOT_PAGE_ENDPOINTS = {"suggestions.export_suggestions"}
DOWNLOAD = re.compile(r"\.[a-z]+$")
READ_ALOUD = ("title", "alt", "placeholder", "aria-label")


def english_messages(lang: str) -> set[str]:
    """English msgids whose translation in `lang` is something else."""
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    found = set()
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for msgid in ids:
            if any(s and " ".join(s.split()) != " ".join(msgid.split()) for s in strings):
                found.add(" ".join(msgid.split()))
    return found


class VisibleText(HTMLParser):
    """Text nodes and read-aloud attributes in the page's language."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang: str | None = None
        self.stack: list[tuple[str, str | None, bool]] = []  # (tag, lang, hidden)
        self.texts: list[str] = []

    def _lang(self) -> str | None:
        for _tag, lang, _hidden in reversed(self.stack):
            if lang:
                return lang
        return self.page_lang

    def _hidden(self) -> bool:
        return any(hidden for _tag, _lang, hidden in self.stack)

    def _add(self, text: str) -> None:
        text = " ".join(text.split())
        if text and not self._hidden() and self._lang() == self.page_lang:
            self.texts.append(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.page_lang = attrs.get("lang")
            return
        hidden = tag in ("script", "style")
        if tag not in self.VOID:
            self.stack.append((tag, attrs.get("lang"), hidden))
        own_lang = attrs.get("lang")
        if own_lang and own_lang != self.page_lang:
            return
        for name in READ_ALOUD:
            if attrs.get(name):
                self._add(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self._add(attrs["value"])

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self._add(data)


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


class World:
    """The seeded data set: one person of each role and requests in every status."""

    def __init__(self, factory, db) -> None:
        self.db = db
        self.partner = factory.partner(name_az="Ümid İctimai Birliyi", name_ru="Союз «Надежда»")
        self.lead = factory.user(
            Role.PARTNER,
            partner_id=self.partner.id,
            is_partner_lead=True,
            full_name="İradə Həsənova",
        )
        self.worker = factory.user(Role.SOCIAL_WORKER, full_name="Leyla Əliyeva")
        self.admin = factory.user(Role.ADMIN, full_name="Rauf Quliyev")
        self.returnee = factory.user(Role.RETURNEE, full_name="Aygün Məmmədova")
        complete_profile(db, self.returnee)
        self.requests = []
        categories = itertools.cycle(Category)
        for status in RequestStatus:
            if status.value == "draft":
                continue
            self.requests.append(
                factory.request(
                    self.returnee,
                    status,
                    category=next(categories),
                    worker=self.worker,
                    partner_staff=self.lead,
                )
            )
        app = factory.app
        with app.app_context():
            req = self.requests[0]
            svc.add_message(db, req, self.returnee, "Salam", MessageVisibility.SHARED)
            add_note(db, req, self.worker, "Daxili qeyd", for_partner=True)
            declined = factory.request(
                self.returnee, RequestStatus.REFERRED, worker=self.worker, partner_staff=self.lead
            )
            decline_referral(db, declined, self.lead, DeclineReason.OUTSIDE_AREA)
            create_api_token(db, self.partner, self.admin, "CRM")
            db.add(
                TranslationSuggestion(
                    author_id=self.worker.id,
                    path="/az/triage/",
                    locale="az",
                    shown_text="Müraciətlər",
                    proposed_text="Müraciətlərin siyahısı",
                )
            )
            closed = next(r for r in self.requests if r.status == RequestStatus.CLOSED)
            db.add(FollowUp(request_id=closed.id, owner_id=self.returnee.id, months=3))
            self.case, _ = upsert_case(
                db,
                {
                    "case_number": "RCMS-2026-0001",
                    "requesting_state": "DE",
                    "full_name": "Aygün Məmmədova",
                    "birth_date": "1990-04-12",
                    "phone": "+994551234500",
                    "returned_on": "2026-11-01",
                    "region_code": "baku",
                    "locale": "az",
                    "vulnerabilities": ["minor"],
                },
                self.admin,
                source="csv",
            )
            db.commit()
            # CSV uploads: one checked with problems, one saved, one failed.
            header = "case_number,requesting_state,full_name,birth_date,returned_on,region_code"
            checked = create_import(
                db,
                f"{header}\nRC-1,DE,Aygün Məmmədova,1990-04-12,2026-11-01,atlantis\n"
                "RC-2,DE,Elvin Əliyev,1990-02-31,2026-11-01,baku\n".encode(),
                "cases.csv",
                self.admin,
            )
            saved = create_import(
                db, f"{header}\nRC-3,FR,Leyla Qasımova,1985-01-01,2026-10-01,baku\n".encode(),
                "saved.csv", self.admin,
            )  # fmt: skip
            failed = create_import(db, f"{header}\nRC-4\n".encode(), "lost.csv", self.admin)
            failed.content = None
            db.commit()
            for job in (checked, saved, failed):
                run_job(db, job.id)
            request_save(db, saved, self.admin)
            db.commit()
            run_job(db, saved.id)
            self.imports = [checked.id, saved.id, failed.id]
        self._possible_duplicates(factory, db)
        self.referrals = db.scalars(select(Referral).order_by(Referral.id)).all()
        self.followups = db.scalars(select(FollowUp.id)).all()
        self.notices = db.scalars(
            select(Notification.id).where(Notification.channel == NotificationChannel.PORTAL)
        ).all()

    def _possible_duplicates(self, factory, db) -> None:
        """Three other accounts born the same day: one pair open, one linked, one dismissed."""
        born = date(1990, 4, 12)
        self.returnee.profile.birth_date = born
        others = [
            factory.user(Role.RETURNEE, full_name=name)
            for name in ("Айгюн Мамедова", "Aygun Mammadova", "Aygül Məmmədova")
        ]
        for person in others:
            person.profile.birth_date = born
        db.commit()
        with factory.app.app_context():
            assert len(duplicates.check_returnee(db, self.returnee)) == 3
            flags = db.scalars(select(DuplicateFlag).order_by(DuplicateFlag.id)).all()
            for flag, status in zip(
                flags[1:], (DuplicateStatus.LINKED, DuplicateStatus.DISMISSED), strict=True
            ):
                duplicates.decide(
                    db, flag, self.worker, status, expected_version=1, request=self.requests[0]
                )
            db.commit()

    def user(self, role: Role | None):
        return {
            Role.RETURNEE: self.returnee,
            Role.SOCIAL_WORKER: self.worker,
            Role.PARTNER: self.lead,
            Role.ADMIN: self.admin,
        }.get(role)

    def set_draft(self, category: Category, app) -> None:
        """A draft of this kind with every page answered, so every page of its flow opens."""
        with app.app_context():
            draft = drafts.start_draft(self.db, self.returnee)
            drafts.choose_category(self.db, draft, category)
            answers = {k: v for _slug, page in ANSWERS[category.value] for k, v in page.items()}
            answers["household"] = int(answers.get("household", 0)) or None
            drafts.save_answers(self.db, draft, {**answers, **DETAILS})
            self.db.commit()


def _argument_values(world: World, argument: str) -> list | None:
    values = {
        "reference": [r.reference for r in world.requests],
        "request_id": [r.id for r in world.requests],
        "referral_id": [r.id for r in world.referrals],
        "partner_id": [world.partner.id],
        "slug": list(steps.ALL_STEPS),
        "user_id": [u.id for u in (world.returnee, world.worker, world.lead, world.admin)],
        # A link token that is not (or no longer) valid: its page must speak the language too.
        "token": ["no-such-token"],
        "followup_id": list(world.followups),
        "case_id": [world.case.id],
        "import_id": list(world.imports),
        "notice_id": list(world.notices),
        # the queue's query arguments (issue 12): every sort, the new-activity filter
        "sort": list(SORTS),
        "new": ["1"],
    }
    return values.get(argument)


def _page_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        if rule.endpoint in NOT_PAGES | NOT_PAGE_ENDPOINTS:
            continue
        if rule.endpoint.startswith(NOT_PAGE_PREFIXES):
            continue
        if DOWNLOAD.search(rule.rule):
            continue  # a file (.csv, .json, .po), not a page
        yield rule


def _urls(app, world: World, lang: str, only: set[str] | None = None) -> list[tuple[str, bool]]:
    """(url, is a form page) for every GET page, ids filled from the world."""
    urls = []
    adapter = app.url_map.bind("localhost")
    for rule in _page_rules(app):
        if only is not None and rule.endpoint not in only:
            continue
        names = sorted(a for a in rule.arguments if a != "lang_code")
        choices = [_argument_values(world, name) for name in names]
        assert all(c is not None for c in choices), (rule.rule, names)
        for combo in itertools.product(*choices):
            args = dict(zip(names, combo, strict=True))
            if "lang_code" in rule.arguments:
                args["lang_code"] = lang
            urls.append((adapter.build(rule.endpoint, args, method="GET"), "POST" in rule.methods))
    return urls


def _leaks(client, urls: list[tuple[str, bool]], english: set[str]) -> tuple[list[str], int]:
    """Leaks on every page, and on every form page sent back empty (its error messages)."""
    leaks, pages = [], 0
    for url, is_form in urls:
        response = client.get(url)
        answers = [("GET", response)]
        token = CSRF_RE.search(response.get_data(as_text=True))
        if is_form and response.status_code == 200 and token:
            answers.append(("POST", client.post(url, data={"csrf_token": token.group(1)})))
        for method, answer in answers:
            if answer.status_code in (301, 302, 303, 307, 308) or answer.mimetype != "text/html":
                continue
            pages += 1
            for text in visible_texts(answer.get_data(as_text=True)):
                if text in english:
                    leaks.append(f"{method} {url} ({answer.status_code}): {text!r}")
    return leaks, pages


def test_every_get_route_can_be_filled(app, factory, db):
    world = World(factory, db)
    unfilled = sorted(
        {
            f"{rule.rule} needs {name}"
            for rule in _page_rules(app)
            for name in rule.arguments - {"lang_code"}
            if _argument_values(world, name) is None
        }
    )
    assert unfilled == [], "teach _argument_values these arguments"


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
@pytest.mark.parametrize("lang", LANGS)
def test_no_page_shows_an_english_message(client, app, factory, db, role, lang):
    world = World(factory, db)
    user = world.user(role)
    if user is not None:
        assert sign_in(client, user.login, lang=lang).status_code == 302
    english = english_messages(lang)
    leaks, pages = _leaks(client, _urls(app, world, lang), english)
    if role is Role.RETURNEE:
        ask = {"returnee.ask_step", "returnee.check_answers"}
        for category in Category:
            world.set_draft(category, app)
            more, more_pages = _leaks(client, _urls(app, world, lang, only=ask), english)
            leaks += more
            pages += more_pages
    assert pages >= 5, f"only {pages} pages rendered: is the role signed in?"
    assert sorted(set(leaks)) == []


def test_the_scan_sees_a_leak():
    """The parser finds an English message on a page, and skips text marked as another language."""
    html = (
        '<html lang="ru"><head><title>Мои обращения</title></head><body>'
        '<nav><a lang="en" href="/en/">English</a></nav>'
        "<h2>There is a problem</h2><button aria-label='Close'>×</button>"
        "<script>var x = 'My requests';</script></body></html>"
    )
    english = english_messages("ru")
    assert "There is a problem" in english and "My requests" in english
    texts = visible_texts(html)
    assert "There is a problem" in texts and "Close" in texts
    assert "English" not in texts and "My requests" not in texts
