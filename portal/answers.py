"""A request's answers in words, in the order of the ask-for-help flow.

One place for the returnee's "check your answers" and request pages, the social worker's request
page and the partner's referral page: question labels come from the flow's forms, answer labels
from its closed lists (portal/returnee/choices.py), typed text stays as typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal.models import Category


def answer_items(category: Category, answers: dict[str, Any] | None) -> Iterator[tuple]:
    """(step slug, key, question, answer in words) for every question of the category's flow."""
    from portal.returnee import steps
    from portal.returnee.choices import answer_label

    answers = answers or {}
    for step in steps.CATEGORY_STEPS[category]:
        form = step.form(meta={"csrf": False})
        for key in step.keys:
            value = answers.get(key)
            text = answer_label(key, value) if value not in (None, "", []) else ""
            yield step.slug, key, form[key].label.text, text


def answer_rows(category: Category, answers: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(question, answer) pairs of the questions that were answered."""
    return [(q, a) for _slug, _key, q, a in answer_items(category, answers) if a]
