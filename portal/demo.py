"""Realistic demo data in three languages (flask --app portal demo load)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from portal.db import Base, db, set_clock, utcnow
from portal.models import (
    Category,
    CloseOutcome,
    ContactPreference,
    DeclineReason,
    MessageVisibility,
    PartnerCoverage,
    PartnerKind,
    PartnerOrganisation,
    Priority,
    RequestStatus,
    Role,
    Urgency,
    User,
    Vulnerability,
)
from portal.regions import ALL_REGIONS
from portal.services import requests as svc
from portal.services.accounts import create_user

DEFAULT_PASSWORD = "demo-portal-2026"  # noqa: S105 - printed for the demo only

PARTNERS = [
    {
        "name_az": "Reinteqrasiya üzrə Dəstək Mərkəzi",
        "name_ru": "Центр поддержки реинтеграции",
        "name_en": "Reintegration Support Centre",
        "kind": PartnerKind.NGO,
        "contact_person": "Aynur Məmmədova",
        "phone": "+994124000001",
        "email": "info@rsc.example.az",
        "capacity": 12,
        "coverage": [(Category.HOUSING, ALL_REGIONS), (Category.DOCUMENTATION, "baku")],
        "staff": [
            ("Aynur Məmmədova", "aynur@rsc.example.az"),
            ("Kamran Əliyev", "kamran@rsc.example.az"),
        ],
    },
    {
        "name_az": "Dövlət Məşğulluq Agentliyi",
        "name_ru": "Государственное агентство занятости",
        "name_en": "State Employment Agency",
        "kind": PartnerKind.STATE_AGENCY,
        "contact_person": "Rəşad Hüseynov",
        "phone": "+994124000002",
        "email": "referrals@dma.example.az",
        "capacity": 40,
        "coverage": [(Category.EMPLOYMENT, ALL_REGIONS)],
        "staff": [("Rəşad Hüseynov", "rashad@dma.example.az")],
    },
    {
        "name_az": "Beynəlxalq Miqrasiya Təşkilatı (BMqT)",
        "name_ru": "Международная организация по миграции (МОМ)",
        "name_en": "International Organization for Migration (IOM)",
        "kind": PartnerKind.INTERNATIONAL,
        "contact_person": "Leyla Quliyeva",
        "phone": "+994124000003",
        "email": "avrr@iom.example.az",
        "capacity": 25,
        "coverage": [
            (Category.HOUSING, "baku"),
            (Category.HOUSING, "ganja"),
            (Category.EMPLOYMENT, "baku"),
            (Category.DOCUMENTATION, ALL_REGIONS),
        ],
        "staff": [("Leyla Quliyeva", "leyla@iom.example.az")],
    },
    {
        "name_az": "“Həyata Dönüş” İctimai Birliyi",
        "name_ru": "Общественное объединение «Возвращение к жизни»",
        "name_en": "Return to Life Public Union",
        "kind": PartnerKind.NGO,
        "contact_person": "Elnur Babayev",
        "phone": "+994224000004",
        "email": "office@hayata.example.az",
        "capacity": 6,
        "coverage": [
            (Category.HOUSING, "ganja"),
            (Category.HOUSING, "shamkir"),
            (Category.EMPLOYMENT, "ganja"),
            (Category.DOCUMENTATION, "ganja"),
        ],
        "staff": [("Elnur Babayev", "elnur@hayata.example.az")],
    },
    {
        "name_az": "Hüquqi Yardım Mərkəzi",
        "name_ru": "Центр правовой помощи",
        "name_en": "Legal Aid Centre",
        "kind": PartnerKind.NGO,
        "contact_person": "Səbinə Rzayeva",
        "phone": "+994124000005",
        "email": "help@legalaid.example.az",
        "capacity": 8,
        "coverage": [(Category.DOCUMENTATION, ALL_REGIONS)],
        "staff": [("Səbinə Rzayeva", "sabina@legalaid.example.az")],
    },
    {
        "name_az": "Lənkəran Sosial Xidmətlər Mərkəzi",
        "name_ru": "Ленкоранский центр социальных услуг",
        "name_en": "Lankaran Social Services Centre",
        "kind": PartnerKind.STATE_AGENCY,
        "contact_person": "Fərid Nəsirov",
        "phone": "+994254000006",
        "email": "lankaran@social.example.az",
        "capacity": 5,
        "coverage": [(Category.HOUSING, "lankaran"), (Category.EMPLOYMENT, "lankaran")],
        "staff": [("Fərid Nəsirov", "farid@social.example.az")],
    },
]

SOCIAL_WORKERS = [
    ("Nigar Həsənova", "nigar.hasanova@sms.example.az", "az"),
    ("Ольга Ахмедова", "olga.akhmedova@sms.example.az", "ru"),
]
ADMIN = ("Tural İsmayılov", "admin@sms.example.az", "az")

RETURNEES = [
    ("Elvin Məmmədov", "+994501110001", "az", "baku", "DE"),
    ("Günel Əliyeva", "+994501110002", "az", "ganja", "FR"),
    ("Рустам Гасанов", "+994501110003", "ru", "sumgait", "NO"),
    ("Orxan Hüseynov", "+994501110004", "az", "lankaran", "BE"),
    ("Sevinc Quliyeva", "+994501110005", "az", "shaki", "NL"),
    ("Натаван Исмаилова", "+994501110006", "ru", "baku", "CH"),
    ("Murad Abbasov", "+994501110007", "en", "mingachevir", "DE"),
    ("Aysel Nəsirova", "+994501110008", "az", "shamkir", "AT"),
    ("Эльдар Керимов", "+994501110009", "ru", "guba", "FR"),
    ("Ramil Səfərov", "+4915123456789", "az", "baku", "DE"),
    ("Lalə Cəfərova", "+994501110011", "az", "ganja", "SE"),
    ("Vüsal Rzayev", "+994501110012", "az", "barda", "NO"),
    ("Zaur Bağırov", "+994501110013", "ru", "sabirabad", "PL"),
    ("Könül Həsənli", "+994501110014", "az", "lankaran", "IT"),
    ("Tofiq Əhmədov", "+994501110015", "az", "nakhchivan", "ME"),
    ("Айгюн Мамедова", "+994501110016", "ru", "baku", "DE"),
    ("Samir Qasımov", "+994501110017", "en", "shirvan", "GB"),
    ("Nərmin Vəliyeva", "+994501110018", "az", "gabala", "FR"),
    ("Fuad Kərimov", "+994501110019", "az", "zagatala", "CH"),
    ("Ülviyyə Məlikova", "+994501110020", "az", "ganja", "NL"),
]

ANSWERS = {
    Category.HOUSING: [
        {"situation": "no_place_tonight", "household": 1, "special_needs": ""},
        {
            "situation": "relatives_temporarily",
            "household": 4,
            "special_needs": "Uşaqlardan biri əlildir.",
        },
        {"situation": "renting_cannot_afford", "household": 3, "special_needs": ""},
        {
            "situation": "home_needs_repair",
            "household": 5,
            "special_needs": "Дом без крыши после зимы.",
        },
    ],
    # One per language of the person; {country} is where they worked.
    Category.EMPLOYMENT: [
        {
            "profession": "Sürücü, B və C kateqoriyası",
            "education": "secondary",
            "experience": "8 il yük maşını sürmüşəm ({country})",
            "languages": ["az", "ru"],
            "training": "vocational",
            "work_area": "Bakı və ətrafı",
        },
        {
            "profession": "Повар",
            "education": "vocational",
            "experience": "5 лет в ресторане ({country})",
            "languages": ["az", "ru"],
            "training": "self_employment",
            "work_area": "Гянджа",
        },
        {
            "profession": "Electrician",
            "education": "vocational",
            "experience": "Construction sites ({country})",
            "languages": ["az", "en"],
            "training": "none",
            "work_area": "Anywhere",
        },
    ],
    Category.DOCUMENTATION: [
        {"document": "id_card", "what_happened": "lost", "holds_identity_document": "no"},
        {"document": "passport", "what_happened": "expired", "holds_identity_document": "yes"},
        {
            "document": "birth_certificate",
            "what_happened": "issued_abroad",
            "holds_identity_document": "yes",
        },
        {
            "document": "diploma_recognition",
            "what_happened": "issued_abroad",
            "holds_identity_document": "yes",
        },
        {
            "document": "residence_registration",
            "what_happened": "never_had",
            "holds_identity_document": "yes",
        },
    ],
}

# What each person writes, in their own language and about their own case: {country} is the
# country they came back from (named in their language), so the story matches the profile.
DESCRIPTIONS = {
    (Category.HOUSING, "az"): [
        "Qayıtdığım ölkə: {country}. Hələlik qohumlarımın yanında qalıram, tezliklə getməliyəm.",
        "",
    ],
    (Category.HOUSING, "ru"): [
        "Вернулись всей семьёй ({country}), нужно жильё на несколько месяцев.",
        "",
    ],
    (Category.HOUSING, "en"): [
        "I came back from {country} with my family and we need a place to stay for a few months.",
        "",
    ],
    (Category.EMPLOYMENT, "az"): [
        "İş axtarıram, {country} təcrübəm var, təlim keçməyə hazıram.",
        "",
    ],
    (Category.EMPLOYMENT, "ru"): ["Ищу работу по специальности, есть опыт ({country}).", ""],
    (Category.EMPLOYMENT, "en"): ["I worked in {country} for years and I am ready to retrain.", ""],
    (Category.DOCUMENTATION, "az"): [
        "Sənədlərim {country} ərazisində qalıb, işə düzəlmək üçün lazımdır.",
        "",
    ],
    (Category.DOCUMENTATION, "ru"): ["Документы остались там, откуда меня вернули: {country}.", ""],
    (Category.DOCUMENTATION, "en"): ["My documents stayed behind in {country}.", ""],
}
# Days since submission for each planned status, so that a status matches its age (a request
# that still says "received" was sent today or yesterday, not nine days ago).
AGE_DAYS = {
    RequestStatus.SUBMITTED: (0, 1),
    RequestStatus.IN_REVIEW: (1, 3),
    RequestStatus.NEEDS_INFO: (2, 6),
    "declined_back": (4, 9),
    RequestStatus.REFERRED: (3, 7),
    RequestStatus.IN_PROGRESS: (6, 14),
    RequestStatus.ASSISTANCE_PROVIDED: (10, 18),
    RequestStatus.CLOSED: (14, 20),
    "closed_duplicate": (3, 10),
    RequestStatus.WITHDRAWN: (2, 12),
}


def _country_name(owner: User) -> str:
    """The country the person came back from, named in their language."""
    from babel import Locale

    code = (owner.profile.country_returned_from if owner.profile else None) or ""
    return Locale.parse(owner.preferred_locale).territories.get(code, code)


def _description(category: Category, owner: User, rng: random.Random) -> str | None:
    text = rng.choice(DESCRIPTIONS[(category, owner.preferred_locale)])
    return text.format(country=_country_name(owner)) or None


SHARED_QUESTIONS = [
    "Salam! Hazırda harada qalırsınız? Zəhmət olmasa ünvanı yazın.",
    "Здравствуйте! Уточните, пожалуйста, сколько детей в Вашей семье?",
    "Hello, do you still have any copy of your old passport?",
]
RETURNEE_ANSWERS = [
    "Sabunçu rayonunda bibimin evində qalıram.",
    "Двое детей, 4 и 9 лет.",
    "Yes, I have a photo of the first page.",
]
INTERNAL_NOTES = [
    "Zəng etdim, cavab vermədi. Sabah yenidən.",
    "Клиент уже обращался в прошлом году, см. архив.",
    "Checked with the partner by phone: they have room next week.",
]

# Where each demo request ends up: one path per status, some twice.
PLANS = [
    RequestStatus.SUBMITTED,
    RequestStatus.SUBMITTED,
    RequestStatus.SUBMITTED,
    RequestStatus.IN_REVIEW,
    RequestStatus.IN_REVIEW,
    "declined_back",
    RequestStatus.NEEDS_INFO,
    RequestStatus.NEEDS_INFO,
    RequestStatus.REFERRED,
    RequestStatus.REFERRED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.IN_PROGRESS,
    RequestStatus.ASSISTANCE_PROVIDED,
    RequestStatus.CLOSED,
    "closed_duplicate",
    RequestStatus.WITHDRAWN,
]


def _is_empty() -> bool:
    return not db.scalar(select(func.count()).select_from(User))


def _reset() -> None:
    for table in reversed(Base.metadata.sorted_tables):
        db.execute(delete(table))
    db.flush()


def _partner_for(category: Category, region: str, partners: list[PartnerOrganisation]):
    for p in partners:
        if p.covers(category, region):
            return p
    return partners[0]


def load_demo(password: str, *, reset: bool = False, echo: Callable[[str], None] = print) -> None:
    """Fill an empty database; refuse a non-empty one unless reset is true."""
    import click

    if not _is_empty():
        if not reset:
            raise click.ClickException(
                "The database is not empty. Run with --reset to delete everything and load "
                "the demo."
            )
        _reset()
    rng = random.Random(2026)  # the same demo every time
    signins: list[tuple[str, str, str]] = []

    admin = create_user(
        db,
        role=Role.ADMIN,
        full_name=ADMIN[0],
        email=ADMIN[1],
        preferred_locale=ADMIN[2],
        password=password,
    )
    signins.append(("admin", admin.email or "", ""))
    workers = []
    for name, email, locale in SOCIAL_WORKERS:
        w = create_user(
            db,
            role=Role.SOCIAL_WORKER,
            full_name=name,
            email=email,
            preferred_locale=locale,
            password=password,
            actor=admin,
        )
        workers.append(w)
        signins.append(("social_worker", email, ""))

    partners: list[PartnerOrganisation] = []
    partner_staff: dict[int, User] = {}
    for spec in PARTNERS:
        p = PartnerOrganisation(
            name_az=spec["name_az"],
            name_ru=spec["name_ru"],
            name_en=spec["name_en"],
            kind=spec["kind"],
            contact_person=spec["contact_person"],
            phone=spec["phone"],
            email=spec["email"],
            capacity=spec["capacity"],
            is_active=True,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        p.coverage = [PartnerCoverage(category=c, region_code=r) for c, r in spec["coverage"]]
        db.add(p)
        db.flush()
        partners.append(p)
        for i, (name, email) in enumerate(spec["staff"]):
            u = create_user(
                db,
                role=Role.PARTNER,
                full_name=name,
                email=email,
                partner_id=p.id,
                is_partner_lead=(i == 0),
                password=password,
                actor=admin,
            )
            partner_staff.setdefault(p.id, u)
            signins.append(("partner", email, p.name_en))

    returnees = []
    for name, phone, locale, region, country in RETURNEES:
        r = create_user(
            db,
            role=Role.RETURNEE,
            full_name=name,
            phone=phone,
            preferred_locale=locale,
            password=password,
        )
        profile = r.profile
        assert profile is not None
        profile.region_code = region
        # Back before any of their requests (those are at most 20 days old).
        profile.return_date = utcnow().date() - timedelta(days=rng.randint(25, 300))
        profile.country_returned_from = country
        profile.household_size = rng.randint(1, 6)
        profile.vulnerabilities = rng.choice(
            [
                [],
                [Vulnerability.SINGLE_PARENT.value],
                [Vulnerability.CHRONIC_ILLNESS.value],
                [Vulnerability.PREFER_NOT_TO_SAY.value],
                [],
            ]
        )
        profile.contact_preference = rng.choice(list(ContactPreference))
        profile.consent_version = current_app.config["PRIVACY_NOTICE_VERSION"]
        profile.consent_at = utcnow()
        returnees.append(r)
        signins.append(("returnee", phone, ""))
    db.flush()

    categories = list(Category)
    clock = _Clock(utcnow(), rng)
    for i, plan in enumerate(PLANS + PLANS[:6]):
        owner = returnees[i % len(returnees)]
        # Spread the requests over the last weeks so the queue has ages to show.
        low, high = AGE_DAYS[plan]
        clock.start(
            clock.real_now - timedelta(days=rng.randint(low, high), hours=rng.randint(0, 23))
        )
        category = categories[i % 3]
        answers = dict(rng.choice(ANSWERS[category]))
        if category == Category.EMPLOYMENT:
            answers = dict(ANSWERS[category][["az", "ru", "en"].index(owner.preferred_locale)])
            answers["experience"] = answers["experience"].format(country=_country_name(owner))
        if answers.get("special_needs") and owner.preferred_locale != (
            "ru" if any("а" <= ch <= "я" for ch in answers["special_needs"].lower()) else "az"
        ):
            answers["special_needs"] = ""  # people write in their own language
        if "household" in answers and owner.profile and owner.profile.household_size:
            answers["household"] = owner.profile.household_size  # the same family as the profile
        region = owner.profile.region_code if owner.profile else "baku"
        req = svc.submit_request(
            db,
            owner,
            category=category,
            answers=dict(answers),
            urgency=rng.choice(list(Urgency)),
            region_code=region or "baku",
            description=_description(category, owner, rng),
            subtype=answers.get("document") or answers.get("situation"),
        )
        worker = workers[i % 2]
        _walk(req, plan, worker, owner, partners, partner_staff, i, rng, clock)
    set_clock(None)
    invitation = _readmission_cases(rng, returnees, workers[0])
    signins.append(("returnee", _second_account(returnees[0], password), ""))
    _history_notices_sent()
    db.commit()

    echo("Demo data loaded. Sign in at http://127.0.0.1:5000 with any of these accounts.")
    echo(f"Password for every demo account: {password}")
    echo(f"{'ROLE':<14} {'LOGIN':<34} ORGANISATION")
    for role, login, org in signins:
        echo(f"{role:<14} {login:<34} {org}".rstrip())
    phone, code = invitation
    echo(f"Unclaimed readmission invitation: code {code} for phone {phone} at /az/invitation")


class _Clock:
    """The simulated time of the demo history: each step a few hours after the last."""

    def __init__(self, real_now, rng: random.Random) -> None:
        self.real_now = real_now
        self.rng = rng
        self.moment = real_now

    def start(self, moment) -> None:
        self.moment = moment
        set_clock(moment)

    def tick(self) -> None:
        self.moment = min(self.moment + timedelta(hours=self.rng.randint(1, 30)), self.real_now)
        set_clock(self.moment)


def _walk(req, plan, worker, owner, partners, partner_staff, i, rng, clock) -> None:
    """Move a request along the workflow to its planned status, as people would."""
    if plan == RequestStatus.SUBMITTED:
        return
    clock.tick()
    svc.assign_request(db, req, worker, worker)
    if i % 3 == 0:
        clock.tick()
        svc.set_priority(
            db, req, rng.choice([Priority.HIGH, Priority.URGENT, Priority.LOW]), worker
        )
    clock.tick()
    svc.add_message(db, req, worker, INTERNAL_NOTES[i % 3], MessageVisibility.INTERNAL)
    if plan == RequestStatus.IN_REVIEW:
        return
    if plan in (RequestStatus.NEEDS_INFO, RequestStatus.CLOSED):
        clock.tick()
        svc.request_info(db, req, worker, SHARED_QUESTIONS[i % 3])
        if plan == RequestStatus.NEEDS_INFO:
            return
        clock.tick()
        svc.give_info(db, req, owner, RETURNEE_ANSWERS[i % 3])
    if plan == "closed_duplicate":
        clock.tick()
        svc.close_request(db, req, worker, CloseOutcome.DUPLICATE, "Eyni müraciət artıq var.")
        return
    if plan == RequestStatus.WITHDRAWN:
        clock.tick()
        svc.withdraw_request(db, req, owner)
        return
    partner = _partner_for(req.category, req.region_code, partners)
    clock.tick()
    svc.refer_request(db, req, partner, worker, note="Zəhmət olmasa bu həftə əlaqə saxlayın.")
    if plan == "declined_back":
        clock.tick()
        svc.decline_referral(
            db,
            req,
            partner_staff[partner.id],
            DeclineReason.NO_CAPACITY,
            "Bu ay yerimiz yoxdur.",
        )
        return
    if plan == RequestStatus.REFERRED:
        return
    clock.tick()
    svc.accept_referral(db, req, partner_staff[partner.id])
    if plan == RequestStatus.IN_PROGRESS:
        return
    clock.tick()
    svc.record_assistance(
        db,
        req,
        partner_staff[partner.id],
        "Müvəqqəti mənzil 3 ay müddətinə təmin edildi.",
        complete=True,
    )
    if plan == RequestStatus.ASSISTANCE_PROVIDED:
        return
    clock.tick()
    svc.close_request(db, req, worker, CloseOutcome.HELP_GIVEN)
    assert req.status == RequestStatus.CLOSED


__all__ = ["DEFAULT_PASSWORD", "load_demo"]


def _history_notices_sent() -> None:
    """The demo's past SMS and emails count as sent: the development server would otherwise
    write weeks of old news to its log at the first request. Portal notices stay unread."""
    from sqlalchemy import update

    from portal.models import Notification, NotificationChannel, NotificationStatus

    db.execute(
        update(Notification)
        .where(
            Notification.channel != NotificationChannel.PORTAL,
            Notification.status == NotificationStatus.PENDING,
        )
        .values(status=NotificationStatus.SENT, sent_at=Notification.created_at)
        .execution_options(synchronize_session=False)
    )


_CASE_PEOPLE = [
    ("Rauf Hüseynov", "Рауф Гусейнов", "male"),
    ("Leyla Əliyeva", "Лейла Алиева", "female"),
    ("Tural Quliyev", "Турал Кулиев", "male"),
    ("Nigar Məmmədova", "Нигяр Мамедова", "female"),
    ("Elnur Rzayev", "Эльнур Рзаев", "male"),
    ("Səbinə Kərimova", "Сабина Керимова", "female"),
    ("Orxan Həsənov", "Орхан Гасанов", "male"),
    ("Günel İsmayılova", "Гюнель Исмаилова", "female"),
    ("Vüsal Abbasov", "Вюсал Аббасов", "male"),
    ("Aynur Cəfərova", "Айнур Джафарова", "female"),
    ("Kamran Nəsirov", "Камран Насиров", "male"),
    ("Fidan Babayeva", "Фидан Бабаева", "female"),
]
_CASE_STATES = ["DE", "FR", "NO", "CH", "ME", "NL", "BE", "AT", "SE", "PL"]
_BORDER_POINTS = ["Heydər Əliyev Beynəlxalq Aeroportu", "Astara", "Qırmızı Körpü", "Samur"]


def _second_account(person: User, password: str) -> str:
    """The same person registered again, in Cyrillic and with another SIM card, after their
    readmission case gave the first account a date of birth: one open possible duplicate,
    shown on the request pages of both accounts."""
    from portal.services import duplicates

    first = person.profile
    assert first is not None and first.birth_date is not None
    again = create_user(
        db,
        role=Role.RETURNEE,
        full_name="Эльвин Мамедов",
        phone="+994551110001",
        preferred_locale="ru",
        password=password,
    )
    profile = again.profile
    assert profile is not None
    profile.birth_date = first.birth_date
    profile.region_code, profile.return_date = first.region_code, first.return_date
    profile.country_returned_from = first.country_returned_from
    profile.household_size, profile.contact_preference = None, ContactPreference.SMS
    profile.consent_version = current_app.config["PRIVACY_NOTICE_VERSION"]
    profile.consent_at = utcnow()
    svc.submit_request(
        db,
        again,
        category=Category.DOCUMENTATION,
        answers=dict(ANSWERS[Category.DOCUMENTATION][1]),
        urgency=Urgency.THIS_WEEK,
        region_code=first.region_code or "baku",
        subtype="passport",
    )
    found = duplicates.check_returnee(db, again)
    assert [f.other_id for f in found] == [person.id], found
    return again.login


def _readmission_cases(rng: random.Random, returnees, worker) -> tuple[str, str]:
    """Readmission cases in every status; returns (phone, code) of one unclaimed invitation."""
    from portal.models import ReadmissionCase, ReadmissionStatus, ReadmissionVulnerability
    from portal.services import readmissions as rsvc

    now = utcnow()
    vulns = [v.value for v in ReadmissionVulnerability]
    made: list[ReadmissionCase] = []
    for i, (name, cyrillic, sex) in enumerate(_CASE_PEOPLE * 2):
        returned = (now - timedelta(days=5 + 31 * (i % 14) + rng.randint(0, 20))).date()
        data = {
            "case_number": f"RCMS-{returned.year}-{1000 + i}",
            "requesting_state": _CASE_STATES[i % len(_CASE_STATES)],
            "full_name": name,
            "full_name_cyrillic": cyrillic,
            "birth_date": f"{1965 + (i * 7) % 40}-0{1 + i % 9}-1{i % 9}",
            "sex": sex,
            "phone": None if i % 6 == 5 else f"+99455{3000000 + i * 7919}",
            "returned_on": returned.isoformat(),
            "border_point": _BORDER_POINTS[i % len(_BORDER_POINTS)],
            "region_code": rng.choice(["baku", "ganja", "sumgait", "lankaran", "shaki"]),
            "locale": ["az", "ru", "az", "en"][i % 4],
            "vulnerabilities": [vulns[i % len(vulns)]] if i % 3 == 0 else [],
        }
        if i >= 20:
            # Invited 40 days ago and never claimed: expired.
            set_clock(now - timedelta(days=40))
        case, _created = rsvc.upsert_case(db, data, worker, source="csv")
        set_clock(None)
        made.append(case)
    rsvc.expire_invitations(db)
    # Claimed: the first returnees of the demo were invited too and signed up.
    for returnee, case in zip(returnees[:3], made[:3], strict=False):
        case.phone = returnee.phone
        rsvc.link_case(db, case, returnee)
    withdrawn = made[4]
    rsvc.withdraw_case(db, withdrawn, worker)
    unclaimed = next(c for c in made if c.status == ReadmissionStatus.INVITED)
    code = rsvc.issue_invitation(db, unclaimed, worker)
    db.flush()
    return unclaimed.phone or "", rsvc.display_code(code)
