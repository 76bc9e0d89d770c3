"""The glossary's fixed terms keep one translation in every returnee-facing string.

tests/data/glossary_fixed.csv holds the rows of ../shared/reference/glossary.md that are held
fixed, as regular expressions: `english` finds the term in a msgid (or, with `msgctxt`, names a
status label exactly); `az` and `ru` are the stems a translation must contain, so inflected forms
pass (müraciətiniz, обращению). tests/data/glossary_exceptions.csv lists the msgids where the
English word means something else, each with the reason.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

import pytest
from babel.messages.pofile import read_po

from tests.conftest import ROOT
from tests.source_strings import scan

DATA = ROOT / "tests" / "data"
LANGS = ("az", "ru")
# Where a returnee reads: their pages, the public and sign-in pages, the shared layout, forms and
# error pages, and the labels of the domain's closed lists (statuses, categories).
RETURNEE_FACING = (
    "templates/base.html",
    "templates/_macros/",
    "templates/_nav/returnee.html",
    "templates/public/",
    "templates/auth/",
    "templates/errors/",
    "templates/returnee/",
    "templates/notifications/",
    "portal/returnee/",
    "portal/auth/",
    "portal/public/",
    "portal/forms.py",
    "portal/wtforms_messages.py",
    "portal/answers.py",
    "portal/models/enums.py",
)


@dataclass(frozen=True)
class Term:
    term: str
    english: re.Pattern
    context: str | None
    fixed: dict[str, re.Pattern]


def load_terms() -> list[Term]:
    with (DATA / "glossary_fixed.csv").open(encoding="utf-8") as f:
        return [
            Term(
                row["term"],
                re.compile(row["english"], 0 if row["msgctxt"] else re.I),
                row["msgctxt"] or None,
                {lang: re.compile(row[lang], re.I) for lang in LANGS},
            )
            for row in csv.DictReader(f)
        ]


def load_exceptions() -> set[tuple[str, str]]:
    with (DATA / "glossary_exceptions.csv").open(encoding="utf-8") as f:
        return {(row["term"], row["msgid"]) for row in csv.DictReader(f)}


def returnee_facing_ids() -> set[tuple[str | None, str]]:
    ids = set()
    for found in scan(ROOT):
        where = found.path.relative_to(ROOT).as_posix()
        if where.startswith(RETURNEE_FACING):
            ids.add((found.context, found.msgid))
    return ids


def load_catalogue(lang: str) -> list:
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return [m for m in read_po(f, locale=lang) if m.id]


def violations(terms, catalogue, lang, facing, exceptions) -> list[str]:
    found = []
    for m in catalogue:
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for term in terms:
            if term.context is not None:
                if m.context != term.context or not term.english.search(ids[0]):
                    continue  # a status label: held exactly, wherever it is shown
            elif (m.context, ids[0]) not in facing or not any(term.english.search(i) for i in ids):
                continue
            if (term.term, ids[0]) in exceptions:
                continue
            for text in strings:
                if text and not term.fixed[lang].search(text):
                    found.append(f"{lang}: {term.term!r} in {ids[0]!r} is translated {text!r}")
    return found


@pytest.fixture(scope="module")
def terms():
    return load_terms()


@pytest.fixture(scope="module")
def facing():
    return returnee_facing_ids()


def test_the_data_file_holds_the_terms_the_issue_names(terms):
    names = {t.term for t in terms}
    required = {"request", "referral", "partner organisation", "reference code", "hotline"}
    required |= {"consent", "submitted", "under review", "closed", "withdrawn"}
    assert required <= names
    assert len(facing_ids := returnee_facing_ids()) > 200, len(facing_ids)


@pytest.mark.parametrize("lang", LANGS)
def test_returnee_facing_strings_use_the_fixed_terms(lang, terms, facing):
    catalogue = load_catalogue(lang)
    assert violations(terms, catalogue, lang, facing, load_exceptions()) == []


@pytest.mark.parametrize(
    ("lang", "msgid", "broken", "term"),
    [
        ("ru", "My requests", "Мои заявки", "request"),
        ("az", "Your reference code is", "Müraciətinizin nömrəsi", "reference code"),
        ("ru", "Privacy notice", "Политика приватности", "privacy notice"),
    ],
)
def test_it_fails_when_a_term_is_broken(lang, msgid, broken, term, terms, facing):
    catalogue = load_catalogue(lang)
    entry = next(m for m in catalogue if m.id == msgid and m.context is None)
    assert (None, msgid) in facing
    entry.string = broken
    found = violations(terms, catalogue, lang, facing, load_exceptions())
    assert found == [f"{lang}: {term!r} in {msgid!r} is translated {broken!r}"]


def test_it_fails_when_a_status_label_drifts(terms, facing):
    catalogue = load_catalogue("az")
    entry = next(m for m in catalogue if m.context == "request status" and m.id == "Closed")
    entry.string = "Qapanıb"
    found = violations(terms, catalogue, "az", facing, load_exceptions())
    assert found == ["az: 'closed' in 'Closed' is translated 'Qapanıb'"]


def test_inflected_forms_pass(terms, facing):
    catalogue = load_catalogue("ru")
    entry = next(m for m in catalogue if m.id == "My requests" and m.context is None)
    entry.string = "Список моих обращений"
    assert violations(terms, catalogue, "ru", facing, load_exceptions()) == []
