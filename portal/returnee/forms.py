"""Forms of the returnee pages. Every validator has its own message (WTForms has no az)."""

from __future__ import annotations

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from portal.forms import BaseForm, Required, max_length
from portal.i18n import LANGUAGES
from portal.models import Category, ContactPreference, HelpConfirmation, Urgency, Vulnerability
from portal.regions import region_choices, sort_key
from portal.returnee.choices import (
    DocumentKind,
    DocumentProblem,
    EducationLevel,
    HousingSituation,
    SpokenLanguage,
    TrainingInterest,
    YesNo,
    category_hint,
)
from portal.returnee.fields import Checkboxes, DateParts, Radios, Select, WholeNumber

# ISO 3166-1 alpha-2: officially assigned codes only (no EU, no Kosovo's user-assigned XK, no
# CLDR extras such as Sark, Ceuta or Tristan da Cunha), minus Azerbaijan itself and the
# uninhabited territories nobody returns from.
ISO_3166_1 = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
    GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
    KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA
    ZM ZW""".split()
)
_NOT_COUNTRIES = {"AZ", "AQ", "BV", "HM", "TF", "UM", "GS", "IO"}
# Where readmitted people most often come from: the EU and Schengen states, the UK, Russia,
# Türkiye and Ukraine. Listed first.
READMISSION_COUNTRIES = frozenset(
    """AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE
    IS LI NO CH GB RU TR UA""".split()
)
# CLDR abbreviates "island(s)" at the start of some Russian names ("о-в Рождества"): file
# them under the name itself.
_RU_PREFIXES = ("о-в ", "о-ва ")


def _capitalised(name: str, lang: str) -> str:
    first = name[:1]
    if lang == "az" and first == "i":
        return "İ" + name[1:]
    return first.upper() + name[1:]


def _country_sort_key(name: str, lang: str):
    for prefix in _RU_PREFIXES:
        if name.lower().startswith(prefix):
            name = name[len(prefix) :]
    return sort_key(name, lang)


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166-1 countries, named by CLDR in the page's language and sorted in it."""
    locale = get_locale() or Locale("az")
    lang = str(locale)
    names = {
        code: _capitalised(locale.territories.get(code, code), lang)
        for code in ISO_3166_1 - _NOT_COUNTRIES
    }
    return sorted(names.items(), key=lambda item: _country_sort_key(item[1], lang))


def _country_select_choices() -> list[SelectChoice]:
    """An empty first option, then the usual readmission countries, then all the others."""
    everything = country_choices()
    usual = str(_l("Countries people most often return from"))
    others = str(_l("All other countries"))
    return [
        SelectChoice("", str(_l("Choose a country"))),
        *(SelectChoice(c, n, optgroup=usual) for c, n in everything if c in READMISSION_COUNTRIES),
        *(
            SelectChoice(c, n, optgroup=others)
            for c, n in everything
            if c not in READMISSION_COUNTRIES
        ),
    ]


def country_name(code: str | None) -> str:
    locale = get_locale() or Locale("az")
    return locale.territories.get(code or "", code or "")


def _with_empty(choices_fn, empty_label):
    def make():
        return [SelectChoice("", str(empty_label))] + [
            SelectChoice(value, label) for value, label in choices_fn()
        ]

    return make


def _contact_choices():
    members = [m for m in ContactPreference if m != ContactPreference.EMAIL or current_user.email]
    return ContactPreference.choices(members)


def _language_choices():
    return [SelectChoice(code, name) for code, name in LANGUAGES.items()]


HOUSEHOLD_RANGE = _l("Enter a number from 1 to 30")
TEXT_HINT_OPTIONAL = _l("You can leave this empty.")


def household_field(label, description=None):
    return WholeNumber(
        label,
        minimum=1,
        maximum=30,
        description=description,
        required_message=_l("Enter how many people live with you, including you"),
        range_message=HOUSEHOLD_RANGE,
    )


class ProfileForm(BaseForm):
    region_code = Select(
        _l("Where do you live now?"),
        description=_l("Choose your city or district."),
        choices=_with_empty(region_choices, _l("Choose a city or district")),
        required_message=_l("Choose the city or district where you live"),
    )
    return_date = DateParts(
        _l("When did you come back to Azerbaijan?"),
        description=_l("For example 15 3 2025. If you do not know the day, write 1."),
        required_message=_l("Enter the date you came back to Azerbaijan"),
    )
    country_returned_from = Select(
        _l("Which country did you come back from?"),
        choices=_country_select_choices,
        required_message=_l("Choose the country you came back from"),
    )
    household_size = household_field(
        _l("How many people live with you, including you?"),
        _l("Count children too."),
    )
    vulnerabilities = Checkboxes(
        _l("Does any of this apply to you or your family?"),
        description=_l(
            "Choose all that apply. This helps us to help you first if you need it. "
            "If none applies, choose nothing."
        ),
        enum=Vulnerability,
        exclusive=Vulnerability.PREFER_NOT_TO_SAY.value,
        exclusive_message=_l("Choose “I prefer not to say” alone, or remove it"),
    )
    contact_preference = Radios(
        _l("How do you want us to contact you?"),
        choices=_contact_choices,
        required_message=_l("Choose how you want us to contact you"),
    )
    preferred_locale = Radios(
        _l("Which language do you want to use?"),
        choices=_language_choices,
        required_message=_l("Choose a language"),
    )
    next = HiddenField()


# --- ask for help, one page per question or small group --------------------------------------


