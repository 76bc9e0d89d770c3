"""A request's answers in words, in the order of the ask-for-help flow.

One place for the returnee's "check your answers" and request pages, the social worker's request
page and the partner's referral page: question labels come from the flow's forms, answer labels
from its closed lists (portal/returnee/choices.py), typed text stays as typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal.models import Category

# (step slug, key, question) of each category's flow, per language: the questions are the
# flow's form labels, and making the forms for them on every page costs more than the page.
_QUESTIONS: dict[tuple, list[tuple[str, str, str]]] = {}


def _questions(category: Category) -> list[tuple[str, str, str]]:
    from portal.i18n import current_locale, locale_key
    from portal.returnee import steps

    locale = current_locale()
    cache_key = (locale_key(locale) if locale is not None else None, category)
    found = _QUESTIONS.get(cache_key)
    if found is None:
        found = []
        for step in steps.CATEGORY_STEPS[category]:
            form = step.form(meta={"csrf": False})
            found += [(step.slug, key, str(form[key].label.text)) for key in step.keys]
        _QUESTIONS[cache_key] = found
    return found


def answer_items(category: Category, answers: dict[str, Any] | None) -> Iterator[tuple]:
    """(step slug, key, question, answer in words) for every question of the category's flow."""
    from portal.returnee.choices import answer_label

    answers = answers or {}
    for slug, key, question in _questions(category):
        value = answers.get(key)
        text = answer_label(key, value) if value not in (None, "", []) else ""
        yield slug, key, question, text


def answer_rows(category: Category, answers: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(question, answer) pairs of the questions that were answered."""
    return [(q, a) for _slug, _key, q, a in answer_items(category, answers) if a]
