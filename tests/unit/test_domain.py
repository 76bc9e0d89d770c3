"""Phone numbers, reference codes, regions, passwords, and the request services."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.models import (
    AssistanceRequest,
    Category,
    CloseOutcome,
    DeclineReason,
    Event,
    Message,
    MessageVisibility,
    Priority,
    ReferralStatus,
    RequestStatus,
    Role,
    Urgency,
)
from portal.models.request import CROCKFORD, new_reference, normalise_reference
from portal.phones import normalise_phone
from portal.regions import all_regions, region_choices
from portal.services import requests as svc
from portal.services.errors import PermissionDenied, ServiceError, StaleRequest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("050 123 45 67", "+994501234567"),
        ("0501234567", "+994501234567"),
        ("+994 50 123 45 67", "+994501234567"),
        ("00994501234567", "+994501234567"),
        ("(055) 555-55-55", "+994555555555"),
        ("+49 151 23456789", "+4915123456789"),
        ("+7 916 123-45-67", "+79161234567"),
        ("12345", None),
        ("not a number", None),
        ("", None),
        ("+994 50 123", None),
    ],
)
def test_phone_numbers_are_normalised_to_e164(text, expected):
    assert normalise_phone(text) == expected


def test_e164_azerbaijani_numbers_get_the_same_answer_on_the_fast_path():
    """An E.164 +994 number skips parsing (CSV uploads): the verdict must not change. The same
    number written 00994… takes the parsing path."""
    import random

    rng = random.Random(14)
    numbers = [f"+994{rng.randrange(10**8, 10**9)}" for _ in range(3000)]
    numbers += [f"+99450{rng.randrange(10**6, 10**7)}" for _ in range(300)]
    numbers += ["+994121234567", "+994365540000", "+994990000000", "+994401234567"]
    valid = 0
    for number in numbers:
        for mobile in (False, True):
            fast = normalise_phone(number, mobile=mobile)
            assert fast == normalise_phone("00" + number[1:], mobile=mobile), number
            valid += fast is not None
    assert valid > 600  # the sample holds valid numbers of both kinds, not only refusals


def test_reference_codes_are_short_random_and_unambiguous():
    codes = {new_reference() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(CROCKFORD)
        assert not set(code) & set("ILOU")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7k3m-q9tx", "7K3M-Q9TX"),
        (" 7K3M Q9TX ", "7K3M-Q9TX"),
        ("7K3MQ9TX", "7K3M-Q9TX"),
        ("7K3M-Q9TO", "7K3M-Q9T0"),
        ("IL3M-Q9TX", "113M-Q9TX"),
        ("7K3M-Q9T", ""),
        ("7K3M-Q9TU", ""),
    ],
)
def test_reference_codes_are_read_forgivingly(typed, expected):
    assert normalise_reference(typed) == expected


def test_every_region_of_the_reference_list_is_there():
    regions = all_regions()
    assert len(regions) == 75
    assert sum(r.kind == "city" for r in regions.values()) == 11
    assert regions["baku"].name_ru == "Баку"


def test_regions_sort_in_each_alphabet():
    az = [name for _, name in region_choices("az")]
    # Azerbaijani order: ... Ç after C, Ə after E, Ş after S, Ü after U
    assert az.index("Culfa") < az.index("Çəmbərəkənd" if "Çəmbərəkənd" in az else "Daşkəsən")
    assert az.index("Şəki") > az.index("Sumqayıt")
    assert az.index("İsmayıllı") > az.index("Hacıqabul")
    assert az.index("Ağcabədi") < az.index("Babək")
    ru = [name for _, name in region_choices("ru")]
    assert ru == sorted(ru, key=lambda n: n.lower().replace("ё", "е"))
    en = [name for _, name in region_choices("en")]
    assert en == sorted(en, key=str.lower)


def test_password_hashes_are_argon2id_at_the_owasp_minimum(app):
    from portal.config import Config
    from portal.passwords import hash_password, verify_password

    assert Config.ARGON2_MEMORY_COST >= 19 * 1024
    assert Config.ARGON2_TIME_COST >= 2
    with app.app_context():
        digest = hash_password("a-long-password")
        assert digest.startswith("$argon2id$")
        assert verify_password(digest, "a-long-password")
        assert not verify_password(digest, "another-password")
        assert not verify_password("not-a-hash", "a-long-password")


# --- services --------------------------------------------------------------------------------


@pytest.fixture
def people(factory):
    return {
        "owner": factory.user(Role.RETURNEE),
        "other": factory.user(Role.RETURNEE),
        "worker": factory.user(Role.SOCIAL_WORKER),
        "partner": factory.user(Role.PARTNER),
    }


def _submit(app, db, owner, key=None):
    with app.app_context():
        request = svc.submit_request(
            db,
            owner,
            category=Category.DOCUMENTATION,
            answers={"document": "passport"},
            urgency=Urgency.THIS_WEEK,
            region_code="baku",
            submission_key=key,
        )
        db.commit()
    return request


def test_submitting_twice_with_the_same_key_makes_one_request(app, db, people):
    first = _submit(app, db, people["owner"], key="k-1")
    second = _submit(app, db, people["owner"], key="k-1")
    assert first.id == second.id
    assert db.scalar(select(func.count()).select_from(AssistanceRequest)) == 1
    third = _submit(app, db, people["owner"], key="k-2")
    assert third.id != first.id


def test_only_returnees_submit(app, db, people):
    with app.app_context(), pytest.raises(PermissionDenied):
        svc.submit_request(
            db,
            people["worker"],
            category=Category.HOUSING,
            answers={},
            urgency=Urgency.TODAY,
            region_code="baku",
        )


def test_the_whole_loop_through_the_services(app, db, people):
    owner, worker, partner_staff = people["owner"], people["worker"], people["partner"]
    request = _submit(app, db, owner)
    other_partner = _other_partner(app, db)
    with app.app_context():
        svc.assign_request(db, request, worker, worker)
        assert request.status == RequestStatus.IN_REVIEW
        svc.set_priority(db, request, Priority.URGENT, worker)
        assert request.priority_rank == 3
        svc.request_info(db, request, worker, "Where do you live now?")
        svc.give_info(db, request, owner, "With my aunt.")
        svc.add_message(db, request, worker, "Called, no answer.", MessageVisibility.INTERNAL)
        referral = svc.refer_request(db, request, other_partner, worker, note="Please call")
        db.commit()
        with pytest.raises(PermissionDenied):  # not their organisation's referral
            svc.accept_referral(db, request, partner_staff)
        db.rollback()
    with app.app_context():
        request = db.get(AssistanceRequest, request.id)
        # the referral goes to the partner of partner_staff instead
        staff_of_other = _staff_for(app, db, other_partner)
        svc.decline_referral(db, request, staff_of_other, DeclineReason.NO_CAPACITY, "Full")
        assert request.status == RequestStatus.IN_REVIEW
        assert request.times_declined == 1
        assert referral.status == ReferralStatus.DECLINED
        partner = partner_staff.partner_id
        from portal.models import PartnerOrganisation

        svc.refer_request(db, request, db.get(PartnerOrganisation, partner), worker)
        svc.accept_referral(db, request, partner_staff)
        assert request.status == RequestStatus.IN_PROGRESS
        svc.record_assistance(db, request, partner_staff, "Passport fee paid", complete=True)
        assert request.status == RequestStatus.ASSISTANCE_PROVIDED
        svc.close_request(db, request, worker, CloseOutcome.HELP_GIVEN)
        assert request.status == RequestStatus.CLOSED
        db.commit()
    kinds = list(
        db.scalars(select(Event.kind).where(Event.request_id == request.id).order_by(Event.id))
    )
    assert kinds[0] == "submitted"
    assert {"assigned", "priority_set", "info_requested", "info_given", "note_added"} <= set(kinds)
    assert kinds.count("referred") == 2
    assert kinds[-4:] == [
        "referral_accepted",
        "assistance_recorded",
        "assistance_provided",
        "closed",
    ]
    visibilities = set(db.scalars(select(Message.visibility)))
    assert visibilities == {MessageVisibility.SHARED, MessageVisibility.INTERNAL}


def test_returnees_cannot_write_internal_notes_or_on_others_requests(app, db, people):
    request = _submit(app, db, people["owner"])
    with app.app_context():
        with pytest.raises(PermissionDenied):
            svc.add_message(db, request, people["owner"], "x", MessageVisibility.INTERNAL)
        with pytest.raises(PermissionDenied):
            svc.add_message(db, request, people["other"], "x", MessageVisibility.SHARED)
        with pytest.raises(ServiceError):
            svc.add_message(db, request, people["owner"], "   ", MessageVisibility.SHARED)


def test_a_stale_version_is_refused(app, db, people):
    request = _submit(app, db, people["owner"])
    with app.app_context(), pytest.raises(StaleRequest):
        svc.set_priority(db, request, Priority.HIGH, people["worker"], expected_version=99)


def test_withdrawing_cancels_an_open_referral(app, db, people):
    request = _submit(app, db, people["owner"])
    with app.app_context():
        from portal.models import PartnerOrganisation

        partner = db.get(PartnerOrganisation, people["partner"].partner_id)
        referral = svc.refer_request(db, request, partner, people["worker"])
        svc.withdraw_request(db, request, people["owner"])
        assert request.status == RequestStatus.WITHDRAWN
        assert referral.status == ReferralStatus.CANCELLED
        assert request.close_outcome == CloseOutcome.WITHDRAWN


def _other_partner(app, db):
    from portal.models import PartnerKind, PartnerOrganisation

    p = PartnerOrganisation(
        name_az="B", name_ru="B", name_en="B", kind=PartnerKind.NGO, capacity=3, is_active=True
    )
    db.add(p)
    db.commit()
    return p


def _staff_for(app, db, partner):
    from portal.services.accounts import create_user

    user = create_user(
        db,
        role=Role.PARTNER,
        full_name="Other partner staff",
        password="x" * 12,
        email=f"staff{partner.id}@example.az",
        partner_id=partner.id,
    )
    db.flush()
    return user


@pytest.mark.parametrize("status", list(RequestStatus))
def test_the_factory_reaches_every_status(factory, status):
    assert factory.request(status=status).status == status