class KindForm(BaseForm):
    category = Radios(
        _l("What do you need help with?"),
        description=_l("Choose one. You can ask again later for other help."),
        enum=Category,
        required_message=_l("Choose the kind of help you need"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.hints = {c.value: category_hint(c) for c in Category}


class HousingSituationForm(BaseForm):
    situation = Radios(
        _l("Where do you stay now?"),
        enum=HousingSituation,
        required_message=_l("Choose where you stay now"),
    )


class HouseholdForm(BaseForm):
    household = household_field(
        _l("How many people need a place to live, including you?"),
        _l("Count children too."),
    )
    special_needs = TextAreaField(
        _l("Does anyone among them have special needs?"),
        description=_l(
            "For example a disability, an illness, small children or a pregnancy. "
            "You can leave this empty."
        ),
        validators=[Optional(), max_length(1000)],
    )


class WorkForm(BaseForm):
    profession = StringField(
        _l("What work can you do?"),
        description=_l("Your profession or skills, for example driver, cook, builder."),
        validators=[Required(_l("Write what work you can do")), max_length(200)],
    )
    experience = TextAreaField(
        _l("Where and for how long have you worked?"),
        description=TEXT_HINT_OPTIONAL,
        validators=[Optional(), max_length(1000)],
    )


class EducationForm(BaseForm):
    education = Radios(
        _l("How much schooling do you have?"),
        enum=EducationLevel,
        required_message=_l("Choose how much schooling you have"),
    )
    languages = Checkboxes(
        _l("Which languages do you speak?"),
        description=_l("Choose all that apply."),
        enum=SpokenLanguage,
        required_message=_l("Choose at least one language"),
    )


class TrainingForm(BaseForm):
    training = Radios(
        _l("Do you want training or help to start your own business?"),
        enum=TrainingInterest,
        required_message=_l("Choose one answer"),
    )
    work_area = StringField(
        _l("Where can you work?"),
        description=_l("A city or district, or write “anywhere”."),
        validators=[Required(_l("Write where you can work")), max_length(200)],
    )


class DocumentForm(BaseForm):
    document = Radios(
        _l("Which document do you need?"),
        description=_l(
            "If you need more than one, choose the most important. Write about the others later."
        ),
        enum=DocumentKind,
        required_message=_l("Choose the document you need"),
    )


class DocumentProblemForm(BaseForm):
    what_happened = Radios(
        _l("What happened to this document?"),
        enum=DocumentProblem,
        required_message=_l("Choose what happened to the document"),
    )


class IdentityForm(BaseForm):
    holds_identity_document = Radios(
        _l("Do you have any identity document now?"),
        description=_l(
            "For example an identity card, a passport or a certificate for return to Azerbaijan."
        ),
        enum=YesNo,
        required_message=_l("Choose yes or no"),
    )


class DetailsForm(BaseForm):
    description = TextAreaField(
        _l("Is there anything else we should know?"),
        description=_l("Write in your own words, in any language. You can leave this empty."),
        validators=[Optional(), max_length(2000)],
    )
    urgency = Radios(
        _l("How soon do you need help?"),
        enum=Urgency,
        required_message=_l("Choose how soon you need help"),
    )


class SubmitForm(BaseForm):
    submission_key = HiddenField()


# --- one request --------------------------------------------------------------------------------


class MessageForm(BaseForm):
    body = TextAreaField(
        _l("Write a message to the social worker"),
        validators=[Required(_l("Write your message")), max_length(2000)],
    )
    version = HiddenField()


class GiveInfoForm(BaseForm):
    body = TextAreaField(
        _l("Your answer"),
        description=_l("Answer the question of the social worker above."),
        validators=[Required(_l("Write your answer")), max_length(2000)],
    )
    version = HiddenField()


class WithdrawForm(BaseForm):
    version = HiddenField()


# --- rights over one's data ----------------------------------------------------------------------


class DeleteAccountForm(BaseForm):
    password = PasswordField(
        _l("Your password"),
        description=_l("To be sure it is you."),
        validators=[Required(_l("Enter your password")), max_length(128)],
        render_kw={"autocomplete": "current-password"},
    )


# --- confirming the help -------------------------------------------------------------------------


class ConfirmHelpForm(BaseForm):
    answer = Radios(
        _l("Did you receive the help?"),
        enum=HelpConfirmation,
        required_message=_l("Choose yes, partly or no"),
    )
    comment = TextAreaField(
        _l("Anything to add? (optional)"),
        description=_l("For example, what is still missing."),
        validators=[Optional(), max_length(2000)],
    )
    version = HiddenField()


# --- follow-ups after closure --------------------------------------------------------------------


def _scale_choices():
    from portal.followups import SCALE, scale_labels

    labels = scale_labels()
    return [SelectChoice(v, labels[v]) for v in SCALE]


def _help_again_choices():
    from portal.followups import help_again_choices

    return [SelectChoice(v, label) for v, label in help_again_choices()]


def _followup_form():
    from portal.followups import HELP_AGAIN, QUESTIONS

    fields = {
        q.key: Radios(q.text, choices=_scale_choices, required_message=_l("Choose an answer"))
        for q in QUESTIONS
    }
    fields[HELP_AGAIN] = Radios(
        _l("Do you need help again?"),
        choices=_help_again_choices,
        required_message=_l("Choose an answer"),
    )
    return type("FollowUpForm", (BaseForm,), fields)


FollowUpForm = _followup_form()
