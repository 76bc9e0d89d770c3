"""The guided ask-for-help flow: each kind of help end to end, the draft, double submit."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from portal.models import Category, Event, RequestDraft, Urgency
from tests.functional.returnee.conftest import ANSWERS


@pytest.mark.parametrize(
    ("category", "subtype", "answers", "shown"),
    [
        (
            "housing",
            "no_place_tonight",
            {
                "situation": "no_place_tonight",
                "household": 4,
                "special_needs": "My son uses a wheelchair.",
            },
            ["I have no place to sleep tonight", "My son uses a wheelchair."],
        ),
        (
            "employment",
            None,
            {
                "profession": "Driver",
                "experience": "8 years, trucks in Germany",
                "education": "secondary",
                "languages": ["az", "ru", "de"],
                "training": "vocational",
                "work_area": "Baku",
            },
            [
                "11 years of school",
                "Azerbaijani, Russian, German",
                "Yes, training to learn a trade",
            ],
        ),
        (
            "documentation",
            "passport",
            {"document": "passport", "what_happened": "lost", "holds_identity_document": "no"},
            ["Passport", "It was lost or taken"],
        ),
    ],
)
def test_each_kind_of_help_end_to_end(me, db, category, subtype, answers, shown):
    me.fill(category)
    check = me.get("ask/check").get_data(as_text=True)
    assert "Check your answers" in check
    for text in [*shown, "Please call me after 6 pm.", "This week"]:
        assert text in check
    assert check.count(">Change<") >= len(answers) + 3  # one link per answer

    response = me.submit()
    assert response.status_code == 302
    [req] = me.requests()
    assert response.headers["Location"] == f"/en/my/requests/{req.reference}/sent"
    assert req.category == Category(category)
    assert req.subtype == subtype
    assert req.answers == answers
    assert req.description == "Please call me after 6 pm."
    assert req.urgency == Urgency.THIS_WEEK
    assert req.region_code == "ganja"  # from the profile
    assert db.scalar(select(RequestDraft)) is None  # the draft is gone

    done = me.client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<p class="ref" lang="en">{req.reference}</p>' in done
    assert "What happens next" in done

    listing = me.get("").get_data(as_text=True)
    assert req.reference in listing
    assert "Received — a social worker will look at it soon" in listing


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_the_flow_works_in_azerbaijani_and_russian(client, db, returnee_user, lang):
    from tests.conftest import sign_in
    from tests.functional.returnee.conftest import Returnee

    sign_in(client, returnee_user.login, lang=lang)
    r = Returnee(client, db, returnee_user, lang=lang)
    for path in ["", "profile", "ask/kind"]:
        page = r.get(path)
        assert page.status_code == 200
        assert f'<html lang="{lang}">' in page.get_data(as_text=True)
    r.fill("documentation")
    page = r.get("ask/check")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.get_data(as_text=True)
    response = r.submit()
    assert response.status_code == 302
    [req] = r.requests()
    for path in [f"requests/{req.reference}/sent", f"requests/{req.reference}"]:
        page = r.get(path)
        assert page.status_code == 200
        assert f'<html lang="{lang}">' in page.get_data(as_text=True)


def test_answers_survive_leaving_and_the_back_button(me, app, db):
    me.step("kind", {"category": "housing"})
    me.step("housing", {"situation": "renting_cannot_afford"})
    # The connection drops; later, on another device, the same person goes on.
    other_device = app.test_client()
    from tests.conftest import sign_in

    sign_in(other_device, me.user.login)
    response = other_device.get("/en/my/ask/")
    assert response.headers["Location"] == "/en/my/ask/household"
    # Back button: an earlier page shows the answer already given.
    body = me.get("ask/housing").get_data(as_text=True)
    assert _checked(body, "renting_cannot_afford") and not _checked(body, "no_place_tonight")
    assert _checked(me.get("ask/kind").get_data(as_text=True), "housing")
    # The household size is offered from the profile.
    assert 'value="3"' in me.get("ask/household").get_data(as_text=True)
    # The home page offers to continue.
    assert "Continue my request" in me.get("").get_data(as_text=True)


def _checked(body: str, value: str) -> bool:
    """Whether the radio or checkbox with this value is checked in the page."""
    for chunk in body.split("<input")[1:]:
        tag = chunk.split(">", 1)[0]
        if f'value="{value}"' in tag:
            return "checked" in tag
    return False


def test_going_back_shows_each_saved_answer(me):
    me.fill("employment")
    assert _checked(me.get("ask/education").get_data(as_text=True), "secondary")
    body = me.get("ask/education").get_data(as_text=True)
    assert _checked(body, "az") and _checked(body, "de") and not _checked(body, "fr")
    assert 'value="Driver"' in me.get("ask/work").get_data(as_text=True)
    assert "Please call me after 6 pm." in me.get("ask/details").get_data(as_text=True)
    assert _checked(me.get("ask/details").get_data(as_text=True), "this_week")


def test_change_link_returns_to_check_your_answers(me):
    me.fill("documentation")
    page = me.get("ask/check").get_data(as_text=True)
    assert 'href="/en/my/ask/document-problem?change=1#what_happened"' in page
    response = me.step("document-problem", {"what_happened": "expired"}, change=True)
    assert response.headers["Location"] == "/en/my/ask/check"
    assert "It has expired" in me.get("ask/check").get_data(as_text=True)


def test_changing_the_kind_of_help_asks_the_new_questions(me):
    me.fill("documentation")
    response = me.step("kind", {"category": "housing"}, change=True)
    assert response.headers["Location"] == "/en/my/ask/housing"
    # The check page is not reachable until the new questions are answered.
    assert me.get("ask/check").headers["Location"] == "/en/my/ask/housing"
    for slug, data in ANSWERS["housing"]:
        me.step(slug, data, change=True)
    page = me.get("ask/check").get_data(as_text=True)
    assert "Please call me after 6 pm." in page  # the details were kept
    assert "Passport" not in page  # the answers about documents were dropped
    me.submit()
    [req] = me.requests()
    assert req.category == Category.HOUSING and "document" not in req.answers


def test_pages_cannot_be_skipped_by_address(me):
    assert me.get("ask/details").headers["Location"] == "/en/my/ask/kind"
    me.step("kind", {"category": "employment"})
    assert me.get("ask/training").headers["Location"] == "/en/my/ask/work"
    assert me.get("ask/housing").headers["Location"] == "/en/my/ask/work"  # another kind
    assert me.get("ask/nonsense").status_code == 404


def test_double_submit_makes_one_request(me, db):
    me.fill("housing")
    key = me.submission_key()
    first = me.submit(key)
    second = me.submit(key)  # the double tap, or a resubmit after a timeout
    assert first.headers["Location"] == second.headers["Location"]
    assert len(me.requests()) == 1
    assert db.scalar(select(Event).where(Event.kind == "submitted")) is not None


def test_back_and_submit_again_makes_one_request(me):
    me.fill("documentation")
    key = me.submission_key()
    assert me.submit(key).status_code == 302
    # Back to 'check your answers': the draft is gone; the page says it was already sent.
    back = me.get("ask/check")
    assert back.status_code == 200 and 'id="already-sent"' in back.get_data(as_text=True)
    # The old page still in the browser is sent again: the same request, not a new one.
    response = me.submit(key)
    [req] = me.requests()
    assert response.headers["Location"] == f"/en/my/requests/{req.reference}/sent"


def test_a_new_request_after_the_first_gets_a_new_key(me):
    me.fill("documentation")
    first_key = me.submission_key()
    me.submit(first_key)
    me.fill("housing")
    assert me.submission_key() != first_key
    me.submit()
    assert len(me.requests()) == 2


def test_parallel_submits_make_one_request(me, app, db):
    from tests.conftest import sign_in
    from tests.functional.returnee.conftest import Returnee

    me.fill("employment")
    key = me.submission_key()
    clients = []
    for _ in range(3):
        c = app.test_client()
        sign_in(c, me.user.login)
        clients.append(Returnee(c, db, me.user))
    for r in clients:
        assert r.csrf
    results = []
    barrier = threading.Barrier(len(clients))

    def submit(r):
        barrier.wait()
        results.append(r.submit(key).status_code)

    threads = [threading.Thread(target=submit, args=(r,)) for r in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [302] * len(clients)
    assert len(me.requests()) == 1


def test_a_forged_or_outdated_key_does_not_submit(me):
    me.fill("housing")
    response = me.submit("not-the-key")
    assert response.headers["Location"] == "/en/my/ask/"
    assert me.requests() == []
    page = me.client.get("/en/my/ask/check").get_data(as_text=True)
    assert "This form is out of date" in page  # flashed, and the answers are still there
    assert "I have no place to sleep tonight" in page


def test_asking_for_help_needs_the_profile_first(client, factory, db):
    from portal.models import Role
    from tests.conftest import sign_in

    user = factory.user(Role.RETURNEE)
    sign_in(client, user.login)
    response = client.get("/en/my/ask/")
    assert response.headers["Location"] == "/en/my/profile?next=ask"
    assert client.get("/en/my/ask/kind").headers["Location"] == "/en/my/ask/"
    assert "First, tell us about yourself" in client.get("/en/my/").get_data(as_text=True)


def test_details_are_optional_but_urgency_is_not(me):
    me.step("kind", {"category": "documentation"})
    for slug, data in ANSWERS["documentation"]:
        me.step(slug, data)
    response = me.step("details", {"description": ""})
    assert response.status_code == 400
    response = me.step("details", {"description": "", "urgency": "today"})
    assert response.headers["Location"] == "/en/my/ask/check"
    assert "Not given" in me.get("ask/check").get_data(as_text=True)
    me.submit()
    [req] = me.requests()
    assert req.description is None and req.urgency == Urgency.TODAY
