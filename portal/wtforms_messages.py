"""WTForms' own messages that our forms can meet, marked here so they enter our catalogues.

WTForms ships no Azerbaijani translations, so BaseForm hands it our catalogue instead; our
validators give explicit messages, and these cover the fields' built-in coercion errors.
"""

from flask_babel import lazy_gettext as _l

BUILTIN_MESSAGES = (
    _l("Not a valid choice."),
    _l("'%(value)s' is not a valid choice for this field."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Not a valid integer value."),
    _l("Not a valid date value."),
    _l("Not a valid decimal value."),
    _l("This field is required."),
)
