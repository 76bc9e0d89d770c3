"""What a partner can record as given, one list per kind of help, with translated labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.models.enums import Category, LabelledEnum


class AssistanceKind(LabelledEnum):
    """Kinds of assistance; `for_category` gives the ones that fit a request."""

    # housing
    TEMPORARY_SHELTER = "temporary_shelter"
    RENT_SUPPORT = "rent_support"
    HOME_REPAIR = "home_repair"
    HOUSEHOLD_ITEMS = "household_items"
    # employment
    JOB_PLACEMENT = "job_placement"
    JOB_COUNSELLING = "job_counselling"
    VOCATIONAL_TRAINING = "vocational_training"
    BUSINESS_GRANT = "business_grant"
    # documentation
    DOCUMENT_FEES = "document_fees"
    LEGAL_ADVICE = "legal_advice"
    ACCOMPANIMENT = "accompaniment"
    TRANSLATION = "translation"
    # any kind of help
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {
            cls.TEMPORARY_SHELTER: _l("Temporary shelter"),
            cls.RENT_SUPPORT: _l("Help with rent"),
            cls.HOME_REPAIR: _l("Home repair"),
            cls.HOUSEHOLD_ITEMS: _l("Furniture and household items"),
            cls.JOB_PLACEMENT: _l("Job placement"),
            cls.JOB_COUNSELLING: _l("Job counselling"),
            cls.VOCATIONAL_TRAINING: _l("Vocational training"),
            cls.BUSINESS_GRANT: _l("Small business grant"),
            cls.DOCUMENT_FEES: _l("Document fees paid"),
            cls.LEGAL_ADVICE: _l("Legal advice"),
            cls.ACCOMPANIMENT: _l("Accompanied to the office"),
            cls.TRANSLATION: _l("Translation and notarisation"),
            cls.OTHER: _l("Other assistance"),
        }

    @classmethod
    def for_category(cls, category: Category) -> list[AssistanceKind]:
        return [*KINDS_BY_CATEGORY[Category(category)], cls.OTHER]


K = AssistanceKind
KINDS_BY_CATEGORY: dict[Category, list[AssistanceKind]] = {
    Category.HOUSING: [K.TEMPORARY_SHELTER, K.RENT_SUPPORT, K.HOME_REPAIR, K.HOUSEHOLD_ITEMS],
    Category.EMPLOYMENT: [
        K.JOB_PLACEMENT,
        K.JOB_COUNSELLING,
        K.VOCATIONAL_TRAINING,
        K.BUSINESS_GRANT,
    ],
    Category.DOCUMENTATION: [K.DOCUMENT_FEES, K.LEGAL_ADVICE, K.ACCOMPANIMENT, K.TRANSLATION],
}
