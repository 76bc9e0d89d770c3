"""The pages of the ask-for-help flow, in order, and which answers each one collects."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.models import Category, RequestDraft
from portal.returnee import forms as f


@dataclass(frozen=True)
class Step:
    slug: str
    form: type
    keys: tuple[str, ...]  # the answers this page collects (form field names)
    required: tuple[str, ...]  # the answers without which the page is not done
    title: object = None  # page heading when the page asks more than one question


KIND = Step("kind", f.KindForm, ("category",), ("category",))
DETAILS = Step("details", f.DetailsForm, ("description", "urgency"), ("urgency",))

CATEGORY_STEPS: dict[Category, tuple[Step, ...]] = {
    Category.HOUSING: (
        Step("housing", f.HousingSituationForm, ("situation",), ("situation",)),
        Step(
            "household",
            f.HouseholdForm,
            ("household", "special_needs"),
            ("household",),
            _l("Your household"),
        ),
    ),
    Category.EMPLOYMENT: (
        Step(
            "work",
            f.WorkForm,
            ("profession", "experience"),
            ("profession",),
            _l("Your work"),
        ),
        Step(
            "education",
            f.EducationForm,
            ("education", "languages"),
            ("education", "languages"),
            _l("School and languages"),
        ),
        Step(
            "training",
            f.TrainingForm,
            ("training", "work_area"),
            ("training", "work_area"),
            _l("Training and place of work"),
        ),
    ),
    Category.DOCUMENTATION: (
        Step("document", f.DocumentForm, ("document",), ("document",)),
        Step("document-problem", f.DocumentProblemForm, ("what_happened",), ("what_happened",)),
        Step(
            "identity",
            f.IdentityForm,
            ("holds_identity_document",),
            ("holds_identity_document",),
        ),
    ),
}

ALL_STEPS: dict[str, Step] = {
    s.slug: s for s in (KIND, DETAILS, *(s for steps in CATEGORY_STEPS.values() for s in steps))
}


def flow(draft: RequestDraft | None) -> list[Step]:
    """The pages of this draft, in order (the kind of help decides the middle ones)."""
    if draft is None or draft.category is None:
        return [KIND]
    return [KIND, *CATEGORY_STEPS[draft.category], DETAILS]


def step_values(step: Step, draft: RequestDraft | None) -> dict:
    if draft is None:
        return {}
    if step is KIND:
        return {"category": draft.category.value if draft.category else None}
    return {k: draft.answers.get(k) for k in step.keys if k in (draft.answers or {})}


def is_done(step: Step, draft: RequestDraft | None) -> bool:
    values = step_values(step, draft)
    return all(values.get(k) not in (None, "", []) for k in step.required)


def first_missing(draft: RequestDraft | None) -> Step | None:
    """The first page still to fill, or None when the draft is ready to check."""
    for step in flow(draft):
        if not is_done(step, draft):
            return step
    return None


def previous_step(step: Step, draft: RequestDraft | None) -> Step | None:
    steps = flow(draft)
    if step not in steps:
        return None
    i = steps.index(step)
    return steps[i - 1] if i > 0 else None


def next_step(step: Step, draft: RequestDraft | None) -> Step | None:
    steps = flow(draft)
    i = steps.index(step)
    return steps[i + 1] if i + 1 < len(steps) else None
