"""Unit tests of portal.services.workflow: the transition table and apply_transition.

The expected table below is written out by hand from DESIGN, independently of
workflow.TRANSITIONS, so a change to the table that is not also made here fails.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import portal.models  # noqa: F401 - registers every table on Base.metadata
from portal import create_app
from portal.db import Base, db
from portal.models import (
    AssistanceRequest,
    Category,
    Event,
    PartnerKind,
    PartnerOrganisation,
    Priority,
    Referral,
    ReferralStatus,
    RequestStatus,
    Role,
    Urgency,
    User,
)
from portal.models.event import AppendOnlyError
from portal.models.request import new_reference
from portal.services import workflow
from portal.services.errors import PermissionDenied, StaleRequest, TransitionNotAllowed
from portal.services.workflow import allowed_targets, apply_transition, can_transition

S = RequestStatus

# ---------------------------------------------------------------------------
# The expected table, from DESIGN (not derived from workflow.TRANSITIONS).
# Actor kinds: "owner" (the returnee who owns the request), "staff" (social
# worker or admin), "partner" (staff of the partner holding the open referral).
# ---------------------------------------------------------------------------
OWNER, STAFF, PARTNER = "owner", "staff", "partner"
# The owner deleting the account or withdrawing consent: every open request is withdrawn.
LEAVING = "leaving_owner"

EXPECTED_ALLOWED: frozenset[tuple[RequestStatus, RequestStatus, str]] = frozenset(
    {
        # submitted → in_review (staff)
        (S.SUBMITTED, S.IN_REVIEW, STAFF),
        # submitted/in_review → needs_info (staff)
        (S.SUBMITTED, S.NEEDS_INFO, STAFF),
        (S.IN_REVIEW, S.NEEDS_INFO, STAFF),
        # needs_info → in_review (owner, staff)
        (S.NEEDS_INFO, S.IN_REVIEW, OWNER),
        (S.NEEDS_INFO, S.IN_REVIEW, STAFF),
        # submitted/in_review → referred (staff)
        (S.SUBMITTED, S.REFERRED, STAFF),
        (S.IN_REVIEW, S.REFERRED, STAFF),
        # referred → in_progress (partner)
        (S.REFERRED, S.IN_PROGRESS, PARTNER),
        # referred/in_progress → in_review (partner, staff)
        (S.REFERRED, S.IN_REVIEW, PARTNER),
        (S.REFERRED, S.IN_REVIEW, STAFF),
        (S.IN_PROGRESS, S.IN_REVIEW, PARTNER),
        (S.IN_PROGRESS, S.IN_REVIEW, STAFF),
        # in_progress → assistance_provided (partner)
        (S.IN_PROGRESS, S.ASSISTANCE_PROVIDED, PARTNER),
        # assistance_provided → closed (staff)
        (S.ASSISTANCE_PROVIDED, S.CLOSED, STAFF),
        # assistance_provided → in_review (staff)
        (S.ASSISTANCE_PROVIDED, S.IN_REVIEW, STAFF),
        # the owner disputes the help recorded (no, or only partly): back to review
        (S.ASSISTANCE_PROVIDED, S.IN_REVIEW, OWNER),
        # submitted/in_review/needs_info/referred/in_progress → closed (staff)
        (S.SUBMITTED, S.CLOSED, STAFF),
        (S.IN_REVIEW, S.CLOSED, STAFF),
        (S.NEEDS_INFO, S.CLOSED, STAFF),
        (S.REFERRED, S.CLOSED, STAFF),
        (S.IN_PROGRESS, S.CLOSED, STAFF),
        # submitted/in_review/needs_info/referred → withdrawn (owner)
        (S.SUBMITTED, S.WITHDRAWN, OWNER),
        (S.IN_REVIEW, S.WITHDRAWN, OWNER),
        (S.NEEDS_INFO, S.WITHDRAWN, OWNER),
        (S.REFERRED, S.WITHDRAWN, OWNER),
        *((s, S.WITHDRAWN, LEAVING) for s in S if s.is_open),
    }
)
EXPECTED_PAIRS = frozenset((src, dst) for src, dst, _ in EXPECTED_ALLOWED)

# The people who may try a transition, and which actor kind (if any) each one is.
ACTOR_KIND_OF: dict[str, str | None] = {
    "owner_returnee": OWNER,
    "other_returnee": None,
    "social_worker": STAFF,
    "admin": STAFF,
    "partner_holding_referral": PARTNER,
    "partner_other_org": None,
}

OLD = datetime(2020, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------
# Fixtures (prefixed wf_ so they never clash with a shared conftest).
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wf_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("wf") / "workflow.db"
    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": f"sqlite:///{path}"})
    engine = app.extensions["db"].engine
    Base.metadata.create_all(engine)
    yield app
    app.extensions["db"].session.remove()
    engine.dispose()


@pytest.fixture(scope="module")
def wf_engine(wf_app):
    return wf_app.extensions["db"].engine


@pytest.fixture(scope="module")
def wf_people(wf_app, wf_engine) -> dict[str, int]:
    """One user of each kind (committed once per module): name -> user id."""
    holder, other_org = _partner("Holder"), _partner("Other")
    users = {
        "owner_returnee": _user(Role.RETURNEE),
        "other_returnee": _user(Role.RETURNEE),
        "social_worker": _user(Role.SOCIAL_WORKER),
        "admin": _user(Role.ADMIN),
        "partner_holding_referral": _user(Role.PARTNER, holder),
        "partner_other_org": _user(Role.PARTNER, other_org),
    }
    with Session(wf_engine) as session:
        session.add_all([holder, other_org, *users.values()])
        session.commit()
        return {name: user.id for name, user in users.items()}


@pytest.fixture
def wf_ctx(wf_app, wf_people):
    """An app context whose session is rolled back afterwards."""
    with wf_app.app_context():
        yield
        db.rollback()


@pytest.fixture
def wf_clean(wf_engine):
    """For tests that commit: delete their requests, referrals and events afterwards."""
    yield
    with wf_engine.begin() as conn:
        for table in (Event.__table__, Referral.__table__, AssistanceRequest.__table__):
            conn.execute(table.delete())


_seq = itertools.count(1)


def _user(role: Role, partner: PartnerOrganisation | None = None) -> User:
    n = next(_seq)
    user = User(role=role, full_name=f"Person {n}", password_hash="x")
    if role == Role.RETURNEE:
        user.phone = f"+99450{n:07d}"
    else:
        user.email = f"person{n}@example.org"
    if partner is not None:
        user.partner = partner
    return user


def _partner(name: str) -> PartnerOrganisation:
    return PartnerOrganisation(
        name_az=name, name_ru=name, name_en=name, kind=PartnerKind.NGO, capacity=5
    )


def wf_build(
    session: Session, people: dict[str, int], status: RequestStatus
) -> tuple[AssistanceRequest, dict[str, User]]:
    """A new request in `status`, owned by owner_returnee, with an open referral to the
    organisation of partner_holding_referral; and the users by name, loaded in `session`."""
    loaded = {u.id: u for u in session.scalars(select(User).where(User.id.in_(people.values())))}
    users = {name: loaded[user_id] for name, user_id in people.items()}
    request = AssistanceRequest(
        reference=new_reference(),
        owner_id=users["owner_returnee"].id,
        category=Category.HOUSING,
        urgency=Urgency.THIS_WEEK,
        region_code="baku",
        status=status,
        priority=Priority.NORMAL,
        priority_rank=1,
        status_changed_at=OLD,
    )
    referral_status = (
        ReferralStatus.ACCEPTED
        if status in (S.IN_PROGRESS, S.ASSISTANCE_PROVIDED)
        else ReferralStatus.PENDING
    )
    request.referrals.append(
        Referral(
            partner_id=users["partner_holding_referral"].partner_id,
            status=referral_status,
            sent_by_id=users["admin"].id,
        )
    )
    session.add(request)
    session.flush()
    assert request.open_referral is not None
    return request, users


def _event_count(session: Session, request_id: int | None = None) -> int:
    query = select(func.count()).select_from(Event)
    if request_id is not None:
        query = query.where(Event.request_id == request_id)
    return session.scalar(query)


def _db_state(session: Session, request_id: int) -> tuple[Any, ...]:
    """Status, version, status_changed_at, closed_at as stored (autoflushes pending changes)."""
    row = session.execute(
        select(
            AssistanceRequest.status,
            AssistanceRequest.version,
            AssistanceRequest.status_changed_at,
            AssistanceRequest.closed_at,
        ).where(AssistanceRequest.id == request_id)
    ).one()
    return tuple(row)


# ---------------------------------------------------------------------------
# 0. The table itself matches DESIGN exactly.
# ---------------------------------------------------------------------------
_KIND_OF_ACTOR = {
    workflow.Actor.OWNER: OWNER,
    workflow.Actor.STAFF: STAFF,
    workflow.Actor.PARTNER: PARTNER,
    workflow.Actor.LEAVING_OWNER: LEAVING,
}


def test_table_matches_design():
    actual = {
        (t.source, t.target, _KIND_OF_ACTOR[a]) for t in workflow.TRANSITIONS for a in t.actors
    }
    assert actual == EXPECTED_ALLOWED


def test_table_has_no_duplicate_pairs():
    pairs = [(t.source, t.target) for t in workflow.TRANSITIONS]
    assert len(pairs) == len(set(pairs))


# ---------------------------------------------------------------------------
# 1. Every (source, target, actor) combination.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("actor_name", list(ACTOR_KIND_OF))
@pytest.mark.parametrize("target", list(S), ids=lambda s: f"to-{s.value}")
@pytest.mark.parametrize("source", list(S), ids=lambda s: f"from-{s.value}")
def test_transition_matrix(wf_ctx, wf_people, source, target, actor_name):
    request, users = wf_build(db, wf_people, source)
    actor = users[actor_name]
    kind = ACTOR_KIND_OF[actor_name]
    allowed = kind is not None and (source, target, kind) in EXPECTED_ALLOWED

    events_before = _event_count(db)
    state_before = _db_state(db, request.id)
    assert state_before[:2] == (source, 1)
    version_before = request.version

    assert can_transition(request, target, actor) is allowed
    assert (target in allowed_targets(request, actor)) is allowed

    if allowed:
        started = datetime.now(UTC)
        event = apply_transition(request, target, actor)
        finished = datetime.now(UTC)

        assert request.status == target
        assert request.version == version_before + 1
        assert request.status_changed_at is not None
        assert started <= request.status_changed_at <= finished
        if target in (S.CLOSED, S.WITHDRAWN):
            assert request.closed_at is not None
            assert started <= request.closed_at <= finished
        else:
            assert request.closed_at is None

        assert _event_count(db) == events_before + 1
        new_events = db.scalars(select(Event).where(Event.request_id == request.id)).all()
        assert new_events == [event]
        assert event.id is not None
        assert event.from_status == source.value
        assert event.to_status == target.value
        assert event.actor_id == actor.id
        assert event.request_id == request.id
        assert event.subject_id == request.id

        status, version, changed_at, closed_at = _db_state(db, request.id)
        assert (status, version) == (target, version_before + 1)
        assert changed_at == request.status_changed_at
        assert (closed_at is not None) is (target in (S.CLOSED, S.WITHDRAWN))
    else:
        expected_error = (
            PermissionDenied if (source, target) in EXPECTED_PAIRS else TransitionNotAllowed
        )
        with pytest.raises(expected_error):
            apply_transition(request, target, actor)
        assert request.status == source
        assert request.version == version_before
        assert request.status_changed_at == OLD
        assert request.closed_at is None
        assert _db_state(db, request.id) == state_before
        assert _event_count(db) == events_before


# ---------------------------------------------------------------------------
# 2. expected_version.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("offset", [-1, 1, 5], ids=lambda o: f"version{o:+d}")
def test_stale_expected_version_refused(wf_ctx, wf_people, offset):
    request, users = wf_build(db, wf_people, S.SUBMITTED)
    state_before = _db_state(db, request.id)
    events_before = _event_count(db)
    with pytest.raises(StaleRequest):
        apply_transition(
            request, S.IN_REVIEW, users["social_worker"], expected_version=request.version + offset
        )
    assert request.status == S.SUBMITTED
    assert _db_state(db, request.id) == state_before
    assert _event_count(db) == events_before


@pytest.mark.parametrize("as_text", [False, True], ids=["int", "str"])
def test_matching_expected_version_accepted(wf_ctx, wf_people, as_text):
    request, users = wf_build(db, wf_people, S.SUBMITTED)
    version = request.version
    expected = str(version) if as_text else version
    event = apply_transition(
        request, S.IN_REVIEW, users["social_worker"], expected_version=expected
    )
    assert request.status == S.IN_REVIEW
    assert request.version == version + 1
    assert event.to_status == S.IN_REVIEW.value
    # A second change with the old version is now stale.
    with pytest.raises(StaleRequest):
        apply_transition(request, S.NEEDS_INFO, users["social_worker"], expected_version=version)
    assert request.status == S.IN_REVIEW


def test_stale_check_comes_before_table_check(wf_ctx, wf_people):
    """A stale form is reported as stale even if the change is no longer allowed."""
    request, users = wf_build(db, wf_people, S.CLOSED)
    with pytest.raises(StaleRequest):
        apply_transition(request, S.IN_REVIEW, users["admin"], expected_version=request.version - 1)


# ---------------------------------------------------------------------------
# 3. A real concurrent update in another session is caught.
# ---------------------------------------------------------------------------
def test_concurrent_update_raises_stale(wf_clean, wf_ctx, wf_engine, wf_people):
    make_session = sessionmaker(bind=wf_engine, expire_on_commit=False)
    with make_session() as setup:
        request, users = wf_build(setup, wf_people, S.SUBMITTED)
        request_id = request.id
        worker_id = users["social_worker"].id
        admin_id = users["admin"].id
        setup.commit()

    first, second = make_session(), make_session()
    try:
        request_1 = first.get(AssistanceRequest, request_id)
        request_2 = second.get(AssistanceRequest, request_id)
        assert request_1.version == request_2.version == 1
        worker_1 = first.get(User, worker_id)
        admin_2 = second.get(User, admin_id)

        apply_transition(request_2, S.IN_REVIEW, admin_2)
        second.commit()

        # The first session still believes the request is submitted, version 1.
        assert request_1.status == S.SUBMITTED
        with pytest.raises(StaleRequest):
            apply_transition(request_1, S.NEEDS_INFO, worker_1)
    finally:
        first.close()
        second.close()

    with make_session() as check:
        stored = check.get(AssistanceRequest, request_id)
        assert stored.status == S.IN_REVIEW
        assert stored.version == 2
        events = check.scalars(select(Event).where(Event.request_id == request_id)).all()
        assert [(e.from_status, e.to_status, e.actor_id) for e in events] == [
            (S.SUBMITTED.value, S.IN_REVIEW.value, admin_id)
        ]


# ---------------------------------------------------------------------------
# 4. Events are append-only.
# ---------------------------------------------------------------------------
def test_event_update_refused(wf_ctx, wf_people):
    request, users = wf_build(db, wf_people, S.SUBMITTED)
    event = apply_transition(request, S.IN_REVIEW, users["social_worker"])
    event.to_status = S.CLOSED.value
    with pytest.raises(AppendOnlyError):
        db.flush()


def test_event_delete_refused(wf_ctx, wf_people):
    request, users = wf_build(db, wf_people, S.SUBMITTED)
    event = apply_transition(request, S.IN_REVIEW, users["social_worker"])
    db.delete(event)
    with pytest.raises(AppendOnlyError):
        db.flush()


def test_committed_event_update_refused(wf_clean, wf_ctx, wf_people):
    request, users = wf_build(db, wf_people, S.SUBMITTED)
    event = apply_transition(request, S.IN_REVIEW, users["social_worker"])
    db.commit()
    event.data = {"changed": True}
    with pytest.raises(AppendOnlyError):
        db.flush()


# ---------------------------------------------------------------------------
# 5. allowed_targets / can_transition for representative cases.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "actor_name", "expected"),
    [
        (S.SUBMITTED, "social_worker", {S.IN_REVIEW, S.NEEDS_INFO, S.REFERRED, S.CLOSED}),
        (S.SUBMITTED, "owner_returnee", {S.WITHDRAWN}),
        (S.SUBMITTED, "partner_holding_referral", set()),
        (S.NEEDS_INFO, "owner_returnee", {S.IN_REVIEW, S.WITHDRAWN}),
        (S.NEEDS_INFO, "other_returnee", set()),
        (S.REFERRED, "partner_holding_referral", {S.IN_PROGRESS, S.IN_REVIEW}),
        (S.REFERRED, "partner_other_org", set()),
        (S.IN_PROGRESS, "partner_holding_referral", {S.IN_REVIEW, S.ASSISTANCE_PROVIDED}),
        (S.IN_PROGRESS, "admin", {S.IN_REVIEW, S.CLOSED}),
        (S.ASSISTANCE_PROVIDED, "admin", {S.CLOSED, S.IN_REVIEW}),
        (S.CLOSED, "admin", set()),
        (S.WITHDRAWN, "owner_returnee", set()),
    ],
    ids=lambda v: v.value if isinstance(v, RequestStatus) else None,
)
def test_allowed_targets(wf_ctx, wf_people, status, actor_name, expected):
    request, users = wf_build(db, wf_people, status)
    actor = users[actor_name]
    targets = allowed_targets(request, actor)
    assert len(targets) == len(set(targets))
    assert set(targets) == expected
    for target in S:
        assert can_transition(request, target, actor) is (target in expected)


def test_partner_loses_rights_when_referral_closes(wf_ctx, wf_people):
    request, users = wf_build(db, wf_people, S.REFERRED)
    partner = users["partner_holding_referral"]
    assert can_transition(request, S.IN_PROGRESS, partner)
    request.referrals[0].status = ReferralStatus.DECLINED
    assert not can_transition(request, S.IN_PROGRESS, partner)
    assert allowed_targets(request, partner) == []
    with pytest.raises(PermissionDenied):
        apply_transition(request, S.IN_PROGRESS, partner)
    assert request.status == S.REFERRED


def test_inactive_staff_may_not_transition(wf_ctx, wf_people):
    request, users = wf_build(db, wf_people, S.SUBMITTED)
    worker = users["social_worker"]
    worker.is_active = False
    db.flush()
    assert not can_transition(request, S.IN_REVIEW, worker)
    with pytest.raises(PermissionDenied):
        apply_transition(request, S.IN_REVIEW, worker)
    assert request.status == S.SUBMITTED
