"""The questions of the reintegration follow-up, with their closed scales and labels.

Three dimensions (economic, social, psychosocial), each question answered on a simple
three-step scale; the last question asks whether the person needs help again, and with what.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.i18n import pgettext
from portal.models import Category

MILESTONES = (3, 6, 12)  # months after the request closed with help given
SCALE = ("yes", "partly", "no")
NO_HELP = "no"


def scale_labels() -> dict[str, str]:
    return {
        "yes": pgettext("follow-up scale", "Yes"),
        "partly": pgettext("follow-up scale", "Partly"),
        "no": pgettext("follow-up scale", "No"),
    }


@dataclass(frozen=True)
class Question:
    key: str
    dimension: str
    text: object  # lazy string


QUESTIONS: tuple[Question, ...] = (
    Question("income", "economic", _l("Do you have work or a regular income?")),
    Question("housing", "economic", _l("Do you have a stable place to live?")),
    Question("documents", "social", _l("Do you have the identity documents you need?")),
    Question(
        "services", "social", _l("Can you get health care and other services when you need them?")
    ),
    Question("safe", "psychosocial", _l("Do you feel safe where you live?")),
    Question("settled", "psychosocial", _l("Do you feel settled in your life here?")),
)
HELP_AGAIN = "help_again"


def dimension_label(dimension: str) -> str:
    return str(
        {
            "economic": _l("Work, income and housing"),
            "social": _l("Documents and services"),
            "psychosocial": _l("How you feel"),
        }[dimension]
    )


def help_again_choices() -> list[tuple[str, str]]:
    return [
        (NO_HELP, str(_l("No, I do not need help now"))),
        *((c.value, str(_l("Yes, with: %(kind)s", kind=c.label))) for c in Category),
    ]


def answer_label(key: str, value: str | None) -> str:
    if value is None:
        return ""
    if key == HELP_AGAIN:
        return dict(help_again_choices()).get(value, value)
    return scale_labels().get(value, value)
