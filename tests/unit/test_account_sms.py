"""The SMS texts of codes and account notices fit in 2 segments in every language, counted
honestly: Azerbaijani letters and Cyrillic force UCS-2 (70 characters, 67 per part)."""

from __future__ import annotations

import pytest

from portal.models import NotificationChannel
from portal.services.notify import render

GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def segments(text: str) -> int:
    if all(ch in GSM for ch in text):
        return 1 if len(text) <= 160 else -(-len(text) // 153)
    return 1 if len(text) <= 70 else -(-len(text) // 67)


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
@pytest.mark.parametrize(
    ("template", "context"),
    [
        ("verification_code", {"code": "123456", "minutes": 10}),
        ("register_attempt", {}),
        ("phone_changed", {}),
        ("password_changed", {}),
    ],
)
def test_account_sms_fit_in_two_segments(app_factory, template, context, lang):
    app = app_factory(PORTAL_BASE_URL="https://reintegration-portal.example.gov.az")
    with app.app_context():
        _subject, body = render(template, NotificationChannel.SMS, lang, context)
    assert segments(body) <= 2, (len(body), body)
    if lang != "en":
        assert not all(ch in GSM for ch in body)  # translated, so counted as UCS-2
