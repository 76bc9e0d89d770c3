"""Urgent means urgent: nowhere to sleep tonight or help needed today gives a tap-to-call block
at the top of that step and of the confirmation, urgent priority, and first place for workers."""

from __future__ import annotations

from portal.models import Priority, Role
from tests.conftest import sign_in
from tests.functional.returnee.conftest import ANSWERS, DETAILS

TEL = 'href="tel:+994120000000"'


def _urgent_call_at_top(body: str) -> bool:
    main = body[body.index('<main id="main"') :]
    return 'id="urgent-call"' in main and main.index('id="urgent-call"') < main.index("<h1")


def test_no_place_tonight_is_urgent_everywhere(me, app, factory):
    me.step("kind", {"category": "housing"})
    me.step("housing", {"situation": "no_place_tonight"})
    # The step after the answer, and the answer's own step, start with the call block.
    assert _urgent_call_at_top(me.get("ask/household").get_data(as_text=True))
    assert _urgent_call_at_top(me.get("ask/housing").get_data(as_text=True))
    me.step("household", ANSWERS["housing"][1][1])
    me.step("details", DETAILS)
    response = me.submit()
    (req,) = me.requests()
    assert req.priority == Priority.URGENT
    assert req.priority_rank == Priority.URGENT.rank
    sent = me.client.get(response.headers["Location"]).get_data(as_text=True)
    assert _urgent_call_at_top(sent)
    assert TEL in sent
    assert "usually within 2 working days" not in sent
    # Workers see it first, above the queue.
    factory.request(None)  # an ordinary, older-looking request
    worker = factory.user(Role.SOCIAL_WORKER)
    staff = app.test_client()
    assert sign_in(staff, worker.login).status_code == 302
    queue = staff.get("/en/triage/").get_data(as_text=True)
    assert 'id="urgent-first"' in queue
    block = queue[
        queue.index('id="urgent-first"') : queue.index(
            "</section>", queue.index('id="urgent-first"')
        )
    ]
    assert req.reference in block


def test_help_needed_today_is_urgent(me):
    me.fill("documentation", details={"description": "", "urgency": "today"})
    assert _urgent_call_at_top(me.get("ask/check").get_data(as_text=True))
    me.submit()
    (req,) = me.requests()
    assert req.priority == Priority.URGENT


def test_ordinary_request_stays_normal(me):
    me.fill("documentation")
    body = me.get("ask/check").get_data(as_text=True)
    assert 'id="urgent-call"' not in body
    response = me.submit()
    (req,) = me.requests()
    assert req.priority == Priority.NORMAL
    sent = me.client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="urgent-call"' not in sent


def test_hotline_is_a_tel_link_wherever_it_appears(me):
    for url in ("/en/", "/en/privacy", "/en/my/", "/en/account"):
        body = me.client.get(url, follow_redirects=True).get_data(as_text=True)
        shown = body.count("+994 12 000 00 00")
        linked = body.count(f"{TEL}>+994 12 000 00 00</a>") + body.count(f"{TEL}>")
        assert shown and linked >= shown, url
