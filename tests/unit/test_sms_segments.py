"""SMS are counted honestly, and every SMS template fits in two parts in every language."""

from __future__ import annotations

import pytest

from portal.delivery.samples import PRODUCTION_BASE_URL, templates, worst_case_context
from portal.delivery.segments import count_sms
from portal.i18n import LANGUAGES
from portal.models import NotificationChannel
from portal.services import notify

C = NotificationChannel


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("{" * 80, "GSM-7", 1),  # extension characters take two places
        ("{" * 81, "GSM-7", 2),
        ("€" + "a" * 158, "GSM-7", 1),
        ("€" + "a" * 159, "GSM-7", 2),
        ("я" * 70, "UCS-2", 1),
        ("я" * 71, "UCS-2", 2),
        ("я" * 134, "UCS-2", 2),
        ("я" * 135, "UCS-2", 3),
        ("a" * 69 + "ə", "UCS-2", 1),  # one Azerbaijani letter turns all of it into UCS-2
        ("a" * 70 + "ı", "UCS-2", 2),
        ("😀" * 35, "UCS-2", 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, "UCS-2", 2),
    ],
)
def test_count(text, encoding, segments):
    result = count_sms(text)
    assert (result.encoding, result.segments) == (encoding, segments)


@pytest.mark.parametrize("letter", list("əıişğçöüƏİŞĞÇÖÜ".replace("i", "")) + ["ж", "Ё"])
def test_azerbaijani_and_cyrillic_letters_force_ucs2(letter):
    assert count_sms(f"Request {letter}").encoding == "UCS-2"
    assert count_sms("a" * 70 + letter).segments == 2


def test_plain_latin_stays_gsm7():
    assert count_sms("Your request 7K3M-Q9TX has an update: https://x.az/en/my").encoding == "GSM-7"


@pytest.fixture
def production_links(app_factory):
    app = app_factory(PORTAL_BASE_URL=PRODUCTION_BASE_URL)
    with app.app_context():
        yield app


SMS_TEMPLATES = templates(C.SMS)


def test_there_are_sms_templates_for_each_event():
    assert len(SMS_TEMPLATES) >= 12
    assert "request_received" in SMS_TEMPLATES and "referral_new" in SMS_TEMPLATES


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_every_sms_fits_in_two_parts(production_links, template, lang):
    _subject, body = notify.render(template, C.SMS, lang, worst_case_context())
    if "http" in body:
        assert PRODUCTION_BASE_URL in body  # links are built on the production address
    result = count_sms(body)
    assert result.segments <= 2, f"{template} {lang}: {result} {body!r}"
    if lang in ("az", "ru"):
        assert result.encoding == "UCS-2"  # counted as it will be sent


@pytest.mark.parametrize("lang", ["az", "ru"])
@pytest.mark.parametrize("channel", list(C))
def test_every_template_is_translated(production_links, channel, lang):
    context = worst_case_context()
    for template in templates(channel):
        _s, english = notify.render(template, channel, "en", context)
        subject, body = notify.render(template, channel, lang, context)
        assert body and body != english, (template, channel)
        if channel == C.EMAIL:
            assert subject and not subject.startswith("Request "), template


def test_the_worst_case_values_cover_every_sms_template(production_links):
    """A template needing a value the samples lack would be counted short: name it here."""
    from flask import current_app
    from jinja2 import meta

    env = current_app.jinja_env
    known = set(worst_case_context()) | {"_", "gettext", "ngettext", "link", "lang", "user"}
    for template in SMS_TEMPLATES:
        source = env.loader.get_source(env, f"notifications/{template}.sms.txt")[0]
        missing = meta.find_undeclared_variables(env.parse(source)) - known
        assert not missing, f"{template}: add {missing} to portal/delivery/samples.py"


def test_sms_carry_only_the_reference_and_a_link(production_links):
    context = worst_case_context()
    partner = context["referral"].partner
    for template in SMS_TEMPLATES:
        for lang in LANGUAGES:
            _s, body = notify.render(template, C.SMS, lang, context)
            assert body.count("http") <= 1
            if template.startswith(("request_", "referral_")):
                assert "WWWW-WWWW" in body  # the reference: the one detail they carry
            assert partner.name(lang) not in body
            assert context["request"].category.label not in body
