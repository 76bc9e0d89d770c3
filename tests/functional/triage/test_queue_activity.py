"""Issue 12 items 3 and 7: the queue's new-activity mark and filter, "Waiting" from the last
activity, the total, sorting by every column with keyset paging, unknown sort and filter
values, and the running counts (requests per status, partner load) staying equal to a fresh
count after transitions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from portal.db import utcnow
from portal.models import (
    AssistanceRequest,
    Category,
    CloseOutcome,
    DeclineReason,
    MessageVisibility,
    PartnerOrganisation,
    Priority,
    RequestStatus,
    Role,
)
from portal.services import counts
from portal.services import requests as svc
from portal.triage.queue import SORTS
from tests.conftest import csrf_token, sign_in
from tests.functional.triage.conftest import count_queries

S = RequestStatus
REF_RE = re.compile(r'class="code" href="/en/triage/requests/\d+">([0-9A-Z]{4}-[0-9A-Z]{4})<')
ROW_RE = re.compile(r"<tr[^>]*>\s*<th scope=\"row\">(.*?)</tr>", re.S)


def refs(response) -> list[str]:
    return REF_RE.findall(response.get_data(as_text=True))


def rows_by_reference(response) -> dict[str, str]:
    body = response.get_data(as_text=True)
    return {REF_RE.search(row).group(1): row for row in ROW_RE.findall(body)}


def _figures(db):
    partners = {
        p.id: {
            "open_referrals": p.open_referrals,
            "accepted_referrals": p.accepted_referrals,
            "answered_referrals": p.answered_referrals,
        }
        for p in db.query(PartnerOrganisation).populate_existing()
    }
    return counts.status_counts(db), partners


def test_running_counts_equal_a_fresh_count_after_transitions(app, db, factory):
    worker = factory.user(Role.SOCIAL_WORKER)
    staff = factory.user(Role.PARTNER)
    other_staff = factory.user(Role.PARTNER)
    made = [factory.request(status=s) for s in S if s not in (S.CLOSED, S.WITHDRAWN)]
    made += [factory.request(status=S.CLOSED), factory.request(status=S.WITHDRAWN)]
    with app.app_context():
        partner = db.get(PartnerOrganisation, staff.partner_id)
        other = db.get(PartnerOrganisation, other_staff.partner_id)
        req = db.get(AssistanceRequest, made[1].id)  # in review
        svc.refer_request(db, req, partner, worker, note="Please")
        svc.decline_referral(db, req, staff, DeclineReason.NO_CAPACITY)
        svc.refer_request(db, req, other, worker, note="Please")
        svc.accept_referral(db, req, other_staff)
        svc.record_assistance(db, req, other_staff, "Paid the fee", complete=True)
        svc.close_request(db, req, worker, CloseOutcome.HELP_GIVEN)
        svc.withdraw_request(db, db.get(AssistanceRequest, made[0].id), made[0].owner)
        db.commit()
        kept, kept_partners = _figures(db)
        assert kept == counts.fresh_status_counts(db)
        assert kept.unassigned == counts.fresh_status_counts(db).unassigned
        assert kept.unassigned[S.IN_REVIEW] == 0
        assert kept_partners == counts.fresh_partner_figures(db)
        assert kept[S.CLOSED] == 2 and kept[S.WITHDRAWN] == 2
        assert kept_partners[partner.id]["answered_referrals"] == 1
        assert kept_partners[partner.id]["open_referrals"] == 0
        assert kept_partners[other.id]["accepted_referrals"] == 1
        # a rolled back change leaves the counts as they were
        svc.close_request(
            db, db.get(AssistanceRequest, made[2].id), worker, CloseOutcome.NOT_ELIGIBLE
        )
        db.rollback()
        assert counts.status_counts(db) == counts.fresh_status_counts(db)
        # taking a request and giving it back moves it out of and into "unassigned"
        fresh = db.get(AssistanceRequest, factory.request().id)
        assert counts.status_counts(db).unassigned[S.SUBMITTED] == 1
        svc.assign_request(db, fresh, worker, worker)
        db.commit()
        assert counts.status_counts(db).unassigned == counts.fresh_status_counts(db).unassigned
        assert counts.status_counts(db).unassigned[S.SUBMITTED] == 0
        svc.assign_request(db, fresh, None, worker)
        db.commit()
        assert counts.status_counts(db).unassigned == counts.fresh_status_counts(db).unassigned
        assert counts.status_counts(db).unassigned[fresh.status] == 1
        kept = counts.status_counts(db)
        # and recount() rebuilds the same figures
        counts.recount(db)
        db.commit()
        assert _figures(db) == (kept, kept_partners)


def test_new_activity_mark_filter_and_waiting_clock(app_factory, factory, db):
    app = app_factory()
    client = app.test_client()
    worker = factory.user(Role.SOCIAL_WORKER)
    colleague = factory.user(Role.SOCIAL_WORKER)
    quiet = factory.request(status=S.IN_REVIEW, worker=worker)
    asked = factory.request(status=S.NEEDS_INFO, worker=worker)
    long_ago = utcnow() - timedelta(days=20)
    db.execute(
        update(AssistanceRequest)
        .where(AssistanceRequest.id.in_([quiet.id, asked.id]))
        .values(created_at=long_ago, activity_at=long_ago)
    )
    db.commit()
    with app.app_context():
        req = db.get(AssistanceRequest, asked.id)
        svc.give_info(db, req, req.owner, "I still have my birth certificate.")
        db.commit()
    assert sign_in(client, colleague.login).status_code == 302
    rows = rows_by_reference(client.get("/en/triage/"))
    assert "New activity" in rows[asked.reference]
    assert "New activity" not in rows[quiet.reference]
    # Waiting counts from the answer (minutes ago), not from the submission 20 days ago.
    since = {ref: re.search(r'<time datetime="([^"]+)"', row).group(1) for ref, row in rows.items()}
    assert since[quiet.reference].startswith(long_ago.date().isoformat())
    assert since[asked.reference].startswith(utcnow().date().isoformat())
    assert refs(client.get("/en/triage/?new=1")) == [asked.reference]
    # a colleague opening it does not clear the assignee's mark
    assert client.get(f"/en/triage/requests/{asked.id}").status_code == 200
    assert refs(client.get("/en/triage/?new=1")) == [asked.reference]
    client2 = app.test_client()
    assert sign_in(client2, worker.login).status_code == 302
    version = db.get(AssistanceRequest, asked.id).version
    with count_queries(app) as statements:
        assert client2.get(f"/en/triage/requests/{asked.id}").status_code == 200
    writes = [" ".join(s.split()[:3]) for s in statements if not s.lstrip().startswith("SELECT")]
    # the view recorded, the mark cleared, the queue's data version moved on
    assert writes == [
        "INSERT INTO events",
        "UPDATE assistance_requests SET",
        "UPDATE data_versions SET",
    ]
    assert refs(client2.get("/en/triage/?new=1")) == []
    db.expire_all()
    req = db.get(AssistanceRequest, asked.id)
    assert req.version == version  # opening the page makes nobody's form stale
    assert req.assignee_seen_at is not None
    # a message from the returnee raises the mark again; the worker's own note does not
    with app.app_context():
        req = db.get(AssistanceRequest, quiet.id)
        svc.add_message(db, req, worker, "We are looking.", MessageVisibility.SHARED)
        db.commit()
    assert refs(client2.get("/en/triage/?new=1")) == []
    with app.app_context():
        req = db.get(AssistanceRequest, quiet.id)
        svc.add_message(db, req, req.owner, "Thank you!", MessageVisibility.SHARED)
        db.commit()
    assert refs(client2.get("/en/triage/?new=1")) == [quiet.reference]


def test_a_decline_is_new_activity(login_as, client, factory, db, app):
    worker = login_as(Role.SOCIAL_WORKER)
    staff = factory.user(Role.PARTNER)
    req = factory.request(status=S.REFERRED, worker=worker, partner_staff=staff)
    client.get(f"/en/triage/requests/{req.id}")
    assert refs(client.get("/en/triage/?new=1")) == []
    with app.app_context():
        svc.decline_referral(db, db.get(AssistanceRequest, req.id), staff, DeclineReason.OTHER, "x")
        db.commit()
    assert refs(client.get("/en/triage/?new=1")) == [req.reference]


def _made(factory, db, n=6):
    kinds = [Category.HOUSING, Category.EMPLOYMENT, Category.DOCUMENTATION]
    regions = ["baku", "ganja", "sumgait", "baku", "shaki", "ganja"]
    statuses = [S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFO, S.SUBMITTED, S.IN_REVIEW, S.SUBMITTED]
    made = []
    now = utcnow()
    for i in range(n):
        req = factory.request(status=statuses[i], category=kinds[i % 3], region_code=regions[i])
        made.append(req)
        db.execute(
            update(AssistanceRequest)
            .where(AssistanceRequest.id == req.id)
            .values(
                created_at=now - timedelta(days=30 - i),
                # activity in another order than creation
                activity_at=now - timedelta(days=(i * 7) % 11),
                priority_rank=[1, 3, 0, 2, 1, 3][i],
                priority=[
                    Priority.NORMAL,
                    Priority.URGENT,
                    Priority.LOW,
                    Priority.HIGH,
                    Priority.NORMAL,
                    Priority.URGENT,
                ][i],  # fmt: skip
            )
        )
    db.commit()
    return made


def _walk(client, url):
    seen, pages = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(url)
        seen += refs(response)
        match = re.search(r'rel="next" href="([^"]+)"', response.get_data(as_text=True))
        url = match.group(1).replace("&amp;", "&") if match else None
    return seen, pages


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_pages_by_keyset_forwards_and_back(app_factory, factory, db, sort):
    _made(factory, db)
    app = app_factory(PAGE_SIZE=2)
    whole = app_factory(PAGE_SIZE=50)
    worker = factory.user(Role.SOCIAL_WORKER)
    client, all_at_once = app.test_client(), whole.test_client()
    assert sign_in(client, worker.login).status_code == 302
    assert sign_in(all_at_once, worker.login).status_code == 302
    expected = refs(all_at_once.get(f"/en/triage/?sort={sort}"))
    assert len(expected) == 6
    seen, pages = _walk(client, f"/en/triage/?sort={sort}")
    assert seen == expected
    assert len(pages) == 3
    body = client.get(pages[-1]).get_data(as_text=True)
    prev = re.search(r'rel="prev" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert refs(client.get(prev)) == expected[2:4]
    # a search reads one query in the same order
    searched = refs(all_at_once.get(f"/en/triage/?sort={sort}&q=Test"))
    if searched:
        assert searched == expected
        seen, _ = _walk(client, f"/en/triage/?sort={sort}&q=Test")
        assert seen == expected


def test_sorts_put_rows_in_the_column_order(app_factory, factory, db):
    made = _made(factory, db)
    app = app_factory(PAGE_SIZE=50)
    client = app.test_client()
    assert sign_in(client, factory.user(Role.SOCIAL_WORKER).login).status_code == 302
    by_ref = {r.reference: db.get(AssistanceRequest, r.id) for r in made}
    db.expire_all()

    def order(sort):
        return [by_ref[ref] for ref in refs(client.get(f"/en/triage/?sort={sort}"))]

    assert [r.reference for r in order("reference")] == sorted(by_ref)
    assert [r.reference for r in order("-reference")] == sorted(by_ref, reverse=True)
    waited = [r.activity_at for r in order("waiting")]
    assert waited == sorted(waited)
    assert [r.priority_rank for r in order("priority")] == [3, 3, 2, 1, 1, 0]
    assert [r.region_code for r in order("region")] == sorted(r.region_code for r in made)
    statuses = [list(S).index(r.status) for r in order("status")]
    assert statuses == sorted(statuses)
    kinds = [list(Category).index(r.category) for r in order("-kind")]
    assert kinds == sorted(kinds, reverse=True)


def test_column_headers_sort_with_aria_sort_and_plain_links(login_as, client, factory):
    login_as(Role.SOCIAL_WORKER)
    factory.request()
    body = client.get("/en/triage/?sort=waiting").get_data(as_text=True)
    waiting = re.search(r'<th scope="col"([^>]*)><a class="sort" href="([^"]+)">Waiting', body)
    assert waiting.group(1) == ' aria-sort="descending"'
    assert "sort=-waiting" in waiting.group(2)
    ref = re.search(r'<th scope="col"([^>]*)><a class="sort" href="([^"]+)">Reference', body)
    assert ref.group(1) == "" and "sort=reference" in ref.group(2)
    body = client.get("/en/triage/?sort=-reference").get_data(as_text=True)
    assert re.search(r'aria-sort="descending"><a class="sort" href="[^"]*">Reference', body)


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "has no choice"), ("az", "seçim yoxdur"), ("ru", "нет варианта")],
)
def test_unknown_sort_or_filter_value_says_so_in_the_page_language(
    login_as, client, factory, lang, words
):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request()
    response = client.get(f"/{lang}/triage/?sort=sideways&kind=boats&after=x.1.2")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert req.reference in body  # the queue is still shown, in the default order
    problems = re.search(r'id="filter-problems">(.*?)</div>', body, re.S).group(1)
    assert problems.count("<li>") == 2
    assert words in problems and "sideways" in problems and "boats" in problems


def test_total_exact_from_counts_or_the_page(login_as, client, factory):
    login_as(Role.SOCIAL_WORKER)
    for status in (S.SUBMITTED, S.SUBMITTED, S.IN_REVIEW, S.CLOSED):
        factory.request(status=status)
    assert "3 requests found" in client.get("/en/triage/").get_data(as_text=True)
    assert "4 requests found" in client.get("/en/triage/?status=all").get_data(as_text=True)
    body = client.get("/en/triage/?status=submitted&kind=documentation").get_data(as_text=True)
    assert "2 requests found" in body
    assert "1 request found" in client.get("/en/triage/?status=closed").get_data(as_text=True)


def test_a_total_beyond_one_page_is_an_estimate_asked_once_a_minute(login_as, client, factory, app):
    """More matches than a page: PostgreSQL's estimate, labelled so; asked once for the same
    filters in any order within a minute (it changes only with ANALYZE). SQLite counts."""
    login_as(Role.SOCIAL_WORKER)
    for _ in range(27):
        factory.request(region_code="ganja")
    factory.request(region_code="baku")
    url = "/en/triage/?region=ganja"
    with count_queries(app) as statements:
        pages = [client.get(url + sort).get_data(as_text=True) for sort in ("", "&sort=newest")]
    explains = [s for s in statements if s.lstrip().startswith("EXPLAIN")]
    if app.extensions["db"].url.startswith("postgresql"):
        for body in pages:
            found = re.search(r"About ([\d,]+) requests found \(an estimate\)", body)
            assert found and int(found.group(1).replace(",", "")) >= 25, body
        assert len(explains) == 1
    else:
        assert all("27 requests found" in body for body in pages)
        assert explains == []


# --- sorting by the Returnee and Assigned to columns (names copied onto the request) ---------

OWNERS = [
    "Zaur Bağırov",
    "Əli Həsənov",
    "Anar Məmmədov",
    "Фуад Керимов",
    "Şəhla Qurbanova",
    "Həsən Əliyev",
]
# The order a reader of any of the three languages expects, Cyrillic read as Azerbaijani Latin:
# Əli with the E's, Həsən with the H's (the search key would put him among the G's), Фуад as F.
BY_NAME = [
    "Anar Məmmədov",
    "Anar Məmmədov",
    "Əli Həsənov",
    "Фуад Керимов",
    "Həsən Əliyev",
    "Şəhla Qurbanova",
    "Zaur Bağırov",
]


def _people(factory, db):
    """Seven open requests: six returnees (one with two requests), three workers (one holds
    none), two requests nobody holds; made in an order unlike any of the sorts."""
    owners = {name: factory.user(Role.RETURNEE, full_name=name) for name in OWNERS}
    workers = {
        name: factory.user(Role.SOCIAL_WORKER, full_name=name)
        for name in ("Zəhra Nəbiyeva", "Bəxtiyar Quliyev", "Elnur Babayev")
    }
    plan = [
        ("Anar Məmmədov", None),
        ("Zaur Bağırov", "Bəxtiyar Quliyev"),
        ("Фуад Керимов", "Zəhra Nəbiyeva"),
        ("Anar Məmmədov", "Zəhra Nəbiyeva"),
        ("Həsən Əliyev", None),
        ("Əli Həsənov", "Bəxtiyar Quliyev"),
        ("Şəhla Qurbanova", "Zəhra Nəbiyeva"),
    ]
    made = []
    now = utcnow()
    for i, (owner, worker) in enumerate(plan):
        status = S.SUBMITTED if worker is None else S.IN_REVIEW
        req = factory.request(owners[owner], status, worker=workers.get(worker))
        db.execute(
            update(AssistanceRequest)
            .where(AssistanceRequest.id == req.id)
            .values(created_at=now - timedelta(days=20 - i))
        )
        made.append(req)
    db.commit()
    return owners, workers, made


def _names(db, references: list[str]) -> list[tuple[str, str | None]]:
    """(returnee, assignee) of each reference, in the order given."""
    db.expire_all()
    rows = {
        r.reference: (r.owner.full_name, r.assignee.full_name if r.assignee else None)
        for r in db.query(AssistanceRequest)
    }
    return [rows[ref] for ref in references]


def _signed_in(app_factory, user, **config):
    client = app_factory(**config).test_client()
    assert sign_in(client, user.login).status_code == 302
    return client


def test_returnee_and_assignee_sorts_follow_the_names(app_factory, factory, db):
    _people(factory, db)
    client = _signed_in(app_factory, factory.user(Role.SOCIAL_WORKER), PAGE_SIZE=50)

    def names(sort, column):
        return [n[column] for n in _names(db, refs(client.get(f"/en/triage/?sort={sort}")))]

    assert names("returnee", 0) == BY_NAME
    assert names("-returnee", 0) == BY_NAME[::-1]
    # "Nobody yet" first, then the workers A to Z; the reverse puts nobody last.
    by_worker = [None, None, "Bəxtiyar Quliyev", "Bəxtiyar Quliyev"] + ["Zəhra Nəbiyeva"] * 3
    assert names("assignee", 1) == by_worker
    assert names("-assignee", 1) == by_worker[::-1]
    # Within one name, the oldest request first (A to Z) and last (Z to A).
    both = [ref for ref in refs(client.get("/en/triage/?sort=returnee"))][:2]
    assert both == [ref for ref in refs(client.get("/en/triage/?sort=oldest")) if ref in both]


@pytest.mark.parametrize("sort", ["returnee", "-returnee", "assignee", "-assignee"])
def test_name_sorts_page_across_boundaries_both_ways(app_factory, factory, db, sort):
    _, workers, _ = _people(factory, db)
    me = next(iter(workers.values()))
    client = _signed_in(app_factory, me, PAGE_SIZE=2)
    whole = _signed_in(app_factory, me, PAGE_SIZE=50)
    expected = refs(whole.get(f"/en/triage/?sort={sort}"))
    assert len(expected) == 7
    seen, pages = _walk(client, f"/en/triage/?sort={sort}")
    assert seen == expected
    assert len(pages) == 4
    # The cursor names the row, not the person: no name in a URL (or a server log).
    token = sort.replace("-", "~")
    for url in pages[1:]:
        after = re.search(r"after=([^&]+)", url).group(1)
        assert re.fullmatch(rf"{token}\._\.\d+\.\d+", after), url
    assert not any(part in url.lower() for url in pages for part in ("anar", "zehra", "fuad"))
    # and back: each "Previous page" from the last page gives the pages before it, in order
    back, url = [], pages[-1]
    while url:
        body = client.get(url).get_data(as_text=True)
        back.insert(0, REF_RE.findall(body))
        match = re.search(r'rel="prev" href="([^"]+)"', body)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert [ref for page in back for ref in page] == expected
    assert [len(page) for page in back] == [2, 2, 2, 1]
    # a search is in the same order, and pages the same way: "Anar Məm" finds Anar Məmmədov's
    # two requests, "ali" Həsən Əliyev and Əli Həsənov; two letters find nothing (too short)
    for q, n in (("Anar+M%C9%99m", 2), ("ali", 2), ("an", 0)):
        found = refs(whole.get(f"/en/triage/?sort=oldest&q={q}"))
        assert len(found) == n, q
        in_order = [ref for ref in expected if ref in found]
        assert refs(whole.get(f"/en/triage/?sort={sort}&q={q}")) == in_order
        assert _walk(client, f"/en/triage/?sort={sort}&q={q}")[0] == in_order


def test_a_new_name_moves_the_row_in_the_name_sorts(app_factory, factory, db):
    owners, workers, made = _people(factory, db)
    admin = factory.user(Role.ADMIN)
    client = _signed_in(app_factory, admin, PAGE_SIZE=50)
    zaur = owners["Zaur Bağırov"]
    (zaurs,) = [r.reference for r in made if r.owner_id == zaur.id]
    assert refs(client.get("/en/triage/?sort=returnee"))[-1] == zaurs

    def rename(user, name):
        url = f"/en/admin/accounts/{user.id}"
        data = {
            "csrf_token": csrf_token(client, url),
            "full_name": name,
            "email": user.email or "",
            "preferred_locale": "az",
        }
        assert client.post(url, data=data).status_code == 302

    db.expire_all()
    versions = {r.id: db.get(AssistanceRequest, r.id).version for r in made}
    rename(zaur, "Abbas Bağırov")  # Z to A: from the last row to the first
    ordered = refs(client.get("/en/triage/?sort=returnee"))
    assert ordered[0] == zaurs
    assert [n for n, _ in _names(db, ordered)] == ["Abbas Bağırov", *BY_NAME[:-1]]
    # and a name search finds the request under the new name only (the key each request
    # keeps of its owner's name moved with it)
    assert refs(client.get("/en/triage/?q=Аббас")) == [zaurs]
    assert refs(client.get("/en/triage/?q=Zaur")) == []
    # A worker's new name moves every request they hold.
    rename(workers["Zəhra Nəbiyeva"], "Afaq Nəbiyeva")
    assignees = [a for _, a in _names(db, refs(client.get("/en/triage/?sort=assignee")))]
    assert assignees == [None, None] + ["Afaq Nəbiyeva"] * 3 + ["Bəxtiyar Quliyev"] * 2
    # The renames changed no request's version: a worker's open form is not stale for them.
    db.expire_all()
    assert {r.id: db.get(AssistanceRequest, r.id).version for r in made} == versions


def test_name_sort_keys_are_kept_when_requests_are_made_and_reassigned(app, db, factory):
    owners, workers, made = _people(factory, db)
    req = db.get(AssistanceRequest, made[0].id)
    assert (req.owner_sort_key, req.assignee_sort_key) == ("anar memmedov", "")
    assert req.owner_name_key == "anar mamadov"  # what a name search matches
    with app.app_context():
        svc.assign_request(db, req, workers["Elnur Babayev"], workers["Elnur Babayev"])
        db.commit()
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).assignee_sort_key == "elnur babayev"
    assert db.get(AssistanceRequest, made[2].id).owner_sort_key == "fuad kerimov"
    assert db.get(AssistanceRequest, made[2].id).owner_name_key == "fuad garimov"


def test_name_column_headers_sort_with_aria_sort(login_as, client, factory):
    login_as(Role.SOCIAL_WORKER)
    factory.request()
    body = client.get("/en/triage/").get_data(as_text=True)
    for label, sort in (("Returnee", "returnee"), ("Assigned to", "assignee")):
        header = re.search(rf'<th scope="col"([^>]*)><a class="sort" href="([^"]+)">{label}', body)
        assert header.group(1) == "" and f"sort={sort}" in header.group(2)
    body = client.get("/en/triage/?sort=returnee").get_data(as_text=True)
    header = re.search(r'<th scope="col"([^>]*)><a class="sort" href="([^"]+)">Returnee', body)
    assert header.group(1) == ' aria-sort="ascending"' and "sort=-returnee" in header.group(2)
    body = client.get("/en/triage/?sort=-assignee").get_data(as_text=True)
    header = re.search(r'<th scope="col"([^>]*)><a class="sort" href="([^"]+)">Assigned to', body)
    assert header.group(1) == ' aria-sort="descending"' and "sort=assignee" in header.group(2)
    assert '<option selected value="-assignee">' in body


@pytest.mark.parametrize(
    "query",
    [
        "sort=returnee&after=returnee.anar.12345.1",
        "sort=returnee&after=returnee._.12345.99999999999999999999",
        "sort=-assignee&after=~assignee._.x.1",
        "sort=assignee&before=assignee._.12345.999999",
        "sort=returnee&after=oldest.12345.1",
    ],
)
def test_odd_name_sort_cursors_show_the_queue(login_as, client, factory, query):
    login_as(Role.SOCIAL_WORKER)
    factory.request()
    assert client.get(f"/en/triage/?{query}").status_code == 200
