"""Closed lists of the ask-for-help answers, each value with a translated label.

The values are stored in AssistanceRequest.answers (and subtype); pages show `.label`.
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.i18n import upper_first
from portal.models.enums import Category, LabelledEnum


class HousingSituation(LabelledEnum):
    NO_PLACE_TONIGHT = "no_place_tonight"
    RELATIVES_TEMPORARILY = "relatives_temporarily"
    RENTING_CANNOT_AFFORD = "renting_cannot_afford"
    HOME_NEEDS_REPAIR = "home_needs_repair"

    @classmethod
    def _labels(cls):
        return {
            cls.NO_PLACE_TONIGHT: _l("I have no place to sleep tonight"),
            cls.RELATIVES_TEMPORARILY: _l("I stay with relatives or friends for a short time"),
            cls.RENTING_CANNOT_AFFORD: _l("I rent a place but cannot pay for it"),
            cls.HOME_NEEDS_REPAIR: _l("I have my own home but it needs repair"),
        }


class EducationLevel(LabelledEnum):
    NONE = "none"
    BASIC = "basic"
    SECONDARY = "secondary"
    VOCATIONAL = "vocational"
    HIGHER = "higher"

    @classmethod
    def _labels(cls):
        return {
            cls.NONE: _l("I did not finish school"),
            cls.BASIC: _l("9 years of school"),
            cls.SECONDARY: _l("11 years of school"),
            cls.VOCATIONAL: _l("Vocational school or college"),
            cls.HIGHER: _l("University"),
        }


class SpokenLanguage(LabelledEnum):
    """Languages a returnee may speak; named by CLDR in the page's language."""

    AZ = "az"
    RU = "ru"
    EN = "en"
    TR = "tr"
    DE = "de"
    FR = "fr"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {cls.OTHER: _l("Another language")}

    @property
    def label(self) -> str:
        if self is SpokenLanguage.OTHER:
            return str(self._labels()[self])
        return upper_first(self.name_in_text)

    @property
    def name_in_text(self) -> str:
        """The name as written mid-sentence: lowercase in az and ru ("ingilis", "русский")."""
        if self is SpokenLanguage.OTHER:
            return str(self._labels()[self])
        locale = get_locale()
        return (locale.languages.get(self.value) if locale else None) or self.value


class TrainingInterest(LabelledEnum):
    VOCATIONAL = "vocational"
    SELF_EMPLOYMENT = "self_employment"
    BOTH = "both"
    NONE = "none"

    @classmethod
    def _labels(cls):
        return {
            cls.VOCATIONAL: _l("Yes, training to learn a trade"),
            cls.SELF_EMPLOYMENT: _l("Yes, help to start my own small business"),
            cls.BOTH: _l("Yes, both"),
            cls.NONE: _l("No, I want a job"),
        }


class DocumentKind(LabelledEnum):
    ID_CARD = "id_card"
    PASSPORT = "passport"
    BIRTH_CERTIFICATE = "birth_certificate"
    RESIDENCE_REGISTRATION = "residence_registration"
    DIPLOMA_RECOGNITION = "diploma_recognition"
    MARRIAGE_DIVORCE = "marriage_divorce_certificate"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {
            cls.ID_CARD: _l("National identity card"),
            cls.PASSPORT: _l("Passport"),
            cls.BIRTH_CERTIFICATE: _l("Birth certificate"),
            cls.RESIDENCE_REGISTRATION: _l("Registration at the place where you live"),
            cls.DIPLOMA_RECOGNITION: _l("Recognition of a diploma or qualification"),
            cls.MARRIAGE_DIVORCE: _l("Marriage or divorce certificate"),
            cls.OTHER: _l("Another document"),
        }


class DocumentProblem(LabelledEnum):
    LOST = "lost"
    EXPIRED = "expired"
    NEVER_HAD = "never_had"
    ISSUED_ABROAD = "issued_abroad"

    @classmethod
    def _labels(cls):
        return {
            cls.LOST: _l("It was lost or taken"),
            cls.EXPIRED: _l("It has expired"),
            cls.NEVER_HAD: _l("I never had one"),
            cls.ISSUED_ABROAD: _l("It was issued in another country"),
        }


class YesNo(LabelledEnum):
    YES = "yes"
    NO = "no"

    @classmethod
    def _labels(cls):
        return {cls.YES: _l("Yes"), cls.NO: _l("No")}


def category_hint(category: Category) -> str:
    """The short explanation under each kind of help."""
    return str(
        {
            Category.HOUSING: _l("A place to stay tonight, help with rent, or repairs to a home."),
            Category.EMPLOYMENT: _l(
                "Finding work, training to learn a trade, or starting a small business."
            ),
            Category.DOCUMENTATION: _l(
                "Identity card, passport, birth certificate, registration, diploma recognition."
            ),
        }[category]
    )


# The answer keys of each kind of help and the closed list of each key (None: typed text).
ANSWER_CHOICES: dict[str, type[LabelledEnum]] = {
    "situation": HousingSituation,
    "education": EducationLevel,
    "languages": SpokenLanguage,
    "training": TrainingInterest,
    "document": DocumentKind,
    "what_happened": DocumentProblem,
    "holds_identity_document": YesNo,
}


def answer_label(key: str, value) -> str:
    """A stored answer in words: labels for closed lists, the text as typed otherwise."""
    enum_cls = ANSWER_CHOICES.get(key)
    if enum_cls is None:
        return "" if value is None else str(value)
    values = value if isinstance(value, list) else [value]
    labels = []
    for v in values:
        try:
            member = enum_cls(v)
        except ValueError:
            labels.append(str(v))
            continue
        # Mid-list, names keep the case they have in running text ("Azərbaycan, rus").
        inline = labels and getattr(member, "name_in_text", None)
        labels.append(inline or member.label)
    return ", ".join(labels)
