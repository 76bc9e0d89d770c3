from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice

from portal.forms import BaseForm, Required, max_length
from portal.i18n import LANGUAGES
from portal.services.suggestions import MAX_TEXT


class SuggestionForm(BaseForm):
    path = HiddenField()
    locale = SelectField(
        _l("Language of the text"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        validators=[Required(_l("Choose the language of the text"))],
    )
    shown_text = TextAreaField(
        _l("The text as it is shown"),
        description=_l("Copy the words from the page."),
        validators=[Required(_l("Enter the text as it is shown")), max_length(MAX_TEXT)],
    )
    proposed_text = TextAreaField(
        _l("Your better translation"),
        description=_l("Write the whole text as it should read."),
        validators=[Required(_l("Enter your better translation")), max_length(MAX_TEXT)],
    )
