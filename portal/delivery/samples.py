"""Worst-case values for rendering every notification template: the SMS segment test and
`bench/sms_segments.py` use them to show each SMS fits in two parts."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from portal.config import ROOT
from portal.models import (
    AssistanceRequest,
    Category,
    CloseOutcome,
    HelpConfirmation,
    Notification,
    NotificationChannel,
    PartnerOrganisation,
    Referral,
)

TEMPLATES = ROOT / "templates" / "notifications"
# A long production address (the real one is shorter): links in SMS are built on it.
PRODUCTION_BASE_URL = "https://reintegration-portal.migration.gov.az"
LONGEST_ID = 2_147_483_647  # the largest 32-bit id: the longest number a link can carry


def templates(channel: NotificationChannel) -> list[str]:
    """Names of the notices that have a template for `channel`."""
    return sorted(
        path.name.removesuffix(f".{channel.value}.txt")
        for path in TEMPLATES.glob(f"*.{channel.value}.txt")
        if not path.name.startswith("_")
    )


def worst_case_context() -> dict:
    partner = PartnerOrganisation(
        id=LONGEST_ID,
        name_az="Azərbaycan Respublikası Əmək və Əhalinin Sosial Müdafiəsi Nazirliyi",
        name_ru="Министерство труда и социальной защиты населения Азербайджанской Республики",
        name_en="Ministry of Labour and Social Protection of Population of the Republic",
    )
    request = AssistanceRequest(
        id=LONGEST_ID,
        reference="WWWW-WWWW",
        category=Category.DOCUMENTATION,
        close_outcome=CloseOutcome.UNREACHABLE,
    )
    referral = Referral(id=LONGEST_ID, partner=partner, request=request)
    notice = Notification(
        id=LONGEST_ID,
        body="x" * 200,
        created_at=datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    )
    return {
        "request": request,
        "referral": referral,
        "notices": [notice, notice],
        "code": "WWWWWWWW",  # the longest code sent by SMS (invitations: 8 characters)
        "minutes": 30,
        "answer": HelpConfirmation.PARTLY,
        "followup": SimpleNamespace(id=LONGEST_ID, months=12),
        # readmission_invitation: the invitation page on the production address
        "invite_url": PRODUCTION_BASE_URL + "/ru/invitation",
        "token": "W" * 43,  # secrets.token_urlsafe(32)
    }
