"""The erasure list of free-text answers is in step with the ask-for-help forms."""

from __future__ import annotations

from wtforms import StringField, TextAreaField

from portal.returnee import steps
from portal.services.data_rights import FREE_TEXT_ANSWER_KEYS


def test_free_text_answer_keys_match_the_forms(app):
    typed = set()
    with app.test_request_context("/en/"):
        for step in steps.ALL_STEPS.values():
            form = step.form(meta={"csrf": False})
            for key in step.keys:
                if isinstance(form[key], StringField | TextAreaField) and key != "description":
                    typed.add(key)
    assert typed == FREE_TEXT_ANSWER_KEYS
